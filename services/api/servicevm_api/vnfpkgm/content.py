"""A package's content in and out: the uploaded body, and the VNFD's media type. Pure."""

from __future__ import annotations

import email.parser
import email.policy
import io
import zipfile
from typing import Literal

from servicevm_api.etsi.problem import ProblemError, bad_request

ZIP = "application/zip"
TEXT = "text/plain"
VnfdFormat = Literal["text", "zip"]


def uploaded_zip(body: bytes, content_type: str) -> bytes:
    """The CSAR in a PUT package_content body: the body itself (``application/zip``), or
    the file part of a ``multipart/form-data`` form (as Tacker also accepts)."""
    data = _file_part(body, content_type) if content_type.startswith("multipart/") else body
    if not data:
        raise bad_request("The package content is empty: send the CSAR zip")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise bad_request("The package content is not a zip archive (a SOL004 CSAR)")
    return data


def _file_part(body: bytes, content_type: str) -> bytes:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise bad_request("Malformed multipart/form-data body")
    for part in message.iter_parts():
        if (
            part.get_filename() is not None
            or part.get_param("name", header="content-disposition") == "file"
        ):
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else b""
    raise bad_request("The multipart form has no file part")


def vnfd_format(accept: str | None, *, single_file: bool) -> VnfdFormat:
    """SOL005 10.4.4.3.2: ``text/plain`` gives the VNFD as one YAML file when it is one
    file, ``application/zip`` the Definitions/ directory; both: the former when it can.
    No (or a ``*/*``) Accept is taken as both. 406 when neither can be given."""
    kinds = {part.split(";")[0].strip().lower() for part in (accept or "*/*").split(",")}
    wants_text = bool(kinds & {TEXT, "text/*", "*/*"})
    wants_zip = bool(kinds & {ZIP, "application/*", "*/*"})
    if wants_text and single_file:
        return "text"
    if wants_zip:
        return "zip"
    detail = (
        "The VNFD is several files: only application/zip can give it"
        if wants_text
        else "Accept text/plain and/or application/zip to read the VNFD"
    )
    raise ProblemError(406, detail)
