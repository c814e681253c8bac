"""The AsyncAPI 3.0 document of the notifications (``/v1.0/asyncapi.json``): the admin
exchange, the per-project exchange and the replay stream as channels, one message per event
type, and each body's JSON Schema, generated from the pydantic models of the catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from pydantic.json_schema import models_json_schema

from shared.contracts.notification_catalogue import NOTIFICATION_KINDS, NotificationKind
from shared.contracts.notifications import SCHEMA_VERSION
from shared.messaging.topology import NOTIFICATION_STREAM, NOTIFICATIONS, PROJECT_NOTIFICATIONS

SCHEMAS = "#/components/schemas/"
MESSAGES = "#/components/messages/"
AMQP_BINDING_VERSION = "0.3.0"
# How the outbox relay publishes: persistent, with the AMQP timestamp property.
SENT = {"deliveryMode": 2, "timestamp": True, "bindingVersion": AMQP_BINDING_VERSION}
DESCRIPTION = (
    "Lifecycle notifications of servicevm, as JSON bodies on RabbitMQ (AMQP 0-9-1). Every "
    "body carries `schema_version`; its JSON Schema is the payload of its message here. The "
    "same bodies are POSTed to HTTP subscriptions (/v1.0/subscriptions)."
)


def build_document(
    amqp_url: str, kinds: Iterable[NotificationKind] = NOTIFICATION_KINDS
) -> dict[str, Any]:
    kinds = tuple(kinds)
    vhost = unquote(urlsplit(amqp_url).path.lstrip("/")) or "/"
    event_types = sorted(e for kind in kinds for e in kind.event_types)
    refs = {e: {"$ref": f"{MESSAGES}{e}"} for e in event_types}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "servicevm notifications",
            "version": SCHEMA_VERSION,
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {"rabbitmq": _server(amqp_url, vhost)},
        "channels": _channels(vhost, event_types, refs),
        "operations": {
            f"send_{name}": {
                "action": "send",
                "channel": {"$ref": f"#/channels/{name}"},
                "bindings": {"amqp": SENT},
            }
            for name in ("notifications", "projectNotifications", "notificationStream")
        },
        "components": _components(kinds),
    }


def _server(amqp_url: str, vhost: str) -> dict[str, Any]:
    # Host and vhost only: never the credentials of the api's own broker URL.
    parts = urlsplit(amqp_url)
    return {
        "host": f"{parts.hostname}:{parts.port or 5672}",
        "pathname": "/" + quote(vhost, safe=""),
        "protocol": "amqps" if parts.scheme == "amqps" else "amqp",
        "protocolVersion": "0-9-1",
        "description": "Each subscriber uses its own broker user (README: per-project permissions).",
    }


def _exchange_binding(name: str, vhost: str) -> dict[str, Any]:
    exchange = {"name": name, "type": "topic", "durable": True, "autoDelete": False, "vhost": vhost}
    return {
        "amqp": {"is": "routingKey", "exchange": exchange, "bindingVersion": AMQP_BINDING_VERSION}
    }


def _channels(vhost: str, event_types: list[str], refs: dict[str, Any]) -> dict[str, Any]:
    event_type = {"description": "The notification's event_type.", "enum": event_types}
    project = {
        "description": "The project (tenant) id, percent-encoded, '.' as %2E: one routing-key word."
    }
    stream_queue = {
        "name": NOTIFICATION_STREAM,
        "durable": True,
        "exclusive": False,
        "autoDelete": False,
        "vhost": vhost,
    }
    return {
        "notifications": {
            "address": "{eventType}",
            "title": f"Exchange {NOTIFICATIONS}: every project's notifications (admins)",
            "parameters": {"eventType": event_type},
            "messages": refs,
            "bindings": _exchange_binding(NOTIFICATIONS, vhost),
        },
        "projectNotifications": {
            "address": "{project}.{eventType}",
            "title": f"Exchange {PROJECT_NOTIFICATIONS}: one project's, by topic permissions",
            "parameters": {"project": project, "eventType": event_type},
            "messages": refs,
            "bindings": _exchange_binding(PROJECT_NOTIFICATIONS, vhost),
        },
        "notificationStream": {
            "address": NOTIFICATION_STREAM,
            "title": "Stream of every project's notifications, for replay (admins)",
            "description": (
                "A RabbitMQ stream queue: consume with basic.qos (a prefetch), manual "
                "acknowledgements and the consumer argument x-stream-offset (first, last, next, "
                "an offset, or a timestamp) to replay from there."
            ),
            "messages": refs,
            "bindings": {
                "amqp": {
                    "is": "queue",
                    "queue": stream_queue,
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
        },
    }


def _components(kinds: tuple[NotificationKind, ...]) -> dict[str, Any]:
    """Every model's JSON Schema as sent (serialization mode), nested models beside them, and
    one message per event type whose payload refers to its model's schema."""
    refs, top = models_json_schema(
        [(kind.model, "serialization") for kind in kinds], ref_template=SCHEMAS + "{model}"
    )
    messages = {
        event_type: {
            "name": event_type,
            "title": event_type,
            "summary": kind.summary,
            "contentType": "application/json",
            "payload": refs[(kind.model, "serialization")],
            # The relay sets the AMQP type property to the event type.
            "bindings": {
                "amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING_VERSION}
            },
        }
        for kind in kinds
        for event_type in kind.event_types
    }
    return {"schemas": top.get("$defs", {}), "messages": messages}
