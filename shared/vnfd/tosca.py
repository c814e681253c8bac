"""Running tosca-parser on one extracted VNFD file, with its errors named by file and node.

tosca-parser collects its errors in a process-wide list (``ExceptionCollector``), so parses
are serialized by a lock; callers in an event loop run ``parse_vnfd`` in a worker thread.
Imports were checked by ``sources`` before this runs, so tosca-parser never fetches a URL.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any

from toscaparser.common.exception import (  # type: ignore[import-untyped]
    ExceptionCollector,
    ValidationError,
)
from toscaparser.tosca_template import ToscaTemplate  # type: ignore[import-untyped]

from shared.vnfd.errors import VnfdError
from shared.vnfd.sources import Sources

_LOCK = threading.Lock()
_TEMPLATE = re.compile(r'template "([^"]+)"')
_BAD_TYPE = re.compile(r'Type "([^"]+)" is not a valid type')
_QUOTED = re.compile(r'"([^"]+)"')
_PROPERTY = re.compile(r'property "([^"]+)"')
_VALUE = re.compile(r'value "([^"]+)" of property "([^"]+)"')
_NOT_FOUND_IN = re.compile(r'not found in "([^"]+)"')
_TARGET = re.compile(r'Target member "([^"]+)"')


class _VnfdTemplate(ToscaTemplate):  # type: ignore[misc]
    """tosca-parser's template without its requirement occurrence check.

    Nested in the top VNFD, tosca-parser never checks a flavour's occurrences; a flavour
    parsed on its own must not either (a VduCp's virtual_link to an external network is
    left to the NFVO). On the top VNFD the check counts only the requirements mapped by
    the last flavour, so a VNF type declaring one requirement per external link, as
    Tacker's samples do, would be refused for the others: those links are the NSD's."""

    def _validate_relationship_occurences(self) -> None:
        return None


def parse_file(root: Path, path: str, sources: Sources) -> Any:
    """The ToscaTemplate of package file ``path`` extracted under ``root``."""
    # tosca-parser warns of every flavour input the top VNFD leaves unset (as every VNFD
    # does: the NFVO picks the flavour at instantiation); real problems are exceptions.
    logging.getLogger("tosca").setLevel(logging.ERROR)
    with _LOCK:
        try:
            return _VnfdTemplate(str(root / path), a_file=True)
        except ValidationError:
            raise _error(path, sources, list(ExceptionCollector.getExceptions())) from None
        except Exception as exc:
            # tosca-parser raises TypeError & co on some ill-typed values it does not expect.
            raise VnfdError(
                f"tosca-parser could not read it: {type(exc).__name__}: {exc}", file=path
            ) from None
        finally:
            ExceptionCollector.clear()


def _error(path: str, sources: Sources, exceptions: list[Exception]) -> VnfdError:
    problems = [_problem(path, sources, exc) for exc in exceptions] or [
        (None, "tosca-parser refused it")
    ]
    node, reason = problems[0]
    if len(problems) > 1:
        reason += "; " + "; ".join(
            (f"node {other}: " if other else "") + text for other, text in problems[1:]
        )
    return VnfdError(reason, file=path, node=node)


def _problem(path: str, sources: Sources, exc: Exception) -> tuple[str | None, str]:
    """(node it concerns or None, the reason) for one tosca-parser error."""
    text = str(exc).strip()
    nodes = sources.node_templates(path)
    if match := _BAD_TYPE.search(text):
        bad = match.group(1)
        users = [name for name, body in nodes.items() if _type_of(body) == bad]
        if users:
            return str(users[0]), f"type {bad} is unknown"
        policies = [name for name, body in sources.policies(path) if _type_of(body) == bad]
        return None, (f"policy {policies[0]}: " if policies else "") + f"type {bad} is unknown"
    if match := _NOT_FOUND_IN.search(text) or _TEMPLATE.search(text):
        return match.group(1), text
    if match := _TARGET.search(text):
        users = [name for name, body in sources.policies(path) if match.group(1) in _targets(body)]
        return None, (f"policy {users[0]}: " if users else "") + text
    named = [name for name in _QUOTED.findall(text) if name in nodes]
    if not named and (match := _VALUE.search(text)):
        # A bad property value: the node whose YAML holds that value for that property.
        value, key = match.groups()
        named = [name for name, body in nodes.items() if _holds(body, key, value)]
    if not named and (match := _PROPERTY.search(text)):
        named = [name for name, body in nodes.items() if match.group(1) in _properties(body)]
        named = named if len(named) == 1 else []
    return (str(named[0]) if named else None), text


def _holds(body: object, key: str, value: str) -> bool:
    """True when ``key: value`` appears anywhere in a node's YAML."""
    if isinstance(body, dict):
        return any(
            (str(k) == key and str(v) == value) or _holds(v, key, value) for k, v in body.items()
        )
    if isinstance(body, list):
        return any(_holds(item, key, value) for item in body)
    return False


def _targets(body: object) -> list[str]:
    targets = body.get("targets") if isinstance(body, dict) else None
    return [str(t) for t in targets] if isinstance(targets, list) else []


def _properties(body: object) -> dict[str, Any]:
    properties = body.get("properties") if isinstance(body, dict) else None
    return properties if isinstance(properties, dict) else {}


def _type_of(body: object) -> object:
    return body.get("type") if isinstance(body, dict) else None
