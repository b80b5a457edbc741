from django.urls import path

from .views import pages, school, start, wizard

app_name = "enrollment"

urlpatterns = [
    path("", start.start, name="start"),
    path("elenco/", pages.enrollment_list, name="list"),
    path("<id:pk>/", pages.detail, name="detail"),
    path("<id:pk>/inviata/", wizard.done, name="done"),
    path("<id:pk>/ricevuta.pdf", pages.receipt_pdf, name="receipt_pdf"),
    path("<id:pk>/ritira/", pages.withdraw, name="withdraw"),
    # The school staff's page and files.
    path("scuole/", school.school_staff_home, name="school_staff"),
    path("scuole/<id:pk>/iscritti.csv", school.school_roster, name="school_roster"),
    path("scuole/<id:pk>/mensa.csv", school.school_kitchen, name="school_kitchen"),
    path("scuole/linee/<id:pk>/trasporto.csv", school.route_transport, name="school_transport"),
    # Last: any other "<pk>/<word>/" is a page of the wizard.
    path("<id:pk>/<slug:step>/", wizard.step, name="step"),
]
