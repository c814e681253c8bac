"""Secrets never reach a log line: by key in structured fields, by look in free text."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from shared.observability import logging as svc_logging
from shared.observability.logging import MASK, redact, redact_text


@pytest.fixture
def log_stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    svc_logging.configure_logging("api", "INFO")
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_structured_fields_named_like_secrets_are_masked(log_stream: io.StringIO) -> None:
    logging.getLogger("t").info(
        "vim registered",
        extra={
            "vim": {"auth_url": "http://k/v3", "password": "hunter2", "nested": {"secret": "s3"}},
            "X-Auth-Token": "gAAAAAtoken",
            "credentials": ["a", "b"],
            "user": "demo",
            "token_digest": "abc123",
        },
    )
    line = json.loads(log_stream.getvalue())
    assert line["vim"] == {"auth_url": "http://k/v3", "password": MASK, "nested": {"secret": MASK}}
    assert line["X-Auth-Token"] == MASK
    assert line["credentials"] == MASK
    assert line["user"] == "demo"
    assert line["token_digest"] == "abc123"
    for secret in ("hunter2", "s3", "gAAAAAtoken"):
        assert secret not in log_stream.getvalue()


def test_secrets_in_messages_arguments_and_tracebacks_are_masked(log_stream: io.StringIO) -> None:
    log = logging.getLogger("t")
    log.warning("headers %s", {"X-Auth-Token": "tok-123", "Accept": "json"})
    log.warning("connecting to amqp://guest:brokerpw@rabbit:5672/ with password=dbpw1")
    try:
        raise ValueError("login failed: {'password': 'pw-in-exc'}")
    except ValueError:
        log.exception("boom")
    text = log_stream.getvalue()
    for secret in ("tok-123", "brokerpw", "dbpw1", "pw-in-exc"):
        assert secret not in text
    assert "Accept" in text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("X-Auth-Token: abcdef", "abcdef"),
        ('"x-subject-token": "abcdef"', "abcdef"),
        ("Authorization: Bearer abcdef", "abcdef"),
        ("client_secret=abcdef&x=1", "abcdef"),
        ("postgresql+asyncpg://role:abcdef@db/servicevm", "abcdef"),
        ("{'application_credential_secret': 'abcdef'}", "abcdef"),
    ],
)
def test_text_patterns(text: str, secret: str) -> None:
    assert secret not in redact_text(text)


def test_redact_keeps_what_is_not_secret() -> None:
    assert redact({"name": "fw", "count": 3, "password": None}) == {
        "name": "fw",
        "count": 3,
        "password": None,
    }
