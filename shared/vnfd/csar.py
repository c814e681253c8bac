"""Read an ETSI SOL004 VNF package (a TOSCA CSAR zip) from bytes, safely. Pure.

Two layouts are accepted, as SOL004 allows:

- with ``TOSCA-Metadata/TOSCA.meta``: its first block names ``TOSCA-Meta-File-Version``,
  ``CSAR-Version``, ``Created-By`` and ``Entry-Definitions`` (the top VNFD), all required;
- without it: exactly one YAML file at the root of the archive, the top VNFD, whose
  ``metadata`` section gives ``template_name``, ``template_author`` and ``template_version``.

An archive is refused, with the reason, when it is not a zip, has an entry that is absolute,
climbs out with ``..``, is a symlink or is encrypted, has more files or more bytes (once
uncompressed) than the limits allow, or names an entry definitions file it does not hold.
Nothing is written to disk here: the archive's files are held in memory.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import yaml
from pydantic import BaseModel, ConfigDict

from shared.vnfd.errors import CsarError

META_PATH = "TOSCA-Metadata/TOSCA.meta"
DEFINITIONS_DIR = "Definitions/"
FILES_DIR = "Files/"
IMAGES_DIR = "Files/images/"
_REQUIRED_META = ("TOSCA-Meta-File-Version", "CSAR-Version", "Created-By", "Entry-Definitions")
_ROOT_METADATA = ("template_name", "template_author", "template_version")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class CsarLimits:
    """What one package may hold; the defaults fit VNF packages with small images."""

    max_total_bytes: int = 512 * 1024 * 1024
    max_files: int = 1000


class ToscaMeta(BaseModel):
    """The package's metadata: TOSCA.meta's first block, or the root YAML's metadata."""

    model_config = ConfigDict(frozen=True)

    tosca_meta_file_version: str | None
    csar_version: str | None
    created_by: str | None
    entry_definitions: str
    # Every other key of TOSCA.meta's first block (ETSI-Entry-Manifest, ...) or of the
    # root YAML's metadata section.
    other: dict[str, str] = {}


class CsarArtifact(BaseModel):
    """A file of the package under Files/ (images, scripts...), with its size and sha256."""

    model_config = ConfigDict(frozen=True)

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Csar:
    meta: ToscaMeta
    files: Mapping[str, bytes]
    artifacts: tuple[CsarArtifact, ...]

    @property
    def entry_definitions(self) -> str:
        return self.meta.entry_definitions

    @property
    def definitions(self) -> tuple[str, ...]:
        """Paths of the files under Definitions/ (the VNFD and the type files it imports)."""
        return tuple(p for p in sorted(self.files) if p.startswith(DEFINITIONS_DIR))

    @property
    def images(self) -> tuple[CsarArtifact, ...]:
        return tuple(a for a in self.artifacts if a.path.startswith(IMAGES_DIR))

    def artifact(self, path: str) -> CsarArtifact | None:
        return next((a for a in self.artifacts if a.path == path), None)


def read_csar(data: bytes, limits: CsarLimits | None = None) -> Csar:
    """The package in ``data``; raises CsarError saying why it is refused."""
    files = _read_members(data, limits or CsarLimits())
    meta = _meta_from_file(files) if META_PATH in files else _meta_from_root_yaml(files)
    if meta.entry_definitions not in files:
        raise CsarError(
            f"Entry-Definitions {meta.entry_definitions} is not in the package", file=META_PATH
        )
    artifacts = tuple(
        CsarArtifact(path=path, size=len(body), sha256=hashlib.sha256(body).hexdigest())
        for path, body in sorted(files.items())
        if path.startswith(FILES_DIR)
    )
    return Csar(meta=meta, files=MappingProxyType(files), artifacts=artifacts)


def safe_member_name(name: str) -> str:
    """The normalized path of a zip entry; raises CsarError if it could escape the package."""
    if "\\" in name or "\x00" in name:
        raise CsarError(f"entry {name!r} has a backslash or NUL in its path")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise CsarError(f"entry {name!r} has an absolute path")
    if ".." in name.split("/"):
        raise CsarError(f"entry {name!r} climbs out of the package with '..'")
    return posixpath.normpath(name)


