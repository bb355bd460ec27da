# syntax=docker/dockerfile:1
# The reference services (Service A and Service B). Build from the repository's root:
#   docker build -f deploy/reference-services.Dockerfile -t cloudphoenix-reference-services:0.1.0 .
# charts/reference-services runs it with gunicorn, one command per service.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY reference_services/requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/reference \
    && /opt/reference/bin/pip install --no-compile -r /tmp/requirements.txt

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/reference /opt/reference
COPY reference_services /app/reference_services
ENV PATH=/opt/reference/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/live', timeout=4)"]
CMD ["gunicorn", "--bind=0.0.0.0:8080", "--workers=2", "--threads=4", "reference_services.service_a:create_app()"]
