import time

from django.core.management.base import BaseCommand

from settlements.gazetteer import load_gazetteer


class Command(BaseCommand):
    help = "Load Syria's admin areas and 5,251 communities from the shipped gazetteer; safe to repeat."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = load_gazetteer()
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"{result.summary()} ({elapsed:.1f} s)"))
