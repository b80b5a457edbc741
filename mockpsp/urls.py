"""Routes of the fake pagoPA platform, mounted at /mockpsp/ only when settings.PAYMENTS_MOCK_ENABLED."""

from django.urls import path

from . import api, api_fdr, views

app_name = "mockpsp"

urlpatterns = [
    # REST API (what payments.gateway.http.HttpGateway calls; base URL …/mockpsp/api)
    path("api/organizations/<str:cf>/debtpositions", api.debt_positions, name="api_debt_positions"),
    path("api/organizations/<str:cf>/debtpositions/<str:iupd>", api.debt_position, name="api_debt_position"),
    path(
        "api/organizations/<str:cf>/debtpositions/<str:iupd>/publish",
        api.debt_position_publish,
        name="api_debt_position_publish",
    ),
    path(
        "api/organizations/<str:cf>/debtpositions/<str:iupd>/invalidate",
        api.debt_position_invalidate,
        name="api_debt_position_invalidate",
    ),
    path(
        "api/organizations/<str:cf>/paymentoptions/paids/<str:nav>",
        api.payment_option_paid,
        name="api_payment_option_paid",
    ),
    path("api/checkout/ec/v2/carts", api.checkout_carts, name="api_checkout_carts"),
    path("api/payments/<str:cf>/receipts", api.payment_receipts, name="api_payment_receipts"),
    path("api/payments/<str:cf>/receipts/<str:iuv>", api.payment_receipt, name="api_payment_receipt"),
    path("api/organizations/<str:cf>/fdrs", api_fdr.fdr_list, name="api_fdr_list"),
    path(
        "api/organizations/<str:cf>/fdrs/<str:fdr>/revisions/<int:revision>/psps/<str:psp_id>",
        api_fdr.fdr_flow,
        name="api_fdr_flow",
    ),
    path(
        "api/organizations/<str:cf>/fdrs/<str:fdr>/revisions/<int:revision>/psps/<str:psp_id>/payments",
        api_fdr.fdr_payments,
        name="api_fdr_payments",
    ),
    # pages
    path("checkout/<str:token>/", views.checkout, name="checkout"),
    path("checkout/<str:token>/paga/", views.checkout_pay, name="checkout_pay"),
    path("checkout/<str:token>/annulla/", views.checkout_cancel, name="checkout_cancel"),
    path("psp/", views.shop, name="shop"),
    path("psp/ricevuta/<str:token>/", views.shop_done, name="shop_done"),
    path("controllo/", views.control, name="control"),
]
