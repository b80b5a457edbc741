"""The office's "Emetti un avviso" page (issue 10, item 4): a one-off notice for a child and a service, to one of the
child's adults, through the same service as every other notice (IUV, publication, PDF, ledger, the payer's e-mail)."""

import datetime
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from mockpsp.models import DebtPosition as MockPosition
from payments.models import LedgerEntry, PaymentNotice
from portal.models import OutboxEmail
from tests.conftest import make_user
from tests.payments.factories import delegate_add, parent_make

pytestmark = pytest.mark.django_db

URL = "admin:payments_paymentnotice_issue"


def _staff(legal_documents, *, cf: str, email: str):
    staff = make_user(codice_fiscale=cf, email=email, documents=legal_documents, is_staff=True)
    TOTP.activate(staff, generate_totp_secret())
    return staff


@pytest.fixture
def clerk_client(client, legal_documents):
    """A clerk of the "Ufficio scuola" group (not a superuser), signed in with TOTP."""
    client.staff = _staff(legal_documents, cf="VRDGLI79P61A944R", email="ufficio@example.it")
    client.staff.groups.add(Group.objects.get(name="Ufficio scuola"))
    client.force_login(client.staff)
    return client


@pytest.fixture
def viewer_client(client, legal_documents):
    """Staff allowed only to look at payments."""
    staff = _staff(legal_documents, cf="BNCNNA80A41F205X", email="viewer@example.it")
    staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="payments", codename__startswith="view_")
    )
    client.force_login(staff)
    return client


def _day(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).strftime("%d/%m/%Y")


def _form(child, **changes) -> dict:
    data = {
        "child_cf": child.codice_fiscale,
        "payer_cf": "",
        "service_kind": "transport",
        "amount": "12,50",
        "causale": "Duplicato tessera trasporto a.s. 2026/2027",
        "due_date": _day(20),
        "instalments": "1",
        "instalment_dates": "",
    }
    data.update(changes)
    return data


def test_the_notices_list_links_to_the_issue_page_for_the_office(clerk_client):
    changelist = reverse("admin:payments_paymentnotice_changelist")
    body = clerk_client.get(changelist).content.decode()
    assert "Emetti un avviso" in body
    assert reverse(URL) in body
    page = clerk_client.get(reverse(URL))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Emetti un avviso" in text
    for label in ("Codice fiscale del bambino", "Codice fiscale del pagatore", "Importo", "Causale", "Scadenza"):
        assert label in text


def test_a_viewer_cannot_open_or_post_the_issue_page(viewer_client, giulia):
    assert (
        "Emetti un avviso"
        not in viewer_client.get(reverse("admin:payments_paymentnotice_changelist")).content.decode()
    )
    assert viewer_client.get(reverse(URL)).status_code == 403
    assert viewer_client.post(reverse(URL), _form(giulia)).status_code == 403
    assert not PaymentNotice.objects.exists()


def test_a_parent_cannot_reach_the_issue_page(parent_client, giulia):
    response = parent_client.post(reverse(URL), _form(giulia))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert not PaymentNotice.objects.exists()


