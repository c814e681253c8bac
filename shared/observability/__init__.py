"""Structured logs carrying the request id, Prometheus metrics, health endpoints."""
