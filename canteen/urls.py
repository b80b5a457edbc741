from django.urls import path

from . import api, school, views

app_name = "canteen"

urlpatterns = [
    path("<id:child_id>/", views.meals, name="meals"),
    path("<id:child_id>/disdetta/", views.cancel, name="cancel"),
    path("<id:child_id>/soglia/", views.threshold, name="threshold"),
    path("<id:child_id>/movimenti.csv", views.statement_csv, name="statement_csv"),
    path("<id:child_id>/estratto.pdf", views.statement_pdf, name="statement_pdf"),
    path("<id:child_id>/fine-anno/", views.year_end, name="year_end"),
    path("presenze/carica/", school.attendance_upload, name="attendance_upload"),
    path("presenze/<id:pk>/", school.attendance_batch, name="attendance_batch"),
    path("api/presenze/", api.attendance_post, name="api_attendance"),
]
