"""JSON log lines, each carrying the service name and the current request id."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from shared.observability.context import current_correlation_id


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self._service
        record.request_id = current_correlation_id()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Access logs are replaced by our own request metrics and logs.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("aiormq", "aio_pika", "amqp", "kombu"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
