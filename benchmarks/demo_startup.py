"""How long `downwatch demo` takes from the command to its first answer.

    .venv/bin/python benchmarks/demo_startup.py [--history-days 7] [--runs 3]

Runs the real command with an embedded PostgreSQL in a fresh temporary data directory (the first run
pays initdb) and, separately, reusing that directory (what a second `downwatch demo` costs); prints
the seconds until `GET /v1/services/bt` answers 200, and the breakdown the demo prints.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(data_dir: Path, history_days: int) -> tuple[float, list[str]]:
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
        return time.monotonic() - began, lines
    finally:
        process.terminate()
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, default=7)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="downwatch-demo-bench-"))
    os.chmod(root, 0o755)
    try:
        for run in range(args.runs):
            seconds, lines = one_run(root / "pg", args.history_days)
            label = "fresh data directory (initdb)" if run == 0 else "reused data directory"
            print(f"run {run + 1} ({label}): first answer after {seconds:.1f} s")
            for line in lines:
                print(f"    {line}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
