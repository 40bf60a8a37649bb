"""Render ``nginx.conf.template`` for a deployment:

    python -m api.deploy.nginx_config --listen 80 --upstream 127.0.0.1:8081 --upstream 127.0.0.1:8082 \\
        --prefix /var/lib/downwatch-nginx > /etc/nginx/downwatch.conf
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path


def render(*, listen: str, upstreams: Sequence[str], prefix: Path, workers: str = "auto",
           daemon: bool = True, access_log: str = "off", extra: str = "") -> str:
    text = resources.files("api.deploy").joinpath("nginx.conf.template").read_text("utf-8")
    servers = "\n".join(f"        server {address} max_fails=0;" for address in upstreams)
    values = {"LISTEN": listen, "UPSTREAMS": servers, "PREFIX": str(prefix), "WORKERS": workers,
              "DAEMON": "" if daemon else "daemon off;", "ACCESS_LOG": access_log, "EXTRA": extra}
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render downwatch's nginx configuration.")
    parser.add_argument("--listen", default="80", help="address:port or port nginx listens on")
    parser.add_argument("--upstream", action="append", required=True,
                        help="an API process, host:port or unix:/path (repeat for each)")
    parser.add_argument("--prefix", type=Path, required=True,
                        help="a directory nginx may write (cache, temp files, pid, error log)")
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--foreground", action="store_true", help="daemon off (for supervisors)")
    args = parser.parse_args(argv)
    sys.stdout.write(render(listen=args.listen, upstreams=args.upstream, prefix=args.prefix,
                            workers=args.workers, daemon=not args.foreground))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
