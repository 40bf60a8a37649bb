"""Reading a request body: only encodings the server can decode, and a corrupt one is the client's
error (400), never ours.

aiohttp decodes ``gzip``, ``deflate`` (and ``br``/``zstd`` when their libraries are installed) as
it parses; any other ``Content-Encoding`` would reach the handler as undecoded bytes, so it is
refused with 415 before the body is read.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.compression_utils import HAS_BROTLI, HAS_ZSTD
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from downwatch.errors import InputError

DECODED_ENCODINGS = frozenset({"identity", "gzip", "deflate"}
                              | ({"br"} if HAS_BROTLI else set()) | ({"zstd"} if HAS_ZSTD else set()))


def check_content_encoding(request: web.BaseRequest) -> None:
    encoding = request.headers.get("Content-Encoding")
    if encoding is None:
        return
    if encoding.strip().lower() not in DECODED_ENCODINGS:
        shown = encoding[:40].encode("ascii", "backslashreplace").decode()
        raise InputError(f"Content-Encoding {shown!r} is not supported; send the body unencoded or as "
                         f"{', '.join(sorted(DECODED_ENCODINGS - {'identity'}))}",
                         status=415, title="Unsupported media type", type_slug="unsupported-media-type")


async def read_body(request: web.BaseRequest) -> bytes:
    """The decoded body (at most ``client_max_size`` bytes, else aiohttp's 413)."""
    check_content_encoding(request)
    try:
        return await request.read()
    except (RequestPayloadError, HttpProcessingError) as exc:
        encoding = request.headers.get("Content-Encoding", "identity")[:40]
        reason = "cannot be decoded as " + repr(encoding) if encoding != "identity" else "is malformed"
        raise InputError(f"the request body {reason}: "
                         f"{str(exc).splitlines()[-1].strip() if str(exc) else type(exc).__name__}",
                         status=400, title="Bad request", type_slug="bad-request") from None
