"""The api's HTTP protocol writes header names as the app spelled them (shared.http_server)."""

from shared.http_server import respell

HEAD = (
    b"HTTP/1.1 201 Created\r\n"
    b"date: Tue, 01 Dec 2026 10:00:00 GMT\r\n"
    b"server: uvicorn\r\n"
    b"location: http://api/vnfpkgm/v1/vnf_packages/1\r\n"
    b'etag: "3"\r\n'
    b"content-type: application/json\r\n"
    b"x-note: a: b\r\n"
    b"\r\n"
)


def test_the_names_the_app_sent_get_its_spelling_back() -> None:
    spelled = {
        b"location": b"Location",
        b"etag": b"ETag",
        b"content-type": b"Content-Type",
        b"x-note": b"X-Note",
    }
    assert respell(HEAD, spelled) == (
        b"HTTP/1.1 201 Created\r\n"
        b"date: Tue, 01 Dec 2026 10:00:00 GMT\r\n"
        b"server: uvicorn\r\n"
        b"Location: http://api/vnfpkgm/v1/vnf_packages/1\r\n"
        b'ETag: "3"\r\n'
        b"Content-Type: application/json\r\n"
        b"X-Note: a: b\r\n"
        b"\r\n"
    )


def test_nothing_changes_without_names_to_respell() -> None:
    assert respell(HEAD, {}) == HEAD
