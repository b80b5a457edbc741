from django.urls import path

from . import certificate_views, school_views, station, views, webhooks

app_name = "payments"

urlpatterns = [
    path("avvisi/", views.notices, name="notices"),
    path("avvisi/<id:pk>/", views.notice_detail, name="notice_detail"),
    path("avvisi/<id:pk>/avviso.pdf", views.notice_pdf, name="notice_pdf"),
    path("avvisi/<id:pk>/importo/", views.notice_amount, name="notice_amount"),
    path("ricarica/", views.topup, name="topup"),
    path("ricevute/<id:pk>/ricevuta.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("storico/", views.history, name="history"),
    path("saldo/<id:child_id>/", views.ledger, name="ledger"),
    path("carrello/<str:public_id>/esito/<str:outcome>/", views.cart_return, name="cart_return"),
    path("carrello/<str:public_id>/stato/", views.cart_status, name="cart_status"),
    path("attestazioni/", certificate_views.certificates, name="certificates"),
    path("attestazioni/<id:pk>/attestazione.pdf", certificate_views.certificate_pdf, name="certificate_pdf"),
    path("attestazioni/ripartizione/<id:child_id>/", certificate_views.expense_split, name="expense_split"),
    path("attestazioni/verifica/", certificate_views.certificate_verify, name="certificate_verify"),
    path("scuola/eventi/", school_views.school_events, name="school_events"),
    path("scuola/<id:school_id>/eventi/nuovo/", school_views.school_event_new, name="school_event_new"),
    path("scuola/eventi/<id:pk>/", school_views.school_event, name="school_event"),
    path("scuola/eventi/<id:pk>/pagamenti.csv", school_views.school_event_csv, name="school_event_csv"),
    path("scuola/eventi/<id:pk>/sollecito/", school_views.school_event_remind, name="school_event_remind"),
    path("scuola/eventi/<id:pk>/annulla/", school_views.school_event_cancel, name="school_event_cancel"),
    path("pagopa/ricevute/", webhooks.receipt_intake, name="receipt_intake"),
    path("pagopa/stazione/", station.pagopa_station, name="pagopa_station"),
]
