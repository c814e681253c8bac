"""Names accepted wherever ids are: a name is looked up by listing with the ``name`` filter
(names are unique per project, but an admin sees every project's, so two may match)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from servicevm_cli.client import ApiClient, Params
from servicevm_cli.errors import NotFound, UsageError
from servicevm_cli.kinds import SERVICE_TYPE, Kind


def is_uuid(ref: str) -> bool:
    try:
        uuid.UUID(ref)
    except ValueError:
        return False
    return True


def choose(label: str, ref: str, matches: Sequence[dict[str, Any]]) -> str:
    """The one id among the resources that answer to ``ref``: none is the same error as an
    unknown id (exit 1); several is a usage error (exit 2) naming them, so the user can pick."""
    if not matches:
        raise NotFound(f"No {label} named '{ref}'.")
    if len(matches) > 1:
        ids = ", ".join(f"{m['id']} (project {m.get('tenant_id', '?')})" for m in matches)
        raise UsageError(f"More than one {label} is named '{ref}': {ids}; give its id.")
    return str(matches[0]["id"])


def resolve(client: ApiClient, kind: Kind, ref: str) -> str:
    """The id of the resource ``ref`` names: an id as it is, else its name."""
    if is_uuid(ref):
        return ref
    if not kind.named:
        raise UsageError(f"'{ref}' is not an id, and a {kind.label} has no name: give its id.")
    params: Params = {"name": ref, "fields": ["id", "tenant_id"]}
    return choose(kind.label, ref, client.list(kind, params))


def resolve_service_type(client: ApiClient, ref: str, template_id: str | None = None) -> str:
    """A service type by id, or by its name (``firewall``) among the templates' offers; when
    several templates offer it, ``template_id`` says which."""
    if is_uuid(ref):
        return ref
    params: Params = {"service_type": ref}
    if template_id is not None:
        params["template_id"] = template_id
    matches = client.list(SERVICE_TYPE, params)
    if len(matches) > 1 and template_id is None:
        templates = ", ".join(str(m["template_id"]) for m in matches)
        raise UsageError(
            f"Several templates offer service type '{ref}' ({templates}): give --template "
            "or the service type's id."
        )
    return choose(SERVICE_TYPE.label, ref, matches)
