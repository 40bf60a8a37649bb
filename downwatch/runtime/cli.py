"""The ``downwatch`` command line: one parser, one sub-command per module in ``downwatch.runtime.commands``.

Every failure that is the user's to fix prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from downwatch import __version__
from downwatch.errors import DownwatchError

COMMAND_MODULES: tuple[str, ...] = ("demo", "serve", "db", "score", "ingest", "replay", "classify", "train")
EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line naming the problem and where to look."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="downwatch",
        description="Crowd-sourced outage detection: is it down, since when, what fails, where, and why.",
    )
    parser.add_argument("--version", action="version", version=f"downwatch {__version__}")
    parser.add_argument("--config", metavar="FILE", help="TOML settings file (default: $DOWNWATCH_CONFIG)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"downwatch.runtime.commands.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.run(args)
    except DownwatchError as exc:
        sys.stderr.write(f"downwatch {args.command}: error: {exc.detail}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
