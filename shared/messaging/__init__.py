"""The bus: topology, outbox relay, idempotent consumers."""
