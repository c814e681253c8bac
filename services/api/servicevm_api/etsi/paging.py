"""SOL013 5.4 paging of large query results, and the list query parameters. Pure.

A list answers at most a page; when more remain it sends ``Link: <url>; rel="next"`` where
``url`` is the request's own URL with ``nextpage_opaque_marker`` set. The marker is opaque
to the client: here the key (id) of the page's last item, base64url-encoded, so a list
ordered by key resumes after it (``WHERE id > :after ORDER BY id``, or ``paginate``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from servicevm_api.etsi.fields import SELECTOR_PARAMS
from servicevm_api.etsi.selectors import SelectorError

MARKER_PARAM = "nextpage_opaque_marker"
# What a SOL003 list (vnf_instances, vnf_lcm_op_occs) accepts; anything else is a 400.
LIST_PARAMS = frozenset({"filter", MARKER_PARAM, *SELECTOR_PARAMS})

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # The marker of the next page; None on the last page.
    next_marker: str | None


def check_query_params(names: Iterable[str], allowed: Collection[str] = LIST_PARAMS) -> None:
    """Raises SelectorError naming the parameters the list does not know."""
    unknown = sorted({name for name in names if name not in allowed})
    if unknown:
        raise SelectorError(f"Unknown query parameter(s): {', '.join(unknown)}")


def encode_marker(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_marker(marker: str) -> str:
    """The key a marker stands for; raises SelectorError for one this api did not make."""
    padded = marker + "=" * (-len(marker) % 4)
    try:
        key = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        key = ""
    if not key:
        raise SelectorError(f"Invalid {MARKER_PARAM}: {marker!r}")
    return key


def paginate(
    items: Sequence[T], *, key: Callable[[T], str], page_size: int, marker: str | None
) -> Page[T]:
    """The page after ``marker`` of ``items`` ordered by ``key`` (0: everything at once)."""
    ordered = sorted(items, key=key)
    if marker is not None:
        after = decode_marker(marker)
        ordered = [item for item in ordered if key(item) > after]
    if page_size <= 0 or len(ordered) <= page_size:
        return Page(items=ordered, next_marker=None)
    page = ordered[:page_size]
    return Page(items=page, next_marker=encode_marker(key(page[-1])))


def next_page_url(request_url: str, marker: str) -> str:
    """The request's URL with ``nextpage_opaque_marker`` set to ``marker``."""
    parts = urlsplit(request_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != MARKER_PARAM]
    query.append((MARKER_PARAM, marker))
    return urlunsplit(parts._replace(query=urlencode(query)))


def link_header(request_url: str, marker: str) -> str:
    """The value of the ``Link`` header pointing at the next page."""
    return f'<{next_page_url(request_url, marker)}>; rel="next"'
