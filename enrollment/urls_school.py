"""URLs of the school staff's page, included in the enrollment namespace by enrollment/urls.py."""

from django.urls import path

from . import views_school as views

urlpatterns = [
    path("scuole/", views.school_staff_home, name="school_staff"),
    path("scuole/<int:pk>/iscritti.csv", views.school_roster, name="school_roster"),
    path("scuole/<int:pk>/mensa.csv", views.school_kitchen, name="school_kitchen"),
    path("scuole/linee/<int:pk>/trasporto.csv", views.route_transport, name="school_transport"),
]
