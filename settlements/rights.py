"""Who may add, change or delete which record: one check, used by the admin, the API and the services.

The roles (settlements.roles) give model permissions: what kind of record a user may add, change or
delete. On top of them, a record an organisation answers for (`OWNED_BY`: the request it made, the
pledge it gave, the delivery it made, the organisation itself) is changed only by the organisation's
members (`Organization.members`), by Managers and by superusers. Such a record with no organisation,
like a need the daily list created, is left to Managers. Everyone who may view sees every
organisation's records.

Writes by the system itself (the import, the demo data) pass `user=None` and are not checked here.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# model name -> the field naming the organisation that answers for the record
OWNED_BY = {
    "aidrequest": "requesting_organization",
    "pledge": "organization",
    "delivery": "delivering_organization",
    "organization": "id",
}
EDIT_EVERY_ORGANIZATION = "settlements.edit_every_organization"
VERBS = {
    "view": gettext_lazy("view"),
    "add": gettext_lazy("add"),
    "change": gettext_lazy("change"),
    "delete": gettext_lazy("delete"),
}


def edits_every_organization(user) -> bool:
    return user.is_superuser or user.has_perm(EDIT_EVERY_ORGANIZATION)


def organizations_of(user) -> frozenset[int]:
    """The organisations `user` belongs to, read once per user object (once per request)."""
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "_aidtrack_organizations"):
        user._aidtrack_organizations = frozenset(user.organizations.values_list("pk", flat=True))
    return user._aidtrack_organizations


def owner_field(obj) -> str | None:
    """The name of the field that says which organisation answers for `obj` (None: nobody does)."""
    return OWNED_BY.get(obj._meta.model_name)


def owner_id(obj) -> int | None:
    field = owner_field(obj)
    return None if field is None else getattr(obj, obj._meta.get_field(field).attname)


def may(user, action: str, obj) -> bool:
    """May `user` add, change or delete (`action`) `obj`? `obj` is a record, or a model class for
    the question "any such record" that the admin asks before it has one."""
    opts = obj._meta
    if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        return False
    if action == "view" or isinstance(obj, type) or owner_field(obj) is None or edits_every_organization(user):
        return True
    organization = owner_id(obj)
    return organization is not None and organization in organizations_of(user)


def check(user, action: str, obj) -> None:
    """Raise PermissionDenied, saying why, unless `user` may do `action` to `obj`. A change is
    checked on the record as stored (whose it is now) and as it would be saved (whose it becomes)."""
    if user is None:
        return
    versions = [obj]
    if action != "add" and obj.pk is not None:
        stored = type(obj)._base_manager.filter(pk=obj.pk).first()
        versions = [stored, obj] if stored is not None else versions
    for version in versions:
        if not may(user, action, version):
            raise PermissionDenied(refusal(user, action, version))


def check_all(user, action: str, objs) -> None:
    """`check` for records just read from the database, so already as stored."""
    if user is None:
        return
    for obj in objs:
        if not may(user, action, obj):
            raise PermissionDenied(refusal(user, action, obj))


def refusal(user, action: str, obj) -> str:
    opts = obj._meta
    if not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        return _("Your role does not let you %(action)s records of this kind (%(model)s).") % {
            "action": VERBS[action],
            "model": opts.verbose_name,
        }
    if owner_id(obj) is None:
        return _("This %(model)s has no organisation: only Managers change it.") % {"model": opts.verbose_name}
    return _("Only members of the organisation that answers for this %(model)s, or a Manager, can change it.") % {
        "model": opts.verbose_name
    }
