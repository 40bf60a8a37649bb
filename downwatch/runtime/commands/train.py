"""``downwatch train [--corpus FILE] [-o MODEL.npz]``: rebuild the text classifier from the corpus.

With no options it retrains the bundled model from the bundled corpus (``ingest/data``), with fixed
seeds: the result is the file that ships. Only the corpus's ``train`` split is used.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from downwatch.errors import InputError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "train", help="retrain the text classifier from the labelled corpus (reproducible)",
        description="Train the report/problem classifier from a corpus JSONL and write the model file.")
    parser.add_argument("--corpus", metavar="FILE", type=Path, help="corpus JSONL (default: the bundled one)")
    parser.add_argument("-o", "--output", metavar="MODEL.npz", type=Path,
                        help="model file to write (default: the bundled ingest/data/model.npz)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ingest.text.train import train_bundled

    if args.corpus is not None and not args.corpus.is_file():
        raise InputError(f"{args.corpus}: no such file")
    if args.output is not None and not args.output.parent.is_dir():
        raise InputError(f"cannot write {args.output}: directory {args.output.parent} does not exist")
    try:
        path = train_bundled(args.corpus, args.output)
    except (json.JSONDecodeError, KeyError, ValueError) as exc:
        raise InputError(f"{args.corpus or 'corpus'} is not a valid corpus: {exc}") from exc
    print(f"wrote {path}")
    return 0
