"""Imported families: activation codes, claiming with the code, linking by verified e-mail."""

import datetime
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.urls import reverse
from django.utils import timezone

from accounts import errors, selectors, services
from accounts.errors import FamilyRuleError
from accounts.models import Child, FamilyEvent, Guardianship, ImportedAdult
from tests.conftest import PASSWORD, make_user

from .conftest import (
    CODE_SHAPE,
    children_of,
    claim_with_a_new_letter,
    import_family,
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