def _read_members(data: bytes, limits: CsarLimits) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise CsarError("the package is not a zip archive") from None
    with archive:
        entries = [info for info in archive.infolist() if _checked(info)]
        if len(entries) > limits.max_files:
            raise CsarError(f"the package holds {len(entries)} files, more than {limits.max_files}")
        declared = sum(info.file_size for info in entries)
        if declared > limits.max_total_bytes:
            raise CsarError(_too_big(limits))
        files: dict[str, bytes] = {}
        budget = limits.max_total_bytes
        for info in entries:
            name = safe_member_name(info.filename)
            if name in files:
                raise CsarError(f"entry {name!r} appears twice")
            body = _read_limited(archive, info, budget, limits)
            budget -= len(body)
            files[name] = body
        return files


def _checked(info: zipfile.ZipInfo) -> bool:
    """True for a regular file to read; False for a directory; raises for unsafe entries."""
    safe_member_name(info.filename)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise CsarError(f"entry {info.filename!r} is a symbolic link")
    if info.flag_bits & 0x1:
        raise CsarError(f"entry {info.filename!r} is encrypted")
    return not info.is_dir()


def _read_limited(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limits: CsarLimits
) -> bytes:
    # The sizes in the zip's headers can lie: count what decompression really yields.
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                if size > budget:
                    raise CsarError(_too_big(limits))
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise CsarError(f"entry {info.filename!r} cannot be read: {exc}") from None
    return b"".join(chunks)


def _too_big(limits: CsarLimits) -> str:
    return f"the package holds more than {limits.max_total_bytes} bytes once uncompressed"


def _meta_from_file(files: Mapping[str, bytes]) -> ToscaMeta:
    blocks = parse_tosca_meta(_text(files[META_PATH], META_PATH))
    first = {key.lower(): value for key, value in blocks[0].items()} if blocks else {}
    missing = [key for key in _REQUIRED_META if not first.get(key.lower())]
    if missing:
        raise CsarError(f"{', '.join(missing)} is missing", file=META_PATH)
    known = {key.lower() for key in _REQUIRED_META}
    return ToscaMeta(
        tosca_meta_file_version=first["tosca-meta-file-version"],
        csar_version=first["csar-version"],
        created_by=first["created-by"],
        entry_definitions=safe_member_name(first["entry-definitions"]),
        other={k: v for k, v in blocks[0].items() if k.lower() not in known},
    )


def parse_tosca_meta(text: str) -> list[dict[str, str]]:
    """TOSCA.meta's blocks (separated by blank lines) of ``Key: value`` lines."""
    blocks: list[dict[str, str]] = [{}]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if blocks[-1]:
                blocks.append({})
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or key != key.strip():
            raise CsarError(f"line {number} is not 'Key: value'", file=META_PATH)
        blocks[-1][key] = value.strip()
    return [block for block in blocks if block]


def _meta_from_root_yaml(files: Mapping[str, bytes]) -> ToscaMeta:
    roots = sorted(p for p in files if "/" not in p and p.endswith((".yaml", ".yml")))
    if len(roots) != 1:
        raise CsarError(
            f"the package has no {META_PATH} and {len(roots)} YAML files at its root "
            "(exactly one is needed)"
        )
    entry = roots[0]
    try:
        document = yaml.safe_load(_text(files[entry], entry))
    except yaml.YAMLError as exc:
        raise CsarError(f"is not valid YAML: {exc}", file=entry) from None
    metadata = document.get("metadata") if isinstance(document, dict) else None
    if not isinstance(metadata, dict):
        raise CsarError(f"without {META_PATH}, the root YAML needs a metadata section", file=entry)
    missing = [key for key in _ROOT_METADATA if not metadata.get(key)]
    if missing:
        raise CsarError(f"metadata {', '.join(missing)} is missing", file=entry)
    return ToscaMeta(
        tosca_meta_file_version=None,
        csar_version=None,
        created_by=str(metadata["template_author"]),
        entry_definitions=entry,
        other={str(k): str(v) for k, v in metadata.items()},
    )


def _text(body: bytes, path: str) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsarError("is not UTF-8 text", file=path) from None
