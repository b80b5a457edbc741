"""Imported families: activation codes, letters (PDF and admin action), claiming with the code or by e-mail."""

import datetime
import re
import subprocess
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import errors, selectors, services
from accounts.errors import FamilyRuleError
from accounts.letters import activation_letters_pdf, print_activation_letters
from accounts.models import Child, FamilyEvent, Guardianship, ImportedAdult
from tests.conftest import PASSWORD, make_user

CODE_SHAPE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}(-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}){2}$")


def import_family(*, codice_fiscale: str, first_name: str, last_name: str, email: str = "", children=()):
    """What the CSV import leaves behind: an ImportedAdult and its children, with no guardianship."""
    adult = ImportedAdult.objects.create(
        codice_fiscale=codice_fiscale, first_name=first_name, last_name=last_name, email=email
    )
    for cf, name, birth_date, sex in children:
        Child.objects.create(
            codice_fiscale=cf,
            first_name=name,
            last_name=last_name,
            birth_date=birth_date,
            sex=sex,
            imported_from=adult,
        )
    return adult


@pytest.fixture
def staff(legal_documents):
    user = make_user(
        codice_fiscale="VRDGLI79P61A944R",
        email="ufficio@example.it",
        documents=legal_documents,
        is_staff=True,
        is_superuser=True,
    )
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def rossi(parent):
    """The imported family of the `parent` fixture (same CF): Giulia and Luca."""
    return import_family(
        codice_fiscale=parent.codice_fiscale,
        first_name="Maria",
        last_name="Rossi",
        email="maria.vecchia@example.it",
        children=[
            ("RSSGLI18C52H501V", "Giulia", datetime.date(2018, 3, 12), "F"),
            ("RSSLCU15A01H501W", "Luca", datetime.date(2015, 1, 1), "M"),
        ],
    )


@pytest.fixture
def bianchi(other_parent):
    """The imported family of `other_parent`: Sofia."""
    return import_family(
        codice_fiscale=other_parent.codice_fiscale,
        first_name="Luca",
        last_name="Bianchi",
        children=[("BNCSFO16D45F205Z", "Sofia", datetime.date(2016, 4, 5), "F")],
    )


def claim_with_a_new_letter(family, user, staff):
    return services.imported_family_claim(
        user=user, code=services.activation_letter_issue(imported_adult=family, actor=staff)
    )


def children_of(user) -> set[str]:
    return set(
        Guardianship.objects.filter(adult=user, revoked_at__isnull=True).values_list("child__first_name", flat=True)
    )


# --- codes ------------------------------------------------------------------------------------


def test_issue_stores_only_a_digest_and_logs_the_letter(rossi, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)

    assert CODE_SHAPE.match(code), code
    rossi.refresh_from_db()
    assert re.fullmatch(r"[0-9a-f]{64}", rossi.activation_code_digest)
    stored = " ".join(str(value) for value in ImportedAdult.objects.filter(pk=rossi.pk).values().get().values())
    assert services.activation_code_normalize(code=code) not in stored
    assert code not in stored
    assert rossi.letter_issued_at is not None
    event = FamilyEvent.objects.get(action=FamilyEvent.Action.LETTER_ISSUED)
    assert (event.child, event.subject, event.actor) == (None, None, staff)
    assert rossi.codice_fiscale in event.reason


def test_codes_are_random_and_normalised_as_typed():
    codes = {services.activation_code_generate() for _ in range(50)}
    assert len(codes) == 50
    assert services.activation_code_normalize(code=" abcd-efgh \u2013 jkmn ") == "ABCDEFGHJKMN"
    assert services.activation_code_is_well_formed(code="abcd efgh jkmn")
    assert not services.activation_code_is_well_formed(code="ABCD-EFGH-JKM0")  # 0 is never in a code


def test_reissue_replaces_the_previous_code(rossi, parent, staff):
    old = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    new = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    assert old != new

    with pytest.raises(errors.ActivationCodeInvalidError):
        services.imported_family_claim(user=parent, code=old)
    assert services.imported_family_claim(user=parent, code=new)
    assert FamilyEvent.objects.filter(action=FamilyEvent.Action.LETTER_ISSUED).count() == 2


