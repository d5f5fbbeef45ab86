# Liaison's production image: every process (web, worker, dispatcher, projector, sealer, the CLI)
# from one image, chosen by the command. No embedded PostgreSQL or Temporal server: DATABASE_URL
# and TEMPORAL_ADDRESS must be set (deploy/README.md).
#
#   docker build -t liaison:0.1.0 .
#   docker run --env-file deploy/liaison.env liaison:0.1.0 python -m workers.web

ARG PYTHON_IMAGE=python:3.11-slim-trixie

# --- build: install Liaison and its runtime dependencies (no extras) into a virtualenv ---------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/liaison
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain domain
COPY application application
COPY workflows workflows
COPY projections projections
COPY workers workers
COPY api api
COPY bench bench
COPY liaison_verify liaison_verify
RUN /opt/liaison/bin/pip install . \
    && /opt/liaison/bin/python -m compileall -q /opt/liaison/lib

# --- runtime: the virtualenv, pg_dump for `liaison backup`, and an unprivileged user -----------
FROM ${PYTHON_IMAGE} AS runtime
# Debian 13's client (PostgreSQL 17) dumps servers up to 17, the CNPG example's 16 included.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 liaison \
    && useradd --system --uid 10001 --gid liaison --home-dir /var/lib/liaison --create-home \
        --shell /usr/sbin/nologin liaison
COPY --from=build /opt/liaison /opt/liaison
ENV PATH=/opt/liaison/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LIAISON_DATA_DIR=/var/lib/liaison \
    LIAISON_WEB_HOST=0.0.0.0 \
    LIAISON_WEB_PORT=8000
WORKDIR /var/lib/liaison
USER 10001:10001
# 8000: the board and API (and its /healthz, /readyz, /metrics); 9464: the health and metrics
# port of the worker, dispatcher and projector (LIAISON_HEALTH_PORT).
EXPOSE 8000 9464
CMD ["python", "-m", "workers.web"]
