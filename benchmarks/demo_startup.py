"""How long `downwatch demo` takes from the command to its first answer.

    .venv/bin/python benchmarks/demo_startup.py [--history-days 7] [--runs 3]

Runs the real command with an embedded PostgreSQL in a fresh temporary data directory (the first run
pays initdb) and, separately, reusing that directory (what a second `downwatch demo` costs); prints
the seconds until `GET /v1/services/bt` answers 200, the breakdown the demo prints, and the CPU
seconds spent until then: the demo's processes (the command and its feeder, counted once the command
has exited), and the embedded PostgreSQL (its postmaster and backends, read from /proc at the first
answer). The machine's load average is printed before and after: on a shared machine the wall time
is what the others left, the CPU time is the demo's own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    seconds: float
    demo_cpu: float
    postgres_cpu: float
    lines: list[str]


def _proc_cpu(pid: int, *, with_children: bool) -> float:
    """CPU seconds of a live process from /proc (and of its waited-for children), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK_TICKS


def postgres_cpu(data_dir: Path) -> float:
    """The postmaster's CPU with its exited backends, plus the backends still running."""
    try:
        postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    total = _proc_cpu(postmaster, with_children=True)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == postmaster:
            total += _proc_cpu(int(stat.parent.name), with_children=True)
    return total


def one_run(data_dir: Path, history_days: int) -> Run:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DOWNWATCH_DATA_DIR"] = str(data_dir)
    began = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "downwatch", "demo", "--port", "0",
                                "--history-days", str(history_days)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            lines.append(line.rstrip())
            match = re.search(r"open (http://\S+/)", line)
            if match:
                url = match.group(1)
                break
        if url is None:
            raise SystemExit("demo did not start:\n" + "\n".join(lines))
        while True:
            try:
                with urllib.request.urlopen(url + "v1/services/bt", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        seconds = time.monotonic() - began
        postgres = postgres_cpu(data_dir)
    finally:
        process.terminate()
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
    return Run(seconds, usage.ru_utime + usage.ru_stime, postgres, lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="downwatch-demo-bench-"))
    os.chmod(root, 0o755)
    try:
        for run in range(args.runs):
            load_before = os.getloadavg()[0]
            result = one_run(root / "pg", args.history_days)
            label = "fresh data directory (initdb)" if run == 0 else "reused data directory"
            print(f"run {run + 1} ({label}): first answer after {result.seconds:.1f} s wall; CPU "
                  f"{result.demo_cpu:.1f} s demo (command + feeder, to its exit), "
                  f"{result.postgres_cpu:.1f} s PostgreSQL; load average {load_before:.2f} before, "
                  f"{os.getloadavg()[0]:.2f} after")
            for line in result.lines:
                print(f"    {line}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
