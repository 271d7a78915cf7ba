from django.core.management.base import BaseCommand

from settlements.demo import load_demo_data


class Command(BaseCommand):
    help = "Add the labelled demo set (Rukban and Akerbat camps, their needs and deliveries); safe to repeat."

    def handle(self, *args, **options):
        if load_demo_data():
            self.stdout.write(self.style.SUCCESS("Demo camps, requests and deliveries added."))
        else:
            self.stdout.write("Demo data already present: nothing changed.")
