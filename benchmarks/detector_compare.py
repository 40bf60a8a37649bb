"""The evaluation notebook's tables, printed: downwatch against baselines and the oracle, and NAB scores.

    .venv/bin/python benchmarks/detector_compare.py                 # 40 services x 45 days, 1-minute buckets
    .venv/bin/python benchmarks/detector_compare.py --small         # the notebooks' small-data setup
    .venv/bin/python benchmarks/detector_compare.py --services 100 --days 60 --seed 2 --nab

Both tables come from ``downwatch.research`` (``evaluation_table``, ``nab_table``), the functions
``notebooks/02_evaluate_detector.ipynb`` calls, so for the same arguments the figures are the same.
With ``--nab``, NAB scores on the NAB folder (``$NAB_DIR`` or ../shared/data/nab) when present, else on
the synthetic world's series.
"""

from __future__ import annotations

import argparse
import sys
import time

import downwatch.research as dr
from downwatch.errors import DownwatchError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="the notebooks' small-data setup")
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--days", type=int, default=45)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quiet-days", type=int, default=7)
    parser.add_argument("--nab", action="store_true", help="also print NAB-style scores")
    parser.add_argument("--nab-files", type=int, default=None, help="score only the first N NAB files")
    args = parser.parse_args()
    setup = dr.SMALL_SETUP if args.small else dr.SyntheticSetup(
        services=args.services, days=args.days, seed=args.seed, quiet_days=args.quiet_days)
    try:
        started = time.perf_counter()
        table = dr.evaluation_table(setup)
        elapsed = time.perf_counter() - started
        print(f"synthetic world: {setup.services} services x {setup.days} days, seed {setup.seed}, "
              f"{setup.quiet_days} quiet days ({elapsed:.1f} s)")
        print(dr.format_table(table))
        if args.nab:
            directory = dr.nab_directory()
            if directory is None:
                corpus, label = dr.synthetic_corpus(setup.history()), "synthetic series"
            else:
                corpus, label = dr.read_nab_corpus(directory, files=args.nab_files), str(directory)
            started = time.perf_counter()
            scores = dr.nab_table(corpus)
            print(f"\nNAB-style scores on {label} ({time.perf_counter() - started:.1f} s)")
            print(dr.format_table(scores))
    except DownwatchError as exc:
        print(f"detector_compare: {exc.detail}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
