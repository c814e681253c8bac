"""Sample packages as files in memory, and ways to break them, for the vnfd tests."""

from __future__ import annotations

from shared.vnfd.build import SAMPLES_DIR, build_csar_from_files, package_files

TOP = "Definitions/sample_vnfd_top.yaml"
DF_SIMPLE = "Definitions/sample_vnfd_df_simple.yaml"
DF_COMPLEX = "Definitions/sample_vnfd_df_complex.yaml"
TYPES = "Definitions/sample_vnfd_types.yaml"
META = "TOSCA-Metadata/TOSCA.meta"
IMAGE = "Files/images/servicevm-appliance-0.1.img"


def sample_files(name: str = "simple") -> dict[str, bytes]:
    return package_files(SAMPLES_DIR / name)


def replaced(files: dict[str, bytes], path: str, old: str, new: str, count: int = 1) -> bytes:
    """The package with ``old`` replaced by ``new`` in one file (which must contain it)."""
    text = files[path].decode()
    assert old in text, f"{old!r} is not in {path}"
    changed = dict(files)
    changed[path] = text.replace(old, new, count).encode()
    return build_csar_from_files(changed)
