"""Read throughput of ``GET /v1/services/{slug}``, measured with wrk in one run:

  (a) a bare aiohttp handler returning the same bytes (the framework's ceiling, uvloop, one process);
  (b) one downwatch API process (uvloop), its board refreshed every tick by a synthetic detector;
  (c) nginx serving the same bytes as a static file, then the documented production deployment
      (the micro-caching nginx of api/deploy/ in front of several API processes), with a check
      that answers through the cache are never more than one tick old.

    .venv/bin/python benchmarks/api_read.py [--duration 10] [--connections 64] [--processes 2]

Needs wrk and nginx on PATH. With taskset and 2+ CPUs, wrk runs on CPU 0 and the single-process
servers of (a)/(b) on CPU 1; rounds alternate and the median round counts; the server CPU time per
request is printed too, as it is less disturbed by other load on a shared machine.
Targets: (b) >= 80 % of (a) with p99 < 20 ms and no errors;
(c) deployment >= 50 % of nginx's static rate.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.deploy.nginx_config import render  # noqa: E402

PYTHON = sys.executable
# On a machine with at least 2 CPUs, wrk gets CPU 0 and each single server process CPU 1, so the
# (a)/(b) comparison is not disturbed by the two sharing a core.
CAN_PIN = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
WRK_PIN = ["taskset", "-c", "0"] if CAN_PIN else []
SERVER_PIN = ["taskset", "-c", "1"] if CAN_PIN else []
SERVER = str(ROOT / "benchmarks" / "api_server.py")


@dataclass
class WrkResult:
    label: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_us_per_request: float | None = None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def to_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise RuntimeError(f"cannot read wrk's latency {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(label: str, url: str, duration: int, connections: int, threads: int = 1,
            server_pids: list[int] | None = None) -> WrkResult:
    cpu_before = cpu_seconds(server_pids) if server_pids else 0.0
    command = [*WRK_PIN, "wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    def find(pattern: str) -> str:
        match = re.search(pattern, out, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"unexpected wrk output:\n{out}")
        return match.group(1)

    rps = float(find(r"Requests/sec:\s+([\d.]+)"))
    p50 = to_ms(find(r"^\s+50%\s+(\S+)"))
    p99 = to_ms(find(r"^\s+99%\s+(\S+)"))
    total = int(find(r"(\d+) requests in"))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in match.groups())
    cpu = (cpu_seconds(server_pids) - cpu_before) / total * 1e6 if server_pids else None
    result = WrkResult(label, rps, p50, p99, errors, total, cpu)
    cpu_text = f"   server CPU {cpu:5.1f} us/req" if cpu is not None else ""
    print(f"  {label:<44} {rps:>10,.0f} req/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   "
          f"errors {errors}{cpu_text}", flush=True)
    return result


def median(results: list[WrkResult]) -> WrkResult:
    return sorted(results, key=lambda r: r.requests_per_second)[len(results) // 2]


def median_cpu(results: list[WrkResult]) -> float:
    values = sorted(r.cpu_us_per_request for r in results if r.cpu_us_per_request is not None)
    return values[len(values) // 2]


def start(args: list[str], pin: list[str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*(pin or []), *args], cwd=ROOT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def answer_age_seconds(url: str) -> float:
    with urllib.request.urlopen(url, timeout=2) as response:
        body = orjson.loads(response.read())
    updated = datetime.fromisoformat(body["updated_at"].replace("Z", "+00:00"))
    return (datetime.now(UTC) - updated).total_seconds()


def max_answer_age(url: str, seconds: float) -> float:
    """Poll through the cache for ``seconds``; the oldest answer seen, in seconds since its tick."""
    oldest = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        oldest = max(oldest, answer_age_seconds(url))
        time.sleep(0.05)
    return oldest


def main() -> int:
    parser = argparse.ArgumentParser(description="GET /v1/services/{slug} throughput with wrk")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--processes", type=int, default=2, help="API processes behind nginx")
    parser.add_argument("--tick", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5, help="alternating wrk runs per pair")
    parser.add_argument("--slug", default="bt")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(f"api_read: {tool} is not installed (apt-get install -y wrk nginx)", file=sys.stderr)
            return 2
    path = f"/v1/services/{args.slug}"
    processes: list[subprocess.Popen[bytes]] = []
    workdir = Path(tempfile.mkdtemp(prefix="downwatch-bench-"))
    os.chmod(workdir, 0o755)  # nginx workers run as an unprivileged user
    try:
        bare_port, api_port, headers_port = free_port(), free_port(), free_port()
        processes.append(start([PYTHON, SERVER, "--bare", "--port", str(bare_port), "--slug", args.slug],
                               SERVER_PIN))
        processes.append(start([PYTHON, SERVER, "--port", str(api_port), "--tick", str(args.tick)],
                               SERVER_PIN))
        processes.append(start([PYTHON, SERVER, "--bare", "--same-headers", "--port", str(headers_port),
                                "--slug", args.slug], SERVER_PIN))
        for port in (bare_port, api_port, headers_port):
            wait_for(f"http://127.0.0.1:{port}{path}")
        with urllib.request.urlopen(f"http://127.0.0.1:{bare_port}{path}") as r:
            body = r.read()
        print(f"GET {path}: {len(body)} bytes; wrk -t1 -c{args.connections} -d{args.duration}s; "
              f"{os.cpu_count()} CPUs (shared)")
        print(f"one process ({args.rounds} alternating rounds; the median round of each counts):")
        ceilings, singles, with_headers = [], [], []
        for _ in range(args.rounds):
            with_headers.append(run_wrk("(a') bare handler, same bytes + cache headers",
                                        f"http://127.0.0.1:{headers_port}{path}", args.duration,
                                        args.connections, server_pids=[processes[2].pid]))
            ceilings.append(run_wrk("(a) bare aiohttp handler, same bytes",
                                    f"http://127.0.0.1:{bare_port}{path}", args.duration, args.connections,
                                    server_pids=[processes[0].pid]))
            singles.append(run_wrk("(b) downwatch API, one process", f"http://127.0.0.1:{api_port}{path}",
                                   args.duration, args.connections, server_pids=[processes[1].pid]))
        ceiling, single, ceiling_headers = median(ceilings), median(singles), median(with_headers)
        for process in processes:
            stop(process)
        processes.clear()

        static_root = workdir / "static"
        (static_root / "v1" / "services").mkdir(parents=True)
        (static_root / "v1" / "services" / args.slug).write_bytes(body)
        static_port, front_port = free_port(), free_port()
        static_conf = workdir / "static.conf"
        static_conf.write_text(
            f"worker_processes 1; daemon off; pid {workdir}/static.pid; error_log {workdir}/static.err;\n"
            "events { worker_connections 4096; }\n"
            f"http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;\n"
            f"  server {{ listen 127.0.0.1:{static_port}; root {static_root};\n"
            "    location / { default_type application/json; } } }\n")
        processes.append(start(["nginx", "-c", str(static_conf), "-p", str(workdir)]))
        wait_for(f"http://127.0.0.1:{static_port}{path}")

        api_ports = [free_port() for _ in range(args.processes)]
        for port in api_ports:
            processes.append(start([PYTHON, SERVER, "--port", str(port), "--tick", str(args.tick),
                                    "--trusted-proxy", "127.0.0.1"]))
        prefix = workdir / "front"
        (prefix / "cache").mkdir(parents=True)
        os.chmod(prefix, 0o777)
        os.chmod(prefix / "cache", 0o777)
        front_conf = workdir / "front.conf"
        front_conf.write_text(render(listen=f"127.0.0.1:{front_port}",
                                     upstreams=[f"127.0.0.1:{p}" for p in api_ports],
                                     prefix=prefix, workers="1", daemon=False))
        for port in api_ports:
            wait_for(f"http://127.0.0.1:{port}{path}")
        processes.append(start(["nginx", "-c", str(front_conf), "-p", str(prefix)]))
        wait_for(f"http://127.0.0.1:{front_port}{path}")
        print(f"production deployment (nginx 1 worker, {args.processes} API processes, micro-cache):")
        statics, fronts = [], []
        for _ in range(args.rounds):
            statics.append(run_wrk("(c) nginx static file, same bytes",
                                   f"http://127.0.0.1:{static_port}{path}", args.duration, args.connections))
            fronts.append(run_wrk("(c) nginx micro-cache + API processes",
                                  f"http://127.0.0.1:{front_port}{path}", args.duration, args.connections))
        static, deployed = median(statics), median(fronts)
        oldest = max_answer_age(f"http://127.0.0.1:{front_port}{path}", 2.5 * args.tick)
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)

    ratio = single.requests_per_second / ceiling.requests_per_second
    front_ratio = deployed.requests_per_second / static.requests_per_second
    print("summary:")
    print(f"  one process vs framework ceiling: {ratio:.1%} (target >= 80%), p99 {single.p99_ms:.2f} ms "
          f"(target < 20 ms), errors {single.errors} (target 0)")
    print(f"  one process vs bare handler sending the same headers too: "
          f"{single.requests_per_second / ceiling_headers.requests_per_second:.1%}")
    bare_cpu, api_cpu = median_cpu(ceilings), median_cpu(singles)
    print(f"  server CPU per request (median of rounds): bare {bare_cpu:.1f} us, downwatch {api_cpu:.1f} us "
          f"-> efficiency {bare_cpu / api_cpu:.1%} (less sensitive to the other load on the machine)")
    print(f"  deployment vs nginx static:       {front_ratio:.1%} (target >= 50%), errors {deployed.errors}")
    lag = max(0.0, oldest - args.tick)
    print(f"  oldest answer through the cache:  {oldest:.2f} s after the start of the tick it shows, i.e. "
          f"served up to {lag:.2f} s after a newer verdict existed (tick {args.tick:g} s); at most one "
          f"tick old: {'yes' if lag <= args.tick else 'NO'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
