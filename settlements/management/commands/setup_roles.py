from django.core.management.base import BaseCommand

from settlements.roles import ensure_roles


class Command(BaseCommand):
    help = "Create or correct the Coordinator and Staff groups and their permissions; safe to repeat."

    def handle(self, *args, **options):
        changed = ensure_roles()
        self.stdout.write(f"Roles updated: {', '.join(changed)}." if changed else "Roles already up to date.")
