"""Models every resource's show and list share: the ``next`` link, and the selection model
``fields=`` answers with."""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel, Field, create_model


class Link(BaseModel):
    rel: str
    href: str


SELECTION_DOC = (
    "The attributes of {name}. Without `fields=` every attribute is present (as in the "
    "create answer); with `fields=a,b` only those named are (the others are absent, not null)."
)


def selection_of(public: type[BaseModel], name: str) -> type[BaseModel]:
    """``public`` with every attribute optional: what a show or list item answers, since
    ``fields=`` selects a subset. Routes render it with ``response_model_exclude_unset`` so
    an attribute left out is absent rather than null."""
    attributes: dict[str, Any] = {
        field: (_optional(info.annotation), Field(default=None, description=info.description))
        for field, info in public.model_fields.items()
    }
    model = create_model(
        f"{public.__name__.removesuffix('Public')}Selection",
        __doc__=SELECTION_DOC.format(name=name),
        **attributes,
    )
    return cast(type[BaseModel], model)


def show_model(model_name: str, key: str, selection: type[BaseModel]) -> type[BaseModel]:
    """``{key: selection}``: the answer of GET /v1.0/<resources>/{id}."""
    attributes: dict[str, Any] = {key: (selection, ...)}
    return cast(type[BaseModel], create_model(model_name, **attributes))


def list_model(model_name: str, plural: str, selection: type[BaseModel]) -> type[BaseModel]:
    """``{plural: [selection], plural_links: [Link]}``: the answer of a list (Neutron's
    shape; a ``next`` link when ``limit`` filled the page)."""
    attributes: dict[str, Any] = {
        plural: (list[selection], ...),  # type: ignore[valid-type]
        f"{plural}_links": (list[Link], Field(default_factory=list)),
    }
    return cast(type[BaseModel], create_model(model_name, **attributes))


def _optional(annotation: Any) -> Any:
    return annotation | None
