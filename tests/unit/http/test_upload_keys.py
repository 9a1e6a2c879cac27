"""Upload keys from a client's file name: one safe key segment, or the default key."""

from __future__ import annotations

import re

import pytest

from coderev.adapters.embedded.object_store import validate_object_key
from coderev.service.errors import InvalidFilenameError, UnsupportedUploadError
from coderev.service.uploads import MAX_FILENAME_BYTES, safe_filename, upload_key

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("shop.zip", "shop.zip"),
        ("repo-1.2.3.tar.gz", "repo-1.2.3.tar.gz"),
        ("../../etc/passwd.zip", "passwd.zip"),
        ("C:\\Users\\me\\shop.zip", "shop.zip"),
        ("my shop (v2).zip", "my_shop_(v2).zip"),
        ("..hidden..zip", "hidden.zip"),
        ("a\x00b\nc.zip", "a_b_c.zip"),
        ("café.zip", "café.zip"),
        ("cafe\u0301.zip", "café.zip"),  # NFC
        ("name?x=1&y=<2>.zip", "name_x_1_y_2_.zip"),
    ],
)
def test_names_are_reduced_to_one_safe_segment(given: str, safe: str) -> None:
    assert safe_filename(given) == safe
    validate_object_key(f"uploads/x/{safe}")


@pytest.mark.parametrize("given", [None, "", "   "])
def test_no_name_is_none(given: str | None) -> None:
    assert safe_filename(given) is None


@pytest.mark.parametrize("given", ["..", ".", "/", "a/..", "...", "???"])
def test_nothing_usable_is_refused(given: str) -> None:
    with pytest.raises(InvalidFilenameError):
        safe_filename(given)


def test_long_names_are_capped_in_bytes_keeping_the_extension() -> None:
    capped = safe_filename("é" * 300 + ".tar.gz")
    assert capped is not None
    assert len(capped.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert capped.endswith(".tar.gz") and capped.startswith("é")


def test_keys_with_and_without_a_name() -> None:
    assert re.fullmatch(rf"uploads/{UUID}/shop\.zip", upload_key("shop.zip"))
    assert re.fullmatch(rf"uploads/{UUID}\.zip", upload_key(None, b"PK\x03\x04rest"))
    assert re.fullmatch(rf"uploads/{UUID}\.tar\.gz", upload_key(None, b"\x1f\x8b..."))
    assert re.fullmatch(rf"uploads/{UUID}", upload_key(None))  # presigned: no bytes yet
    with pytest.raises(UnsupportedUploadError):
        upload_key(None, b"plain text")
