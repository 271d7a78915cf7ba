"""The three working roles. Superusers can do everything; these groups cover everyone else.

Coordinator: reads everything, changes nothing.
Staff: enters and corrects camps, adds settlements and their aliases, resolves import review items,
conflicts with corrected figures and disagreements between sources, and starts and uploads imports;
enters aid requests, pledges and deliveries, and changes its organisations' details, for the
organisations it belongs to only (settlements.rights); never deletes a settlement and never manages users.
Manager: what staff do, for every organisation and for records with none (the daily list's needs);
adds organisations and decides who belongs to which; adds and changes list sources; is mailed every
failed or late import (an operator).
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

COORDINATOR = "Coordinator"
STAFF = "Staff"
MANAGER = "Manager"

APP = "settlements"
VIEW_ONLY = ["adminarea", "importrun", "listsnapshot", "listentry", "listchange", "figurecorrection", "listsource"]
VIEW_ONLY += ["sourcedisagreement"]
STAFF_RIGHTS = {
    "settlement": ["view", "add", "change"],
    "settlementalias": ["view", "add", "change", "delete"],
    "camp": ["view", "add", "change"],
    "organization": ["view", "change"],
    "aidrequest": ["view", "add", "change", "delete"],
    "delivery": ["view", "add", "change", "delete"],
    "pledge": ["view", "add", "change", "delete"],
    "reviewitem": ["view", "change"],
    "figureconflict": ["view", "change"],
    "importrun": ["run_import"],
}
MANAGER_RIGHTS = {
    **STAFF_RIGHTS,
    "organization": ["view", "add", "change", "edit_every_organization"],
    "listsource": ["view", "add", "change"],
    # Operators: told of every failed or late import, whatever they subscribed to.
    "subscription": ["receive_operator_alerts"],
}


def _codenames(rights: dict[str, list[str]]) -> set[str]:
    # Model permissions are action_model; custom ones (run_import) are named whole.
    return {action if "_" in action else f"{action}_{model}" for model, actions in rights.items() for action in actions}


def role_permissions() -> dict[str, set[str]]:
    """Permission codenames (in the settlements app) of each role."""
    every_model = [*VIEW_ONLY, *STAFF_RIGHTS]
    return {
        COORDINATOR: {f"view_{model}" for model in every_model},
        STAFF: _codenames(STAFF_RIGHTS) | {f"view_{model}" for model in VIEW_ONLY},
        MANAGER: _codenames(MANAGER_RIGHTS) | {f"view_{model}" for model in VIEW_ONLY},
    }


@transaction.atomic
def ensure_roles() -> list[str]:
    """Create or correct the role groups; returns the names of the groups that changed."""
    changed = []
    for name, codenames in role_permissions().items():
        group, created = Group.objects.get_or_create(name=name)
        wanted = set(Permission.objects.filter(content_type__app_label=APP, codename__in=codenames))
        missing = codenames - {p.codename for p in wanted}
        if missing:
            # Permissions appear after migrate; a caller too early gets a clear reason.
            raise LookupError(f"permissions not created yet: {', '.join(sorted(missing))}")
        if created or set(group.permissions.all()) != wanted:
            group.permissions.set(wanted)
            changed.append(name)
    return changed
