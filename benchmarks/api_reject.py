"""What a rejected request costs the API, against a hit: server CPU per request, measured with wrk.

    .venv/bin/python benchmarks/api_reject.py [--duration 5] [--connections 32] [--rounds 3]

One downwatch API process (uvloop, no store, the synthetic ticker of api_server.py) is loaded in
alternating rounds with:
  known    GET /v1/services/bt (200)
  unknown  GET /v1/services/no-such-<n>, a different slug each request (404 problem; wrk/unknown.lua)
  repeat   GET /v1/services/githb, the same misspelt slug each time (404 with suggestions)
  badbody  POST /v1/reports with a body that is not JSON (400 problem; wrk/badbody.lua)
The server's CPU time (/proc) over the requests wrk completed gives us/request; the median round
counts. Target (issue 11): unknown <= 2x known. Also prints the in-process cost of one suggestion
lookup against the old per-request catalog rebuild.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import api_read  # noqa: E402

from api.lookup import SlugIndex  # noqa: E402
from downwatch.catalog import load_catalog  # noqa: E402

WRK = ROOT / "benchmarks" / "wrk"


def run(label: str, url: str, duration: int, connections: int, pid: int, script: str | None = None,
        script_args: tuple[str, ...] = ()) -> float:
    cpu_before = api_read.cpu_seconds([pid])
    command = [*api_read.WRK_PIN, "wrk", "-t1", f"-c{connections}", f"-d{duration}s", url]
    if script:
        command[-1:-1] = ["-s", str(WRK / script)]
        command += ["--", *script_args]
    out = api_read.subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = api_read.re.search(r"(\d+) requests in", out)
    rps = api_read.re.search(r"Requests/sec:\s+([\d.]+)", out)
    if match is None or rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    total = int(match.group(1))
    cpu_us = (api_read.cpu_seconds([pid]) - cpu_before) / total * 1e6
    print(f"  {label:<10} {float(rps.group(1)):>9,.0f} req/s   server CPU {cpu_us:6.1f} us/req", flush=True)
    return cpu_us


def in_process_figures() -> None:
    catalog = load_catalog()
    index = SlugIndex.of(list(catalog))
    n = 2000
    started = time.perf_counter()
    for i in range(n):
        index.closest(f"no-such-{i}")
    fresh = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for _ in range(50):
        type(catalog).from_services(list(catalog)).closest("no-such")
    old = (time.perf_counter() - started) / 50 * 1e6
    print(f"in process: one fresh suggestion lookup {fresh:.0f} us (index); the old per-404 catalog "
          f"rebuild + difflib {old:,.0f} us")


def main() -> int:
    parser = argparse.ArgumentParser(description="CPU per rejected request vs a hit, with wrk")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("api_reject: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    in_process_figures()
    port = api_read.free_port()
    server = api_read.start([api_read.PYTHON, api_read.SERVER, "--port", str(port)], api_read.SERVER_PIN)
    base = f"http://127.0.0.1:{port}"
    try:
        api_read.wait_for(f"{base}/v1/services/bt")
        print(f"one API process, wrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} rounds")
        figures: dict[str, list[float]] = {"known": [], "unknown": [], "repeat": [], "badbody": []}
        for _ in range(args.rounds):
            nonce = uuid.uuid4().hex[:8]
            figures["known"].append(run("known", f"{base}/v1/services/bt", args.duration,
                                        args.connections, server.pid))
            figures["unknown"].append(run("unknown", f"{base}/", args.duration, args.connections,
                                          server.pid, "unknown.lua", (nonce,)))
            figures["repeat"].append(run("repeat", f"{base}/v1/services/githb", args.duration,
                                         args.connections, server.pid))
            figures["badbody"].append(run("badbody", f"{base}/", args.duration, args.connections,
                                          server.pid, "badbody.lua", (nonce,)))
    finally:
        api_read.stop(server)
    medians = {label: sorted(values)[len(values) // 2] for label, values in figures.items()}
    known = medians["known"]
    print("median server CPU per request: " + ", ".join(f"{k} {v:.1f} us" for k, v in medians.items()))
    for label in ("unknown", "repeat", "badbody"):
        print(f"{label} / known = {medians[label] / known:.2f}x")
    ratio = medians["unknown"] / known
    print(f"target unknown <= 2x known: {'met' if ratio <= 2 else 'missed'} ({ratio:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
