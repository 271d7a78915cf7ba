from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_roles(sender, using, **kwargs):
    from settlements.roles import ensure_roles

    ensure_roles()


def _new_data_version(sender, using, **kwargs):
    """Every deployment runs migrate: what the previous version cached (pages, map layers, figures, in the
    shapes its code wrote them) is left behind for the new version's code to build afresh."""
    from settlements.caching import data_changed

    data_changed()


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Settlements and aid")

    def ready(self):
        from settlements import signals  # noqa: F401  (connects the login handler)
        from settlements.alerts import receivers  # noqa: F401  (alerts after each import)

        # Model permissions exist only after migrate, so the role groups follow them.
        post_migrate.connect(_create_roles, sender=self, dispatch_uid="settlements.create_roles")
        post_migrate.connect(_new_data_version, sender=self, dispatch_uid="settlements.new_data_version")
