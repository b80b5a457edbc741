"""The office works in groups, not as superusers (issue 10, item 13): the migration's groups, what each member sees in
the admin, the demo office user, and a staff user's own menu."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts.groups import ACCOUNTS_OFFICE_GROUP, OFFICE_GROUP, OFFICE_GROUP_WITH_HEALTH_DATA
from accounts.models import User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def _member(legal_documents, group_name: str, *, cf: str = "VRDGLI79P61A944R", email: str = "ufficio@example.it"):
    user = make_user(codice_fiscale=cf, email=email, documents=legal_documents, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    TOTP.activate(user, generate_totp_secret())
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached on the object


def test_the_migration_creates_the_three_office_groups_with_their_permissions():
    office = _codenames(OFFICE_GROUP)
    health = _codenames(OFFICE_GROUP_WITH_HEALTH_DATA)
    accounting = _codenames(ACCOUNTS_OFFICE_GROUP)

    assert {"enrollment.change_enrollment", "payments.add_paymentnotice", "payments.add_ledgerentry"} <= office
    assert {"enrollment.change_tariffplan", "accounts.view_child", "payments.view_receipt"} <= office
    assert (
        not {"enrollment.view_health_data", "enrollment.view_medicaldiet", "enrollment.view_healthdataaccess"} & office
    )
    assert not [name for name in office | health | accounting if ".delete_" in name]
    assert health == office | {
        "enrollment.view_health_data",
        "enrollment.view_medicaldiet",
        "enrollment.change_medicaldiet",
        "enrollment.view_healthdataaccess",
    }
    assert {"payments.view_receipt", "payments.view_ledgerentry", "payments.view_balance"} <= accounting
    assert all(".view_" in name for name in accounting)
    assert "enrollment.view_health_data" not in accounting
    assert not [name for name in office | health | accounting if name.startswith(("mockpsp.", "sites.", "auth."))]


def test_an_office_clerk_sees_the_office_models_and_not_the_fake_platform_sites_or_groups(client, legal_documents):
    client.force_login(_member(legal_documents, OFFICE_GROUP))

    page = client.get(reverse("admin:index"))

    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("admin:enrollment_enrollment_changelist") in body
    assert reverse("admin:payments_paymentnotice_changelist") in body
    assert "/admin/mockpsp/" not in body
    assert "/admin/sites/" not in body
    assert "/admin/auth/group/" not in body
    assert reverse("admin:enrollment_healthdataaccess_changelist") not in body
    assert client.get(reverse("admin:payments_receipt_changelist")).status_code == 200


def test_ragioneria_reads_receipts_and_the_report_but_changes_no_enrollment(client, legal_documents):
    clerk = _member(legal_documents, ACCOUNTS_OFFICE_GROUP)
    client.force_login(clerk)

    assert client.get(reverse("admin:payments_receipt_changelist")).status_code == 200
    assert client.get(reverse("admin:payments_receipt_report")).status_code == 200
    assert not clerk.has_perm("enrollment.change_enrollment")
    assert client.get(reverse("admin:enrollment_enrollment_add")).status_code == 403


def test_a_clerk_cannot_grant_staff_groups_or_permissions_nor_change_a_staff_account(client, legal_documents):
    clerk = _member(legal_documents, OFFICE_GROUP)
    parent = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    boss = make_user(
        codice_fiscale="BNCLCU82L04F205H", email="capo@example.it", documents=legal_documents, is_staff=True
    )
    client.force_login(clerk)

    page = client.get(reverse("admin:accounts_user_change", args=[parent.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    assert 'name="groups"' not in page.content.decode()
    own = client.get(reverse("admin:accounts_user_change", args=[clerk.pk]))
    assert 'name="email"' not in own.content.decode()  # a staff account is read-only to a clerk, their own too
    client.post(reverse("admin:accounts_user_change", args=[boss.pk]), {"email": "mine@example.it"})
    boss.refresh_from_db()
    assert boss.email == "capo@example.it"
    assert client.get(reverse("admin:auth_user_password_change", args=[boss.pk])).status_code == 403


def test_the_demo_office_user_is_a_group_member_not_a_superuser(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")

    office = User.objects.get(is_staff=True)

    assert not office.is_superuser
    assert list(office.groups.values_list("name", flat=True)) == [OFFICE_GROUP_WITH_HEALTH_DATA]
    assert office.has_perm("enrollment.view_health_data")
    assert not office.has_perm("mockpsp.view_debtposition")


def test_a_staff_users_menu_shows_the_office_and_their_account_not_the_parent_pages(client, legal_documents):
    client.force_login(_member(legal_documents, OFFICE_GROUP))

    body = client.get(reverse("accounts:profile_edit")).content.decode()
    menu = body[body.index('id="main-menu"') :]
    menu = menu[: menu.index("</nav>")]

    assert reverse("admin:index") in menu
    assert reverse("mfa_index") in menu
    for parent_page in ("accounts:family", "enrollment:list", "payments:notices", "accounts:privacy_center"):
        assert f'href="{reverse(parent_page)}"' not in menu
    assert menu.count('class="nav-item"') <= 5


def test_a_parents_menu_keeps_the_family_pages_and_has_no_office_link(client, legal_documents):
    parent = make_user(codice_fiscale="RSSMRA85C52H501N", email="maria@example.it", documents=legal_documents)
    client.force_login(parent)

    body = client.get(reverse("accounts:profile_edit")).content.decode()
    menu = body[body.index('id="main-menu"') :]
    menu = menu[: menu.index("</nav>")]

    assert f'href="{reverse("accounts:family")}"' in menu
    assert f'href="{reverse("admin:index")}"' not in menu


def test_the_admin_has_the_portals_icon(client, legal_documents):
    client.force_login(_member(legal_documents, OFFICE_GROUP))
    assert 'rel="icon" href="/static/img/favicon.svg' in client.get(reverse("admin:index")).content.decode()
