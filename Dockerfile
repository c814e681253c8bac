# One image for the four services; the command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/servicevm

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when the
# dependencies change, not at every change of the source.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# /var/lib/servicevm/secrets: the Fernet key file shared by api, lifecycle and mgmt;
# /var/lib/servicevm/appliances: the local cloud's state (SERVICEVM_LOCAL_STATE_DIR). Both
# are volumes, which take this ownership when first created.
RUN useradd --system --home-dir /var/lib/servicevm servicevm \
    && install -d -o servicevm -m 0700 /var/lib/servicevm/secrets \
    && install -d -o servicevm -m 0750 /var/lib/servicevm/appliances

COPY README.md ./
COPY shared ./shared
COPY services ./services
COPY simulators ./simulators
COPY scripts ./scripts
COPY cli ./cli
COPY deploy ./deploy
# Editable, without dependencies (installed above): the Alembic migrations are read from
# services/<svc>/migrations in this tree.
RUN pip install --no-deps -e .
USER servicevm
ENV SERVICEVM_BIND_HOST=0.0.0.0 SERVICEVM_LOCAL_STATE_DIR=/var/lib/servicevm/appliances
CMD ["python", "-m", "servicevm_api"]
