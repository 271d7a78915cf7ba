import os

from django.core.wsgi import get_wsgi_application
from django.urls import reverse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidtrack.settings")

application = get_wsgi_application()
# Load every view module now, as the worker boots, rather than in its first visitor's request
# (0.4 s on this machine, longer beside a busy neighbour).
reverse("home")
