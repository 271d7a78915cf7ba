import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from settlements.roles import COORDINATOR, STAFF, role_permissions

pytestmark = pytest.mark.django_db


def codenames(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_migrate_creates_both_roles_with_their_permissions():
    assert codenames(COORDINATOR) == role_permissions()[COORDINATOR]
    assert codenames(STAFF) == role_permissions()[STAFF]


def test_coordinators_only_view():
    assert {code.split("_")[0] for code in codenames(COORDINATOR)} == {"view"}


def test_staff_never_delete_settlements_or_touch_users():
    staff = codenames(STAFF)

    assert "delete_settlement" not in staff
    assert not {code for code in staff if code.endswith(("_user", "_group", "_permission"))}
    assert {"add_aidrequest", "change_camp", "add_delivery", "change_organization"} <= staff


def test_setup_roles_repairs_a_tampered_group_and_is_quiet_when_nothing_changed(capsys):
    Group.objects.get(name=STAFF).permissions.clear()

    call_command("setup_roles")
    assert "Roles updated: Staff." in capsys.readouterr().out
    assert codenames(STAFF) == role_permissions()[STAFF]

    call_command("setup_roles")
    assert "already up to date" in capsys.readouterr().out


def test_managers_add_organisations_and_edit_every_organisations_records_staff_do_not():
    from settlements.roles import MANAGER

    manager, staff = codenames(MANAGER), codenames(STAFF)

    assert {"add_organization", "edit_every_organization"} <= manager
    assert not {"add_organization", "edit_every_organization"} & staff
    assert staff <= manager  # everything staff may, Managers may
    assert "delete_settlement" not in manager
    assert not {code for code in manager if code.endswith(("_user", "_group", "_permission"))}
