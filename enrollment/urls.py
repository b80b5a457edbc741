from django.urls import include, path

from . import views, views_pages

app_name = "enrollment"

urlpatterns = [
    path("", views.start, name="start"),
    path("elenco/", views_pages.enrollment_list, name="list"),
    path("<int:pk>/", views_pages.detail, name="detail"),
    path("<int:pk>/inviata/", views.done, name="done"),
    path("<int:pk>/ricevuta.pdf", views_pages.receipt_pdf, name="receipt_pdf"),
    path("<int:pk>/ritira/", views_pages.withdraw, name="withdraw"),
    path("", include("enrollment.urls_school")),
    path("<int:pk>/<slug:step>/", views.step, name="step"),
]
