"""Device templates as this process has read them, so a device operation does not read
its template again (every CREATE of a VNF's plan did, once in the op and once in the
device's own create).

Why a cached copy is safe to use:
- what a device operation reads of a template (drivers, attributes, service types, VIM)
  never changes once it is recorded; an update changes only name and description, which
  no device operation reads (the template handlers read the table itself);
- a template is deleted only while no device uses it, and this process forgets its copy
  when it deletes one. A copy another replica still holds after a delete can only be used
  by a create, and a create proves the template is there in the statement that writes the
  device (``repository.add_device_of_template``, ``get_device_and_template``).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from servicevm_lifecycle.adapters import repository as repo
from shared.contracts.models import DeviceTemplateSnapshot


class TemplateCache:
    def __init__(self) -> None:
        self._known: dict[uuid.UUID, DeviceTemplateSnapshot] = {}

    def peek(self, template_id: uuid.UUID) -> DeviceTemplateSnapshot | None:
        """The copy held, without reading the database."""
        return self._known.get(template_id)

    async def get(
        self, conn: AsyncConnection, *, template_id: uuid.UUID
    ) -> DeviceTemplateSnapshot | None:
        """The template, read once; None (and nothing remembered) when it is not recorded."""
        known = self._known.get(template_id)
        if known is not None:
            return known
        template = await repo.get_template(conn, template_id=template_id)
        if template is not None:
            self._known[template_id] = template
        return template

    def forget(self, template_id: uuid.UUID) -> None:
        self._known.pop(template_id, None)


TEMPLATES = TemplateCache()
