# The service's image: gunicorn serving diagnostic.wsgi as a non-root user.
# Built from the repository root: docker build -t nps-diagnostic .
# Used by deploy/compose.yaml (two app servers, PostgreSQL, Redis, nginx); README "Deploying".
FROM python:3.11-slim-bookworm

# WeasyPrint's system libraries (Pango, HarfBuzz, fontconfig) and the fonts the PDFs and charts
# use (DejaVu); tini to reap processes and pass signals (PDFs render in child processes);
# the PostgreSQL client for `manage.py backup`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libfontconfig1 fonts-dejavu-core \
      shared-mime-info tini postgresql-client \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH

WORKDIR /app
RUN python -m venv /opt/venv
# Dependencies first (a layer that changes only with pyproject.toml), then the code.
COPY pyproject.toml README.md ./
RUN mkdir diagnostic && touch diagnostic/__init__.py && pip install -e . && rm -rf diagnostic
COPY manage.py ./
COPY diagnostic ./diagnostic
RUN pip install --no-deps -e . \
 && DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin nps \
 && mkdir -p /app/var/media && chown -R nps:nps /app/var

USER nps
ENV DEBUG=0 STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/app/var/media BEHIND_PROXY=1 \
    GUNICORN_WORKERS=3
EXPOSE 8000
ENTRYPOINT ["/usr/bin/tini", "--"]
# The README's gunicorn line, listening on the container's interface. The same image runs the
# background worker with another command: `python manage.py db_worker` (deploy/compose.yaml).
CMD ["sh", "-c", "exec gunicorn diagnostic.wsgi --workers ${GUNICORN_WORKERS} --max-requests 500 --max-requests-jitter 50 --timeout 30 --bind 0.0.0.0:8000 --access-logfile -"]
