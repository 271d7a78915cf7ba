"""`makemessages` that looks only at AidTrack's own code: the virtualenv, collected static files,
npm's vendored libraries, benchmarks and tests hold no interface text of ours."""

from django.core.management.commands import makemessages

IGNORED = ["var/*", "node_modules/*", "static/vendor/*", "bench/*", "tests/*", "test-artifacts/*", "docs/*"]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        return super().handle(*args, **options)
