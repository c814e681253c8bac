"""The VNFD's YAML files as loaded from the package, before tosca-parser sees them. Pure.

Starting from the entry definitions, every import is followed inside the package. An import
that is a URL, names a repository, is absolute or climbs out of the package is refused
naming the file that holds it, so tosca-parser (which would fetch URLs) never reaches the
network. The loaded documents also tell which file defines which node template, so errors
can name both, and which files are deployment flavours (a topology template with
substitution mappings).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import yaml

from shared.vnfd.csar import Csar
from shared.vnfd.errors import VnfdError

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_TYPE_SECTIONS = ("node_types", "policy_types", "data_types", "capability_types")


@dataclass(frozen=True)
class Sources:
    entry: str
    # package path -> the file's YAML mapping, for every file reachable from the entry.
    documents: dict[str, dict[str, Any]]

    def topology(self, path: str) -> dict[str, Any]:
        topology = self.documents[path].get("topology_template")
        return topology if isinstance(topology, dict) else {}

    def flavour_files(self) -> list[str]:
        """Files with substitution mappings; the entry alone when it holds the topology."""
        found = [p for p in self.documents if "substitution_mappings" in self.topology(p)]
        return found or [self.entry]

    def node_templates(self, path: str) -> dict[str, Any]:
        nodes = self.topology(path).get("node_templates")
        return nodes if isinstance(nodes, dict) else {}

    def policies(self, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(name, definition) of the file's policies (a list of one-key mappings)."""
        policies = self.topology(path).get("policies") or []
        for item in policies if isinstance(policies, list) else []:
            if isinstance(item, dict):
                for name, body in item.items():
                    yield str(name), body if isinstance(body, dict) else {}

    @cached_property
    def parent_types(self) -> dict[str, str]:
        """type name -> the type it derives from, over every loaded file."""
        parents: dict[str, str] = {}
        for document in self.documents.values():
            for section in _TYPE_SECTIONS:
                for name, body in (document.get(section) or {}).items():
                    if isinstance(body, dict) and isinstance(body.get("derived_from"), str):
                        parents[str(name)] = body["derived_from"]
        return parents

    def is_a(self, type_name: object, base: str) -> bool:
        """True when ``type_name`` is ``base`` or derives from it in the loaded files."""
        parents = self.parent_types
        seen: set[str] = set()
        current = type_name if isinstance(type_name, str) else None
        while current is not None and current not in seen:
            if current == base:
                return True
            seen.add(current)
            current = parents.get(current)
        return False

    def file_of_node(self, name: str, among: list[str] | None = None) -> str | None:
        """The (first) file among ``among`` (default: all) defining node template ``name``."""
        for path in among if among is not None else list(self.documents):
            if name in self.node_templates(path):
                return path
        return None


def load_sources(csar: Csar) -> Sources:
    """Every YAML file reachable from the entry definitions; raises VnfdError naming the
    file with a bad import, bad YAML or a repositories section."""
    documents: dict[str, dict[str, Any]] = {}
    pending = [csar.entry_definitions]
    while pending:
        path = pending.pop(0)
        if path in documents:
            continue
        document = _load(csar, path)
        documents[path] = document
        pending.extend(_imports(csar, path, document))
    return Sources(entry=csar.entry_definitions, documents=documents)


def _load(csar: Csar, path: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(csar.files[path].decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise VnfdError("is not UTF-8 text", file=path) from None
    except yaml.YAMLError as exc:
        raise VnfdError(f"is not valid YAML: {exc}", file=path) from None
    if not isinstance(document, dict) or "tosca_definitions_version" not in document:
        raise VnfdError("is not a TOSCA service template (no tosca_definitions_version)", file=path)
    if document.get("repositories"):
        raise VnfdError(
            "repositories are not allowed: imports must resolve inside the package", file=path
        )
    return document


def _imports(csar: Csar, path: str, document: dict[str, Any]) -> list[str]:
    imports = document.get("imports") or []
    if not isinstance(imports, list):
        raise VnfdError("imports must be a list", file=path)
    return [_resolve(csar, path, _import_name(path, item)) for item in imports]


def _import_name(path: str, item: object) -> str:
    # Forms: "file.yaml"; {file: ..., repository: ...}; {name: "file.yaml" or {file: ...}}.
    if isinstance(item, dict) and "file" not in item and len(item) == 1:
        item = next(iter(item.values()))
    if isinstance(item, dict):
        if item.get("repository"):
            raise VnfdError(
                f"import {item.get('file')!r} names repository {item['repository']!r}; "
                "imports must resolve inside the package",
                file=path,
            )
        item = item.get("file")
    if not isinstance(item, str) or not item.strip():
        raise VnfdError(f"import {item!r} does not name a file", file=path)
    return item.strip()


def _resolve(csar: Csar, path: str, name: str) -> str:
    if _SCHEME.match(name) or name.startswith("//"):
        raise VnfdError(
            f"import {name} is a URL; imports must resolve inside the package", file=path
        )
    if name.startswith("/"):
        raise VnfdError(f"import {name} is an absolute path", file=path)
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), name))
    if resolved == ".." or resolved.startswith("../"):
        raise VnfdError(f"import {name} climbs out of the package", file=path)
    if resolved not in csar.files:
        raise VnfdError(f"import {name} is not in the package (looked for {resolved})", file=path)
    return resolved
