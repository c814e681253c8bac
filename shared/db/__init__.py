"""Database access common to all services: engine per role, unit of work, outbox and inbox."""
