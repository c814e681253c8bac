# One image for the four services; the command picks the service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/servicevm
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY simulators ./simulators
COPY scripts ./scripts
COPY cli ./cli
# Editable: the Alembic migrations are read from services/<svc>/migrations in this tree.
# /var/lib/servicevm/secrets: the Fernet key file shared by api and lifecycle (a volume).
RUN pip install --no-cache-dir -e . && useradd --system servicevm \
    && install -d -o servicevm -m 0700 /var/lib/servicevm/secrets
USER servicevm
ENV SERVICEVM_BIND_HOST=0.0.0.0
CMD ["python", "-m", "servicevm_api"]
