from servicevm_scheduler.adapters.orm import metadata
from shared.db.migrations import run_migrations

run_migrations(metadata, "scheduler")
