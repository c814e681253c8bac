"""JSON log lines, each carrying the service name and the current request id; secrets masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from shared.observability.context import current_correlation_id

MASK = "***"
# A structured field whose name says it holds a secret has its value masked.
SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|credential|api[_-]?key|authorization", re.I)
# Fields that only name or point at a secret, never hold it.
SAFE_KEYS = frozenset({"token_digest"})
# The same inside free text: `password=...`, `"X-Auth-Token": "..."`, `secret: ...`.
_SECRET_IN_TEXT = re.compile(
    r"""(?P<key>[\w-]*(?:pass(?:word|wd)?|secret|token|credential|api[_-]?key|authorization)[\w-]*)"""
    r"""(?P<sep>["']?\s*[:=]\s*(?:bearer\s+)?["']?)(?P<value>[^\s"',;&}\]]+)""",
    re.I,
)
# user:password@host in URLs (database and broker URLs).
_URL_PASSWORD = re.compile(
    r"(?P<prefix>[a-z][a-z0-9+.-]*://[^\s:/@]+:)(?P<value>[^\s@/]+)(?=@)", re.I
)
# Attributes every LogRecord has; anything else was passed in `extra=`.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "service",
    "request_id",
}


def redact_text(text: str) -> str:
    text = _SECRET_IN_TEXT.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m['prefix']}{MASK}", text)


def redact(value: Any, key: str = "") -> Any:
    """``value`` with every secret in it masked: by the name of its key, or by its look."""
    if key and key not in SAFE_KEYS and SECRET_KEY.search(key) and value not in (None, ""):
        return MASK
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    return value


class RedactingFilter(logging.Filter):
    """Masks passwords, secrets, tokens and credentials in messages, arguments and extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, Mapping):
            record.args = redact(record.args)
        elif isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        for key in [k for k in record.__dict__ if k not in _STANDARD]:
            record.__dict__[key] = redact(record.__dict__[key], key)
        return True


class RedactingJsonFormatter(JsonFormatter):
    """JSON lines whose tracebacks are masked too (exception messages may quote secrets)."""

    # Strings: this formatter never sets exc_info_as_array.
    def formatException(self, ei: Any) -> str:
        return redact_text(str(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:
        return redact_text(str(super().formatStack(stack_info)))


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
        RedactingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Access logs are replaced by our own request metrics and logs.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("aiormq", "aio_pika", "amqp", "kombu"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
