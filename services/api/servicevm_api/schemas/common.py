"""Models every resource's list shares."""

from __future__ import annotations

from pydantic import BaseModel


class Link(BaseModel):
    rel: str
    href: str
