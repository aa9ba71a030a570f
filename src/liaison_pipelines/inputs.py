"""Opening public-data files safely: gzip or plain, and telling a broken file from a real one.

Real downloads go wrong in ordinary ways: a zero-byte file, an HTML error page saved under a .xml name, a
gzip stream cut short. A parser raises SkippedInput for such a file; the runner counts it, names it in the
manifest and goes on with the next input.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

GZIP_MAGIC = b"\x1f\x8b"


class SkippedInput(Exception):
    """An input file that cannot be used; `reason` is a short, stable phrase for the summary."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


class TruncatedInput(SkippedInput):
    """A file cut short or malformed part-way: the parser has already yielded `records_read` complete records."""

    def __init__(self, path: Path | str, reason: str, records_read: int) -> None:
        super().__init__(path, reason)
        self.records_read = records_read


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


@contextmanager
def open_binary(path: Path | str) -> Iterator[IO[bytes]]:
    """Open `path` for reading bytes, transparently gunzipping; SkippedInput for empty or HTML files."""
    path = Path(path)
    if not path.exists():
        raise SkippedInput(path, "missing file")
    if path.stat().st_size == 0:
        raise SkippedInput(path, "empty file")
    # GzipFile reads like any binary file, though typeshed does not declare it an IO[bytes].
    raw: IO[bytes] = cast(IO[bytes], gzip.open(path, "rb")) if is_gzip(path) else open(path, "rb")  # noqa: SIM115
    try:
        head = raw.peek(512)[:512] if hasattr(raw, "peek") else b""
        sniff = head.lstrip().lower()
        # an XHTML error page starts with an XML declaration
        if sniff.startswith(b"<?xml") and b"?>" in sniff:
            sniff = sniff.split(b"?>", 1)[1].lstrip()
        if sniff.startswith((b"<!doctype html", b"<html")):
            raise SkippedInput(path, "HTML page, not data (an error page saved as a data file?)")
        if not sniff.strip():
            raise SkippedInput(path, "empty file")
        yield raw
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise SkippedInput(path, f"truncated or corrupt compressed file ({exc.__class__.__name__})") from exc
    finally:
        raw.close()


@contextmanager
def open_text(path: Path | str, encoding: str = "utf-8-sig", errors: str = "strict") -> Iterator[IO[str]]:
    """Text mode of open_binary (UTF-8 with or without a byte-order mark by default).

    `errors="replace"` suits multi-gigabyte government CSVs where one stray byte must not cost the whole file.
    """
    with open_binary(path) as raw:
        yield io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")


def sha256_of(path: Path | str, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
