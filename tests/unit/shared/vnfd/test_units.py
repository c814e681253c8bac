import pytest

from shared.vnfd.units import size_bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512 MB", 512_000_000),
        ("512 MiB", 512 * 1024 * 1024),
        ("1 GB", 1_000_000_000),
        ("2 GiB", 2 * 1024**3),
        ("91 B", 91),
        ("1.5 kB", 1500),
        ("3 gb", 3_000_000_000),
    ],
)
def test_sizes_are_bytes_in_tosca_units(text: str, expected: int) -> None:
    assert size_bytes(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (512, "has no unit"),
        ("512 parsecs", "unknown unit"),
        ("many MB", "not a size"),
        (True, "not a size"),
    ],
)
def test_bad_sizes_say_why(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        size_bytes(value)
