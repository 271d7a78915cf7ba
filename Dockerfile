# One image for web, worker and beat.

# Browser libraries (Supercluster, Chart.js) from the npm registry, pinned by package-lock.json.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
COPY scripts/vendor-assets.sh scripts/
RUN scripts/vendor-assets.sh

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STATIC_ROOT=/app/var/static

# postgresql-client: pg_dump and pg_restore for backup_database and restore_database; Pango: the
# situation report's PDF (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gdal-bin libgeos-c1v5 libproj25 gettext curl postgresql-client \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
COPY --from=assets /build/static/vendor static/vendor
# Build steps only read settings. collectstatic runs as production does (DEBUG off, hashed names)
# with a throwaway random key that no running container sees; tests/test_production_image.py runs
# this very line.
RUN export DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    && python manage.py collectstatic --noinput --verbosity 0
RUN DEBUG=1 python manage.py compilemessages --verbosity 0

RUN useradd --system --home /app aidtrack \
    && mkdir -p /app/var/exports /app/var/uploads /app/var/backups && chown -R aidtrack /app/var
USER aidtrack

EXPOSE 8000
# Workers, threads, timeouts and logs: gunicorn.conf.py (WEB_CONCURRENCY, WEB_THREADS, WEB_TIMEOUT).
CMD ["gunicorn", "aidtrack.wsgi:application"]
