"""The AsyncAPI document as a subscriber uses it: a JSON Schema validator per message, its
$refs resolved inside the document (the jsonschema package)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7

DOCUMENT_URI = "urn:servicevm:asyncapi"


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        # AsyncAPI's default schema format is a superset of JSON Schema draft 7.
        resource = DRAFT7.create_resource(document)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)

    def validator(self, event_type: str) -> Draft7Validator:
        assert event_type in self.document["components"]["messages"], event_type
        pointer = f"{DOCUMENT_URI}#/components/messages/{event_type}/payload"
        return Draft7Validator(
            {"$ref": pointer},
            registry=self._registry,
            # Every format jsonschema knows (draft 7's own list lacks uuid).
            format_checker=FormatChecker(),
        )

    def errors(self, body: dict[str, Any]) -> list[str]:
        """Why ``body`` is not a valid message of its event type (none: it is)."""
        return [error.message for error in self.validator(body["event_type"]).iter_errors(body)]

    def channel_messages(self, channel: str) -> set[str]:
        return set(self.document["channels"][channel]["messages"])