def test_no_letter_for_a_family_already_linked(rossi, parent, staff):
    claim_with_a_new_letter(rossi, parent, staff)
    with pytest.raises(errors.ImportedFamilyAlreadyClaimedError):
        services.activation_letter_issue(imported_adult=rossi, actor=staff)


# --- claiming with the code -------------------------------------------------------------------


def test_claim_links_every_child_as_reference_once(rossi, parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)

    claimed = services.imported_family_claim(user=parent, code=f"  {code.lower().replace('-', ' ')} ")

    assert [child.first_name for child in claimed] == ["Luca", "Giulia"]  # oldest first
    assert claimed.skipped == []
    guardianships = Guardianship.objects.filter(child__imported_from=rossi)
    assert {(g.adult, g.role, g.granted_by) for g in guardianships} == {(parent, "reference", parent)}
    assert guardianships.count() == 2
    events = FamilyEvent.objects.filter(action=FamilyEvent.Action.CHILD_CLAIMED)
    assert {(e.child.first_name, e.actor, e.subject) for e in events} == {
        ("Giulia", parent, parent),
        ("Luca", parent, parent),
    }
    rossi.refresh_from_db()
    assert (rossi.claimed_by, rossi.activation_code_digest) == (parent, "")
    assert rossi.claimed_at is not None
    assert selectors.imported_family_get_for_user(user=parent) is None


