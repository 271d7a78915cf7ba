#!/usr/bin/env python
import atexit
import gc
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidtrack.settings")
    # What a command loads lives until the process ends. At exit the collector would trace all of
    # it (Django, Celery, GDAL, DRF: half a second of every command, the daily import included);
    # frozen, it is freed without that pass. Registered first, so it runs after every other handler.
    atexit.register(gc.freeze)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
