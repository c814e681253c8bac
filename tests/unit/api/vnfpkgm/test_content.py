"""Upload bodies (zip or form) and the VNFD's media type by Accept."""

from __future__ import annotations

import pytest

from servicevm_api.etsi.problem import ProblemError
from servicevm_api.vnfpkgm.content import uploaded_zip, vnfd_format
from shared.vnfd.build import build_csar_from_files

ZIP = build_csar_from_files({"a.txt": b"a"})


def form(boundary: str, name: str, filename: str, body: bytes) -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )


def test_a_zip_body_or_the_file_of_a_form_is_the_package() -> None:
    assert uploaded_zip(ZIP, "application/zip") == ZIP
    boundary = "xyz123"
    body = form(boundary, "file", "p.zip", ZIP)
    assert uploaded_zip(body, f"multipart/form-data; boundary={boundary}") == ZIP


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/zip"),
        (b"not a zip", "application/zip"),
        (b"--b\r\n\r\nno file\r\n--b--\r\n", "multipart/form-data; boundary=b"),
    ],
)
def test_anything_else_is_a_400(body: bytes, content_type: str) -> None:
    with pytest.raises(ProblemError) as raised:
        uploaded_zip(body, content_type)
    assert raised.value.problem.status == 400


@pytest.mark.parametrize(
    ("accept", "single", "expected"),
    [
        ("text/plain", True, "text"),
        ("application/zip", True, "zip"),
        ("text/plain, application/zip", True, "text"),
        ("text/plain,application/zip", False, "zip"),
        (None, False, "zip"),
        ("*/*", True, "text"),
    ],
)
def test_vnfd_format_follows_accept(accept: str | None, single: bool, expected: str) -> None:
    assert vnfd_format(accept, single_file=single) == expected


@pytest.mark.parametrize(("accept", "single"), [("text/plain", False), ("application/json", True)])
def test_vnfd_format_406_when_it_cannot_be_given(accept: str, single: bool) -> None:
    with pytest.raises(ProblemError) as raised:
        vnfd_format(accept, single_file=single)
    assert raised.value.problem.status == 406