def test_the_office_issues_a_notice_to_the_reference_adult(
    clerk_client, giulia, parent, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(reverse(URL), _form(giulia, amount=" 1.012,50 € "))
    notice = PaymentNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:payments_paymentnotice_change", args=[notice.pk])
    assert (notice.payer, notice.child, notice.service_kind, notice.purpose) == (parent, giulia, "transport", "fee")
    assert (notice.amount, notice.created_by) == (Decimal("1012.50"), clerk_client.staff)
    assert notice.due_date == timezone.localdate() + datetime.timedelta(days=20)
    assert notice.causale == "Duplicato tessera trasporto a.s. 2026/2027"
    assert notice.options.count() == 1
    assert not LedgerEntry.objects.filter(notice=notice).exists()  # transport is billed by notice: no balance
    assert MockPosition.objects.get(iupd=notice.iupd).status == "VALID"  # published after commit
    notice.refresh_from_db()
    assert notice.platform_state == "VALID"
    [sent] = mailoutbox
    assert sent.to == [parent.email]
    assert sent.attachments[0][1].startswith(b"%PDF")
    followed = clerk_client.get(response["Location"]).content.decode()
    assert "Avviso emesso" in followed
    assert "1.012,50 €" in followed


def test_the_office_issues_to_a_delegate_in_instalments(clerk_client, giulia, other_parent):
    delegate_add(child=giulia, adult=other_parent)
    dates = f"{_day(10)}\n{_day(40)}, {_day(70)}"
    response = clerk_client.post(
        reverse(URL),
        _form(
            giulia, payer_cf=other_parent.codice_fiscale.lower(), amount="100", instalments="3", instalment_dates=dates
        ),
    )
    assert response.status_code == 302
    notice = PaymentNotice.objects.get()
    assert notice.payer == other_parent
    options = list(notice.options.order_by("instalment").values_list("instalment", "amount", "due_date"))
    today = timezone.localdate()
    assert options == [
        (0, Decimal("100.00"), today + datetime.timedelta(days=20)),
        (1, Decimal("33.33"), today + datetime.timedelta(days=10)),
        (2, Decimal("33.33"), today + datetime.timedelta(days=40)),
        (3, Decimal("33.34"), today + datetime.timedelta(days=70)),
    ]
    assert OutboxEmail.objects.get(kind="payment_notice_issued").to == [other_parent.email]


def test_instalments_without_dates_fall_due_monthly_from_the_due_date(clerk_client, giulia):
    clerk_client.post(reverse(URL), _form(giulia, amount="60,00", instalments="2"))
    notice = PaymentNotice.objects.get()
    rates = list(notice.options.filter(instalment__gt=0).order_by("instalment").values_list("amount", "due_date"))
    assert [amount for amount, _due in rates] == [Decimal("30.00"), Decimal("30.00")]
    assert rates[0][1] == notice.due_date
    assert rates[1][1] > notice.due_date


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"child_cf": "ZZZZZZ00A00Z000Z"}, "Nessun bambino con questo codice fiscale."),
        ({"child_cf": ""}, "Indica il codice fiscale del bambino."),
        ({"payer_cf": "XXXXXX00A00X000X"}, "Nessun adulto registrato con questo codice fiscale."),
        ({"payer_cf": "STRANGER"}, "deve essere l&#x27;adulto di riferimento o un delegato attivo"),
        ({"service_kind": "piscina"}, "Scegli il servizio."),
        ({"amount": ""}, "Inserisci un importo."),
        ({"amount": "0"}, "L&#x27;importo deve essere maggiore di zero."),
        ({"amount": "-5"}, "L&#x27;importo non può essere negativo."),
        ({"amount": "dodici"}, "Scrivi solo cifre, con la virgola per i decimali"),
        ({"amount": "12,505"}, "Al massimo due cifre dopo la virgola."),
        ({"amount": "5.000,01"}, "L&#x27;importo massimo è 5.000,00 €."),
        ({"causale": ""}, "Scrivi la causale."),
        ({"causale": "x" * 141}, "La causale può avere al massimo 140 caratteri."),
        ({"causale": "Mensa dieta per celiachia"}, "non può contenere dati sanitari"),
        ({"due_date": _day(-1)}, "La scadenza non può essere nel passato."),
        ({"due_date": "31/02/2027"}, "Scrivi la data come gg/mm/aaaa"),
        ({"due_date": ""}, "Indica la scadenza."),
        ({"instalments": "0"}, "Scrivi un numero da 1 a 12."),
        ({"instalments": "13"}, "Scrivi un numero da 1 a 12."),
        ({"instalments": "due"}, "Scrivi un numero da 1 a 12."),
        ({"instalments": "3", "instalment_dates": f"{_day(10)} {_day(40)}"}, "Hai indicato 2 scadenze per 3 rate"),
        ({"instalments": "2", "instalment_dates": f"{_day(40)} {_day(10)}"}, "devono essere in ordine"),
        ({"instalments": "2", "instalment_dates": f"{_day(-3)} {_day(10)}"}, "prima rata non può essere nel passato"),
        ({"instalments": "2", "instalment_dates": "domani 31/13/2027"}, "«domani» non è una data"),
        ({"instalments": "1", "instalment_dates": _day(10)}, "servono solo con più di una rata"),
        ({"amount": "0,05", "instalments": "12"}, "troppo piccolo per 12 rate"),
    ],
)
def test_each_invalid_input_is_refused_in_italian_on_the_same_page_input_kept(clerk_client, giulia, changes, message):
    if changes.get("payer_cf") == "STRANGER":
        changes = {"payer_cf": parent_make(first_name="Estraneo").codice_fiscale}
    data = _form(giulia, **changes)
    response = clerk_client.post(reverse(URL), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'class="errorlist' in body
    assert 'value="Duplicato tessera trasporto a.s. 2026/2027"' in body or "causale" in changes  # input kept
    assert f'value="{giulia.codice_fiscale}"' in body or "child_cf" in changes
    assert not PaymentNotice.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_a_revoked_delegate_is_not_a_payer(clerk_client, giulia, other_parent):
    grant = delegate_add(child=giulia, adult=other_parent)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    response = clerk_client.post(reverse(URL), _form(giulia, payer_cf=other_parent.codice_fiscale))
    assert response.status_code == 200
    assert "delegato attivo" in response.content.decode()
    assert not PaymentNotice.objects.exists()


def test_the_child_is_prefilled_from_the_query_string(clerk_client, giulia):
    body = clerk_client.get(reverse(URL), {"bambino": giulia.codice_fiscale}).content.decode()
    assert f'value="{giulia.codice_fiscale}"' in body


def test_cancelling_from_the_admin_tells_the_payer_why(
    clerk_client, giulia, parent, django_capture_on_commit_callbacks, mailoutbox
):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    clerk_client.post(reverse(URL), _form(giulia))
    notice = PaymentNotice.objects.get()
    url = reverse("admin:payments_paymentnotice_changelist")
    data = {"action": "cancel_notices", ACTION_CHECKBOX_NAME: [notice.pk]}
    assert "Il pagatore lo legge nell" in clerk_client.post(url, data).content.decode()  # the clerk is warned
    with django_capture_on_commit_callbacks(execute=True):
        clerk_client.post(url, {**data, "apply": "1", "reason": "Tessera ritrovata dalla scuola"})
    [sent] = [message for message in mailoutbox if message.subject.startswith("Avviso di pagamento annullato")]
    assert sent.to == [parent.email]
    assert "Tessera ritrovata dalla scuola" in sent.body
