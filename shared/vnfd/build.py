"""Build a CSAR zip from a package directory or from files in memory, deterministically.

The same files give the same bytes (sorted entries, fixed timestamps and modes, no
directory entries), so a package built twice has one checksum: tests, the samples and the
benchmarks build packages with it. Hidden files and ``__pycache__`` are left out.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODE = 0o100644 << 16  # a regular file, rw-r--r--

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples" / "vnf_packages"


def build_csar(directory: Path | str) -> bytes:
    """The zip of every file under ``directory``, paths relative to it."""
    return build_csar_from_files(package_files(directory))


def package_files(directory: Path | str) -> dict[str, bytes]:
    """The files of a package directory, by their path inside the package."""
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a directory")
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.is_file() and not path.is_symlink():
            files[relative.as_posix()] = path.read_bytes()
    return files


def build_csar_from_files(files: Mapping[str, bytes]) -> bytes:
    """The zip of ``files`` (package path -> content), in path order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = _MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def sample_package(name: str) -> bytes:
    """The CSAR of ``samples/vnf_packages/<name>``."""
    return build_csar(SAMPLES_DIR / name)
