"""Bounded reading of input files given on the command line.

Every command reads its input through these helpers, so no input — a device such as ``/dev/zero``
(whose ``st_size`` is 0), a pipe, a file of one endless line — can make memory grow without bound:
the bytes actually read are counted (never ``st_size``), every line is capped, and what is too large
is refused with an ``InputError`` naming the limit. JSON is parsed with ``orjson``, which refuses
lone surrogates, invalid UTF-8 and nesting deeper than 1,024 levels as invalid JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import IO, Any

import orjson

from downwatch.errors import InputError, unreadable

MAX_INPUT_BYTES = 256 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
MAX_ROWS = 2_000_000
MAX_TOML_BYTES = 4 * 1024 * 1024  # a settings or catalog file
_CHUNK = 1024 * 1024


def display_name(source: str) -> str:
    return "standard input" if source == "-" else source


def open_input(source: str, expected: str) -> IO[bytes]:
    """``source`` opened for binary reading (``-``: standard input); refused when it cannot be."""
    if source == "-":
        return sys.stdin.buffer
    try:
        return open(source, "rb")
    except OSError as exc:
        raise unreadable(source, exc, expected) from exc


def too_large(name: str, limit: int) -> InputError:
    return InputError(f"{name} is larger than {limit:,} bytes, the most a command reads; "
                      "split it into smaller files")


def read_all(handle: IO[bytes], name: str, expected: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """Everything in ``handle``, counting the bytes read; refused past ``limit``."""
    chunks: list[bytes] = []
    total = 0
    try:
        while chunk := handle.read(min(_CHUNK, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise too_large(name, limit)
    except OSError as exc:
        raise unreadable(name, exc, expected) from exc
    return b"".join(chunks)


def read_file(source: str, expected: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The whole of ``source`` (``-``: standard input), at most ``limit`` bytes."""
    name = display_name(source)
    handle = open_input(source, expected)
    try:
        return read_all(handle, name, expected, limit)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def lines(handle: IO[bytes], name: str, expected: str, *, line_limit: int = MAX_LINE_BYTES,
          limit: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, raw line) for each line of ``handle``, each at most ``line_limit`` bytes;
    with ``limit``, at most that many bytes in all."""
    total = 0
    number = 0
    while True:
        try:
            raw = handle.readline(line_limit + 1)
        except OSError as exc:
            raise unreadable(name, exc, expected) from exc
        if not raw:
            return
        number += 1
        if len(raw) > line_limit:
            raise InputError(f"{name} line {number} is longer than {line_limit:,} bytes; "
                             f"expected {expected}")
        total += len(raw)
        if limit is not None and total > limit:
            raise too_large(name, limit)
        yield number, raw


def decode(raw: bytes, where: str) -> str:
    """UTF-8 text of one line, or an InputError naming where it is not."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text (byte {exc.start})") from exc


def json_value(raw: bytes | str, where: str) -> Any:
    """One JSON document; invalid JSON, lone surrogates and absurd nesting are InputErrors."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from exc


def check_rows(count: int, name: str, limit: int = MAX_ROWS) -> None:
    if count > limit:
        raise InputError(f"{name} has more than {limit:,} rows, the most one run reads; "
                         "split it into smaller files")
