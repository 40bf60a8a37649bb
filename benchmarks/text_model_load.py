"""How long the bundled text model takes to load (``TextModel.load``), and its file size.

    .venv/bin/python benchmarks/text_model_load.py [--repeat N]

Prints the file size and the fastest, median and slowest of N loads in a warm process (the first
load, which also imports numpy and scipy, is printed on its own). The test suite checks what the
file holds, not how fast it loads.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from ingest.text.model import MODEL_NAME, TextModel
from ingest.text.resources import data_file


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="loads to time after the first")
    args = parser.parse_args(argv)
    path = Path(str(data_file(MODEL_NAME)))
    started = time.perf_counter()
    TextModel.load()
    first = time.perf_counter() - started
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        TextModel.load()
        times.append(time.perf_counter() - started)
    print(f"model file: {path.stat().st_size / 1e6:.2f} MB")
    print(f"first load: {first * 1000:.1f} ms")
    print(f"warm loads (n={args.repeat}): min {min(times) * 1000:.1f} ms, "
          f"median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
