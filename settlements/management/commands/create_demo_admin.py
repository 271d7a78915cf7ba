import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create the demo superuser once and print its password; later runs leave it alone."

    def handle(self, *args, **options):
        User = get_user_model()
        if User.objects.filter(username=USERNAME).exists():
            self.stdout.write(f"Demo superuser {USERNAME!r} exists; its password was printed when it was created.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(USERNAME, email="admin@aidtrack.invalid", password=password)
        banner = "=" * 60
        self.stdout.write(
            self.style.SUCCESS(
                f"{banner}\nDemo superuser created (shown this once):\n"
                f"  username: {USERNAME}\n  password: {password}\n"
                f"Reset it with: .venv/bin/python manage.py changepassword {USERNAME}\n{banner}"
            )
        )
