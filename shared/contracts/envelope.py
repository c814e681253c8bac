"""The envelope every command and event travels in on the bus."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every command and event payload.

    ``TYPE`` doubles as the routing key; ``VERSION`` changes when the payload changes
    incompatibly, so a consumer can refuse a message it does not understand.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    # Exchange the message is published to: "commands" or "events".
    KIND: ClassVar[str]

    @property
    def subject_id(self) -> str:
        """The resource the message is about; a consumer applies one subject's messages in order."""
        raise NotImplementedError

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Other subjects whose earlier messages must be applied first (a device's template)."""
        return ()


class _Header(BaseModel):
    """Every field of the envelope but its payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    correlation_id: str
    tenant_id: str
    subject_id: str
    depends_on: list[str] = Field(default_factory=list)
    timestamp: datetime = Field(default_factory=utcnow)
    producer: str


class Envelope(_Header):
    """Message id (for idempotency), correlation id (the request / operation id), tenant, time."""

    payload: dict[str, Any]

    @staticmethod
    def wrap_json(
        message: Message, *, correlation_id: str, tenant_id: str, producer: str
    ) -> tuple[uuid.UUID, bytes]:
        """The id and the JSON of ``wrap``'s envelope, made without the envelope: the
        payload is serialized once, by its own model (``wrap`` turns it into a dict, which
        the envelope then validates and serializes again, untyped), and the header is a
        dict that pydantic-core serializes as the model would (no model built for it: a
        third of this function's time). What publishers use."""
        message_id = uuid.uuid4()
        header = {
            "message_id": message_id,
            "timestamp": utcnow(),
            **_header_fields(message, correlation_id, tenant_id, producer),
        }
        # '{...header...}' + ',"payload":{...}}': the header object, reopened.
        body = b"".join(
            (
                to_json(header)[:-1],
                b',"payload":',
                message.__pydantic_serializer__.to_json(message, by_alias=False),
                b"}",
            )
        )
        return message_id, body

    @classmethod
    def wrap(
        cls, message: Message, *, correlation_id: str, tenant_id: str, producer: str
    ) -> Envelope:
        return cls(
            **_header_fields(message, correlation_id, tenant_id, producer),
            payload=message.model_dump(mode="json"),
        )


def _header_fields(
    message: Message, correlation_id: str, tenant_id: str, producer: str
) -> dict[str, Any]:
    return {
        "type": message.TYPE,
        "version": message.VERSION,
        "correlation_id": correlation_id,
        "tenant_id": tenant_id,
        "subject_id": message.subject_id,
        "depends_on": list(message.depends_on),
        "producer": producer,
    }


def message_type(message: type[Message] | Message) -> str:
    return message.TYPE
