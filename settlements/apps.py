from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_roles(sender, using, **kwargs):
    from settlements.roles import ensure_roles

    ensure_roles()


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("Settlements and aid")

    def ready(self):
        from settlements import signals  # noqa: F401  (connects the login handler)
        from settlements.alerts import receivers  # noqa: F401  (alerts after each import)

        # Model permissions exist only after migrate, so the role groups follow them.
        post_migrate.connect(_create_roles, sender=self, dispatch_uid="settlements.create_roles")
