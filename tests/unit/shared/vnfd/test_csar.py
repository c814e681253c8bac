import hashlib
import io
import stat
import zipfile

import pytest

from shared.vnfd.build import SAMPLES_DIR, build_csar, build_csar_from_files, sample_package
from shared.vnfd.csar import CsarLimits, parse_tosca_meta, read_csar
from shared.vnfd.errors import CsarError
from tests.unit.shared.vnfd.packages import IMAGE, META, TOP, sample_files


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, body in entries:
            archive.writestr(info, body)
    return buffer.getvalue()


def test_the_simple_sample_reads_with_its_meta_definitions_and_image() -> None:
    csar = read_csar(sample_package("simple"))
    assert csar.meta.tosca_meta_file_version == "1.0"
    assert csar.meta.csar_version == "1.1"
    assert csar.meta.created_by == "servicevm"
    assert csar.entry_definitions == TOP
    assert TOP in csar.definitions
    assert "Definitions/etsi_nfv_sol001_vnfd_types.yaml" in csar.definitions
    body = (SAMPLES_DIR / "simple" / IMAGE).read_bytes()
    [image] = csar.images
    assert image.path == IMAGE
    assert image.size == len(body)
    assert image.sha256 == hashlib.sha256(body).hexdigest()
    assert csar.artifact(IMAGE) == image


def test_build_is_deterministic_and_round_trips() -> None:
    first = build_csar(SAMPLES_DIR / "simple")
    assert first == build_csar(SAMPLES_DIR / "simple")
    assert dict(read_csar(first).files) == sample_files("simple")


def test_meta_keys_match_case_insensitively_and_later_blocks_are_kept() -> None:
    blocks = parse_tosca_meta("TOSCA-Meta-File-Version: 1.0\nCreated-by: me\n\nName: a\n")
    assert blocks == [{"TOSCA-Meta-File-Version": "1.0", "Created-by": "me"}, {"Name": "a"}]
    files = sample_files()
    files[META] = files[META].replace(b"Created-By", b"Created-by")
    assert read_csar(build_csar_from_files(files)).meta.created_by == "servicevm"


@pytest.mark.parametrize(
    "key", ["TOSCA-Meta-File-Version", "CSAR-Version", "Created-By", "Entry-Definitions"]
)
def test_a_meta_without_a_required_key_is_refused_naming_it(key: str) -> None:
    files = sample_files()
    lines = [line for line in files[META].decode().splitlines() if not line.startswith(key)]
    files[META] = "\n".join(lines).encode()
    with pytest.raises(CsarError, match=f"^{META}: {key} is missing"):
        read_csar(build_csar_from_files(files))


def test_a_meta_line_that_is_not_key_value_is_refused_with_its_number() -> None:
    files = sample_files()
    files[META] = b"TOSCA-Meta-File-Version: 1.0\nthis is not meta\n"
    with pytest.raises(CsarError, match=f"{META}: line 2 is not 'Key: value'"):
        read_csar(build_csar_from_files(files))


def test_missing_entry_definitions_are_refused() -> None:
    files = sample_files()
    del files[TOP]
    with pytest.raises(CsarError, match=f"Entry-Definitions {TOP} is not in the package"):
        read_csar(build_csar_from_files(files))


def test_without_meta_the_single_root_yaml_with_metadata_is_the_entry() -> None:
    document = (
        b"tosca_definitions_version: tosca_simple_yaml_1_2\n"
        b"metadata: {template_name: vnf, template_author: acme, template_version: '1.0'}\n"
    )
    csar = read_csar(build_csar_from_files({"vnfd.yaml": document, "Files/x.bin": b"x"}))
    assert csar.entry_definitions == "vnfd.yaml"
    assert csar.meta.created_by == "acme"
    assert csar.meta.tosca_meta_file_version is None
    assert [a.path for a in csar.artifacts] == ["Files/x.bin"]


def test_without_meta_the_root_yaml_needs_its_metadata() -> None:
    document = b"tosca_definitions_version: tosca_simple_yaml_1_2\nmetadata: {template_name: v}\n"
    with pytest.raises(
        CsarError, match=r"vnfd\.yaml: metadata template_author, template_version is missing"
    ):
        read_csar(build_csar_from_files({"vnfd.yaml": document}))


def test_without_meta_two_root_yamls_are_refused() -> None:
    files = {"a.yaml": b"a: 1\n", "b.yml": b"b: 1\n"}
    with pytest.raises(CsarError, match="2 YAML files at its root"):
        read_csar(build_csar_from_files(files))


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(CsarError, match="not a zip archive"):
        read_csar(b"PK but not really")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.yaml", "climbs out of the package"),
        ("Definitions/../../evil.yaml", "climbs out of the package"),
        ("/etc/passwd", "absolute path"),
        ("C:/evil.yaml", "absolute path"),
        ("Definitions\\evil.yaml", "backslash"),
    ],
)
def test_unsafe_entry_paths_are_refused(name: str, reason: str) -> None:
    with pytest.raises(CsarError, match=reason):
        read_csar(_zip([(name, b"x"), (META, b"")]))


def test_symlinks_are_refused() -> None:
    link = zipfile.ZipInfo("Files/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(CsarError, match="'Files/link' is a symbolic link"):
        read_csar(_zip([(link, b"/etc/passwd")]))


def test_too_many_files_are_refused() -> None:
    data = build_csar_from_files({f"Files/{i}": b"x" for i in range(5)})
    with pytest.raises(CsarError, match="holds 5 files, more than 4"):
        read_csar(data, CsarLimits(max_files=4))


def test_a_zip_bomb_is_refused_before_and_while_inflating() -> None:
    bomb = build_csar_from_files({"Files/zeros.img": bytes(2_000_000)})
    assert len(bomb) < 10_000
    with pytest.raises(CsarError, match="more than 1000000 bytes once uncompressed"):
        read_csar(bomb, CsarLimits(max_total_bytes=1_000_000))


def test_sizes_lying_in_the_headers_do_not_get_past_the_limit() -> None:
    bomb = bytearray(build_csar_from_files({"Files/zeros.img": bytes(2_000_000)}))
    # Rewrite the declared size (central directory) to 10 bytes; inflating yields 2 MB.
    offset = bomb.rfind(b"PK\x01\x02")
    bomb[offset + 24 : offset + 28] = (10).to_bytes(4, "little")
    with pytest.raises(CsarError, match=r"cannot be read|more than 1000000 bytes"):
        read_csar(bytes(bomb), CsarLimits(max_total_bytes=1_000_000))


def test_encrypted_entries_are_refused() -> None:
    data = bytearray(build_csar_from_files({"Files/secret": b"x"}))
    offset = data.rfind(b"PK\x01\x02")
    data[offset + 8] |= 0x1  # general purpose flag: encrypted
    with pytest.raises(CsarError, match="'Files/secret' is encrypted"):
        read_csar(bytes(data))