def test_claimed_children_is_a_list_of_children(rossi, parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    claimed = services.imported_family_claim(user=parent, code=code)
    assert isinstance(claimed, list)
    assert all(isinstance(child, Child) for child in claimed)


def test_wrong_code_is_refused_and_links_nothing(rossi, parent, staff):
    services.activation_letter_issue(imported_adult=rossi, actor=staff)

    with pytest.raises(FamilyRuleError) as excinfo:
        services.imported_family_claim(user=parent, code="ABCD-EFGH-JKMN")

    assert isinstance(excinfo.value, errors.ActivationCodeInvalidError)
    assert "non è valido" in str(excinfo.value)
    assert not Guardianship.objects.exists()
    rossi.refresh_from_db()
    assert rossi.claimed_at is None


def test_the_code_of_another_familys_letter_gets_the_same_answer(rossi, bianchi, parent, other_parent, staff):
    services.activation_letter_issue(imported_adult=rossi, actor=staff)
    bianchi_code = services.activation_letter_issue(imported_adult=bianchi, actor=staff)

    with pytest.raises(errors.ActivationCodeInvalidError) as other_family:
        services.imported_family_claim(user=parent, code=bianchi_code)
    with pytest.raises(errors.ActivationCodeInvalidError) as wrong:
        services.imported_family_claim(user=parent, code="ABCD-EFGH-JKMN")

    assert str(other_family.value) == str(wrong.value)
    assert not Guardianship.objects.exists()
    # The Bianchi letter still works for its own CF.
    assert [child.first_name for child in services.imported_family_claim(user=other_parent, code=bianchi_code)] == [
        "Sofia"
    ]


def test_a_user_with_no_imported_family_gets_the_same_answer(parent, bianchi, staff):
    code = services.activation_letter_issue(imported_adult=bianchi, actor=staff)
    with pytest.raises(errors.ActivationCodeInvalidError):
        services.imported_family_claim(user=parent, code=code)  # parent has no ImportedAdult at all


def test_a_code_works_once(rossi, parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    services.imported_family_claim(user=parent, code=code)

    with pytest.raises(FamilyRuleError):
        services.imported_family_claim(user=parent, code=code)
    assert Guardianship.objects.filter(adult=parent).count() == 2
    assert FamilyEvent.objects.filter(action=FamilyEvent.Action.CHILD_CLAIMED).count() == 2


def test_an_expired_code_is_refused(rossi, parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    ImportedAdult.objects.filter(pk=rossi.pk).update(
        letter_issued_at=timezone.now() - services.CODE_VALIDITY - timedelta(minutes=1)
    )
    with pytest.raises(errors.ActivationCodeExpiredError):
        services.imported_family_claim(user=parent, code=code)
    assert not Guardianship.objects.exists()


def test_after_five_wrong_codes_in_an_hour_even_the_right_one_must_wait(rossi, parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    for _ in range(services.MAX_FAILED_ATTEMPTS):
        with pytest.raises(errors.ActivationCodeInvalidError):
            services.imported_family_claim(user=parent, code="ABCD-EFGH-JKMN")

    with pytest.raises(errors.ActivationRateLimitedError) as excinfo:
        services.imported_family_claim(user=parent, code=code)
    assert "riprova tra un'ora" in str(excinfo.value)
    assert not Guardianship.objects.exists()


def test_the_limit_is_per_user(rossi, bianchi, parent, other_parent, staff):
    bianchi_code = services.activation_letter_issue(imported_adult=bianchi, actor=staff)
    for _ in range(services.MAX_FAILED_ATTEMPTS):
        with pytest.raises(errors.ActivationCodeInvalidError):
            services.imported_family_claim(user=parent, code="ABCD-EFGH-JKMN")
    assert services.imported_family_claim(user=other_parent, code=bianchi_code)


def test_a_child_that_meanwhile_has_another_reference_is_skipped_and_reported(rossi, parent, other_parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    giulia = Child.objects.get(first_name="Giulia")
    Guardianship.objects.create(adult=other_parent, child=giulia, role="reference", granted_by=staff)

    claimed = services.imported_family_claim(user=parent, code=code)

    assert [child.first_name for child in claimed] == ["Luca"]
    assert [child.first_name for child in claimed.skipped] == ["Giulia"]
    assert children_of(parent) == {"Luca"}
    assert children_of(other_parent) == {"Giulia"}


# --- linking by verified e-mail ---------------------------------------------------------------


def test_auto_claim_with_the_verified_imported_email(legal_documents):
    user = make_user(codice_fiscale="RSSMRA85C52H501N", email="Maria.Rossi@Example.it", documents=legal_documents)
    import_family(
        codice_fiscale=user.codice_fiscale,
        first_name="Maria",
        last_name="Rossi",
        email="maria.rossi@example.it",
        children=[("RSSGLI18C52H501V", "Giulia", datetime.date(2018, 3, 12), "F")],
    )
    claimed = services.imported_family_auto_claim(user=user)
    assert [child.first_name for child in claimed] == ["Giulia"]
    assert FamilyEvent.objects.get(action=FamilyEvent.Action.CHILD_CLAIMED).actor == user
    assert services.imported_family_auto_claim(user=user) == []  # idempotent


def test_no_auto_claim_with_an_unverified_email(legal_documents):
    user = make_user(
        codice_fiscale="RSSMRA85C52H501N", email="maria.rossi@example.it", verified=False, documents=legal_documents
    )
    import_family(
        codice_fiscale=user.codice_fiscale,
        first_name="Maria",
        last_name="Rossi",
        email="maria.rossi@example.it",
        children=[("RSSGLI18C52H501V", "Giulia", datetime.date(2018, 3, 12), "F")],
    )
    assert services.imported_family_auto_claim(user=user) == []
    assert not Guardianship.objects.exists()


def test_no_auto_claim_with_a_different_email(rossi, parent):
    assert rossi.email != parent.email
    assert services.imported_family_auto_claim(user=parent) == []
    assert not Guardianship.objects.exists()


def test_no_auto_claim_of_another_cfs_family_even_with_the_same_email(parent):
    import_family(
        codice_fiscale="BNCLCU82L04F205H",
        first_name="Luca",
        last_name="Bianchi",
        email=parent.email,
        children=[("BNCSFO16D45F205Z", "Sofia", datetime.date(2016, 4, 5), "F")],
    )
    assert services.imported_family_auto_claim(user=parent) == []
    assert not Guardianship.objects.exists()


def test_auto_claim_costs_one_query_when_there_is_nothing_to_claim(rossi, parent, django_assert_num_queries):
    with django_assert_num_queries(1):
        services.imported_family_auto_claim(user=parent)


def test_auto_claim_at_login(client, legal_documents):
    user = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria.rossi@example.it", documents=legal_documents)
    import_family(
        codice_fiscale=user.codice_fiscale,
        first_name="Maria",
        last_name="Rossi",
        email="MARIA.ROSSI@example.it",
        children=[("RSSGLI18C52H501V", "Giulia", datetime.date(2018, 3, 12), "F")],
    )
    response = client.post(reverse("account_login"), {"login": user.codice_fiscale, "password": PASSWORD}, follow=True)
    assert children_of(user) == {"Giulia"}
    assert "Fatto: Giulia ora fa parte della tua famiglia" in response.content.decode()


def test_auto_claim_when_the_email_is_confirmed(client, legal_documents):
    user = make_user(
        codice_fiscale="RSSMRA85C52H501N", email="maria.rossi@example.it", verified=False, documents=legal_documents
    )
    import_family(
        codice_fiscale=user.codice_fiscale,
        first_name="Maria",
        last_name="Rossi",
        email="maria.rossi@example.it",
        children=[("RSSGLI18C52H501V", "Giulia", datetime.date(2018, 3, 12), "F")],
    )
    key = EmailConfirmationHMAC(EmailAddress.objects.get(user=user)).key
    client.post(reverse("account_confirm_email", kwargs={"key": key}))
    assert EmailAddress.objects.get(user=user).verified
    assert children_of(user) == {"Giulia"}


# --- letters ----------------------------------------------------------------------------------


def poppler(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    """Run a poppler-utils command (pdfinfo, pdftotext) on the PDF; its standard output."""
    path = tmp_path / "letters.pdf"
    path.write_bytes(pdf)
    command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def pdf_pages(pdf: bytes, tmp_path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)$", poppler("pdfinfo", pdf, tmp_path), re.MULTILINE).group(1))


def pdf_text(pdf: bytes, tmp_path) -> str:
    return poppler("pdftotext", pdf, tmp_path, "-layout")


def test_letters_pdf_one_page_per_family_with_code_and_children(rossi, bianchi, parent, staff, tmp_path):
    pdf = activation_letters_pdf(
        imported_adults=[rossi, bianchi], actor=staff, portal_url="https://scuola.example.it/account/signup/"
    )

    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf, tmp_path) == 2
    text = pdf_text(pdf, tmp_path)
    pages = text.split("\f")
    assert "Giulia Rossi" in pages[0]
    assert "Luca Rossi" in pages[0]
    assert "Sofia Bianchi" in pages[1]
    assert "Sofia" not in pages[0]
    assert "scuola.example.it/account/signup/" in text
    # The code printed on Maria Rossi's page is the one that works for her.
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", pages[0]).group(1)
    assert services.imported_family_claim(user=parent, code=code)


def test_a_letter_with_many_children_stays_on_one_page(staff, tmp_path, legal_documents):
    family = import_family(
        codice_fiscale="BNCLCU82L04F205H",
        first_name="Luca",
        last_name="Bianchi Dell'Acqua",
        children=[
            (f"BNCXXX1{i}A01H501X", name, datetime.date(2010 + i, 1, 1), "F")
            for i, name in enumerate(["Sofia", "Anna", "Bianca", "Carla", "Dora", "Elena"])
        ],
    )
    pdf = activation_letters_pdf(imported_adults=[family], actor=staff)
    assert pdf_pages(pdf, tmp_path) == 1
    assert "Elena Bianchi Dell'Acqua" in pdf_text(pdf, tmp_path)


def test_a_failed_render_replaces_no_code(rossi, parent, staff, monkeypatch):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    monkeypatch.setattr("accounts.letters.render_to_string", lambda *args, **kwargs: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        activation_letters_pdf(imported_adults=[rossi], actor=staff)

    assert FamilyEvent.objects.filter(action=FamilyEvent.Action.LETTER_ISSUED).count() == 1
    assert services.imported_family_claim(user=parent, code=code)  # the letter already sent still works


def admin_request(user):
    request = RequestFactory().post("/admin/accounts/importedadult/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_admin_action_returns_a_pdf_of_the_families_still_to_link(rossi, bianchi, parent, staff, tmp_path):
    claim_with_a_new_letter(rossi, parent, staff)
    modeladmin = admin.ModelAdmin(ImportedAdult, admin.site)
    request = admin_request(staff)

    response = print_activation_letters(modeladmin, request, ImportedAdult.objects.all())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="lettere-attivazione-')
    assert pdf_pages(response.content, tmp_path) == 1  # the Rossi family is linked already
    assert "Sofia Bianchi" in pdf_text(response.content, tmp_path)
    assert "http://testserver/account/signup/" not in pdf_text(response.content, tmp_path)  # printed without scheme
    assert "testserver/account/signup/" in pdf_text(response.content, tmp_path)
    texts = [str(m) for m in get_messages(request)]
    assert any("1 famiglia esclusa" in t for t in texts), texts
    assert print_activation_letters.short_description == "Stampa lettere di attivazione"


def test_admin_action_with_nothing_to_print(rossi, parent, staff):
    claim_with_a_new_letter(rossi, parent, staff)
    request = admin_request(staff)
    response = print_activation_letters(
        admin.ModelAdmin(ImportedAdult, admin.site), request, ImportedAdult.objects.all()
    )
    assert response is None
    assert "Nessuna lettera da stampare." in [str(m) for m in get_messages(request)]


# --- pages ------------------------------------------------------------------------------------


def test_activation_page_needs_login(client):
    url = reverse("accounts:activate")
    assert url == "/famiglia/attiva/"
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_family_page_shows_the_callout_only_while_a_family_waits(parent_client, rossi, parent, staff):
    body = parent_client.get(reverse("accounts:family")).content.decode()
    assert reverse("accounts:activate") in body
    assert "Giulia" not in body  # the children are shown only after the code

    claim_with_a_new_letter(rossi, parent, staff)
    body = parent_client.get(reverse("accounts:family")).content.decode()
    assert reverse("accounts:activate") not in body
    assert "Giulia Rossi" in body


def test_activation_page_links_the_children(parent_client, rossi, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    assert parent_client.get(reverse("accounts:activate")).status_code == 200

    response = parent_client.post(reverse("accounts:activate"), {"code": code.lower().replace("-", " ")}, follow=True)

    assert response.redirect_chain == [(reverse("accounts:family"), 302)]
    body = response.content.decode()
    assert "Fatto: Luca e Giulia ora fanno parte della tua famiglia" in body
    assert "Giulia Rossi" in body
    assert "Luca Rossi" in body


def test_activation_page_wrong_code_keeps_the_input(parent_client, rossi, staff):
    services.activation_letter_issue(imported_adult=rossi, actor=staff)
    response = parent_client.post(reverse("accounts:activate"), {"code": "abcd-efgh-jkmn"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Il codice non è valido" in body
    assert 'value="abcd-efgh-jkmn"' in body
    assert 'aria-invalid="true"' in body
    assert not Guardianship.objects.exists()


def test_activation_page_explains_a_malformed_code_without_counting_it(parent_client, parent, rossi, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    for typed in ("ABCD-EFGH", "ABCD-EFGH-JKM0"):
        for _ in range(services.MAX_FAILED_ATTEMPTS):
            response = parent_client.post(reverse("accounts:activate"), {"code": typed})
            assert response.status_code == 200
    body = response.content.decode()
    assert "non ci sono 0, 1, I, L e O" in body
    assert services.imported_family_claim(user=parent, code=code)  # no attempt was counted


def test_activation_page_says_to_try_later_after_five_wrong_codes(parent_client, rossi, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    for _ in range(services.MAX_FAILED_ATTEMPTS):
        parent_client.post(reverse("accounts:activate"), {"code": "ABCD-EFGH-JKMN"})
    response = parent_client.post(reverse("accounts:activate"), {"code": code})
    assert response.status_code == 200
    assert "riprova tra un&#x27;ora" in response.content.decode()
    assert not Guardianship.objects.exists()


def test_activation_page_without_a_family_to_link(parent_client):
    response = parent_client.get(reverse("accounts:activate"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Non ci sono figli da collegare" in body
    assert '<form method="post" novalidate' not in body
    assert parent_client.post(reverse("accounts:activate"), {"code": "ABCD-EFGH-JKMN"}).status_code == 200


def test_activation_page_reports_a_child_with_another_reference(parent_client, rossi, other_parent, staff):
    code = services.activation_letter_issue(imported_adult=rossi, actor=staff)
    giulia = Child.objects.get(first_name="Giulia")
    Guardianship.objects.create(adult=other_parent, child=giulia, role="reference", granted_by=staff)

    body = parent_client.post(reverse("accounts:activate"), {"code": code}, follow=True).content.decode()

    assert "Fatto: Luca ora fa parte della tua famiglia" in body
    assert "Per Giulia Rossi risulta già un altro adulto di riferimento" in body
