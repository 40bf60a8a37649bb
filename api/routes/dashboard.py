"""The journalists' dashboard: HTML views, the embeddable widget and the static assets.

``/`` (now), ``/s/{slug}`` (a service), ``/incidents`` (history) all serve one HTML shell whose script
renders the view named by the path and query (so every view is a permalink); ``/embed/{slug}`` is the
widget for an iframe. Assets live under ``/static/{version}/...`` where the version is a hash of all
of them, so they are cached for a year and a new release is fetched at once.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.abc import Traversable

from aiohttp import web

from api.keys import BOARD, SETTINGS
from api.representation import Representation

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
    ".ico": "image/x-icon", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
}
COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".json", ".txt")
ASSET_BASE_MARK = b"__ASSETS__"
BUCKET_MARK = b"__BUCKET_SECONDS__"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
CSP_BASE = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; ")
DASHBOARD_CSP = CSP_BASE + "frame-ancestors 'self'"
WIDGET_CSP = CSP_BASE + "frame-ancestors *"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    etag: str
    content_type: str


@dataclass(frozen=True, slots=True)
class Assets:
    version: str
    files: dict[str, Asset]
    shell: Representation
    widget: Representation


ASSETS = web.AppKey("dashboard_assets", Assets)


def _walk(folder: Traversable, prefix: str = "") -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for entry in folder.iterdir():
        name = prefix + entry.name
        if entry.is_dir():
            found.update(_walk(entry, name + "/"))
        elif entry.is_file() and not entry.name.startswith(".") and not entry.name.endswith(".md"):
            found[name] = entry.read_bytes()
    return found


def _asset(name: str, body: bytes) -> Asset:
    suffix = name[name.rfind("."):] if "." in name else ""
    gzipped = gzip.compress(body, 9, mtime=0) if suffix in COMPRESSIBLE and len(body) > 512 else None
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    return Asset(body, gzipped, etag, CONTENT_TYPES.get(suffix, "application/octet-stream"))


def load_assets(bucket_seconds: int, folder: Traversable | None = None) -> Assets:
    """Read every file under ``api/static`` once; the HTML pages get the versioned asset base and
    the bucket width (so the page can align its ranges without asking)."""
    files = _walk(folder or resources.files("api").joinpath("static"))
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    version = digest.hexdigest()
    base = f"/static/{version}".encode()
    now = datetime.now(UTC)
    bucket = str(bucket_seconds).encode()

    def page(name: str) -> Representation:
        body = files[name].replace(ASSET_BASE_MARK, base).replace(BUCKET_MARK, bucket)
        return Representation.of_bytes(body, now)

    shell, widget = page("index.html"), page("embed.html")
    return Assets(version, {name: _asset(name, body) for name, body in files.items()}, shell, widget)


def _accepts_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


async def get_asset(request: web.Request) -> web.Response:
    assets = request.app[ASSETS]
    asset = assets.files.get(request.match_info["path"])
    if asset is None or request.match_info["path"].endswith(".html"):
        raise web.HTTPNotFound(text="no such dashboard asset")
    current = request.match_info["version"] == assets.version
    headers = {"ETag": asset.etag, "Cache-Control": IMMUTABLE if current else REVALIDATE,
               "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff"}
    if request.headers.get("If-None-Match") == asset.etag:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = asset.content_type
    if asset.gzipped is not None and _accepts_gzip(request):
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=asset.gzipped, headers=headers)
    return web.Response(body=asset.body, headers=headers)


def _page(request: web.Request, page: Representation, csp: str, status: int = 200) -> web.Response:
    headers = {**PAGE_HEADERS, "ETag": page.etag, "Cache-Control": REVALIDATE,
               "Content-Security-Policy": csp}
    if status == 200 and request.headers.get("If-None-Match") == page.etag:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = CONTENT_TYPES[".html"]
    return web.Response(body=page.body, status=status, headers=headers)


async def get_dashboard(request: web.Request) -> web.Response:
    return _page(request, request.app[ASSETS].shell, DASHBOARD_CSP)


async def get_service_page(request: web.Request) -> web.Response:
    known = request.app[BOARD].service(request.match_info["slug"]) is not None
    return _page(request, request.app[ASSETS].shell, DASHBOARD_CSP, 200 if known else 404)


async def get_widget(request: web.Request) -> web.Response:
    known = request.app[BOARD].service(request.match_info["slug"]) is not None
    return _page(request, request.app[ASSETS].widget, WIDGET_CSP, 200 if known else 404)


def add_routes(app: web.Application) -> None:
    app[ASSETS] = load_assets(app[SETTINGS].bucket_seconds)
    app.router.add_get("/", get_dashboard)
    app.router.add_get("/incidents", get_dashboard)
    app.router.add_get("/s/{slug}", get_service_page)
    app.router.add_get("/embed/{slug}", get_widget)
    app.router.add_get("/static/{version}/{path:.+}", get_asset)
