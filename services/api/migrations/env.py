from servicevm_api.adapters.orm import metadata
from shared.db.migrations import run_migrations

run_migrations(metadata, "api")
