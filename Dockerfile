# syntax=docker/dockerfile:1
# The portal's production image: gunicorn serving Django (static files through whitenoise), and the same
# image runs the Celery worker and beat (see docker-compose.yml). Build: docker build -t portale-servizi-scolastici .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WEB_CONCURRENCY=3

# gettext: compilemessages; Pango (+ HarfBuzz subsetting) and fonts: WeasyPrint's PDFs (receipts, certificates).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        gettext \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --create-home --home-dir /home/portal --shell /usr/sbin/nologin portal

WORKDIR /app

# Dependencies first (pinned in pyproject.toml, no dev extras), so that a code change reuses this layer.
# pyproject.toml declares no packages: `pip install .` installs the dependencies; the code runs from /app.
COPY pyproject.toml ./
RUN pip install . && rm -rf build ./*.egg-info

COPY . .

# Translations and static files are built into the image. Settings require DJANGO_SECRET_KEY and MFA_ENCRYPTION_KEY
# when not DEBUG: the keys below exist only for these two commands (they are not kept in the image's environment).
# DJANGO_DEBUG=false so that collectstatic writes whitenoise's compressed manifest, as production reads it.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only-not-a-secret MFA_ENCRYPTION_KEY=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc= \
        python manage.py compilemessages -v0 \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only-not-a-secret MFA_ENCRYPTION_KEY=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc= \
        python manage.py collectstatic --noinput -v0 \
    && mkdir -p /data/media \
    && chown portal:portal /data/media

# The code stays owned by root (read-only for the app); uploads and generated PDFs go to MEDIA_ROOT, a volume.
ENV MEDIA_ROOT=/data/media

USER portal
EXPOSE 8000

# /healthz answers 200 while the database is up (503 otherwise). It must be asked with a Host that
# DJANGO_ALLOWED_HOSTS accepts (else 400); it is exempt from the HTTPS redirect. No curl in slim: Python.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

# Workers: WEB_CONCURRENCY (gunicorn reads it). Timeout 60 s leaves room for PDF rendering; workers are
# recycled every ~1000 requests; the heartbeat file lives in memory (/dev/shm), as containers advise.
CMD ["gunicorn", "portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--keep-alive", "5", \
     "--max-requests", "1000", \
     "--max-requests-jitter", "100", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-"]
