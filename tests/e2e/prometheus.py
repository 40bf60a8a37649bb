"""A strict reading of the Prometheus text exposition format (0.0.4), enough to check `/metrics`."""

from __future__ import annotations

import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{(?:{LABEL}(?:,{LABEL})*)?,?\}})? (\S+)(?: -?\d+)?$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created")


def family_of(sample: str, types: dict[str, str]) -> str | None:
    if sample in types:
        return sample
    for suffix in SUFFIXES:
        if sample.endswith(suffix) and sample[: -len(suffix)] in types:
            return sample[: -len(suffix)]
    return None


def parse_exposition(text: str) -> dict[str, list[tuple[str, float]]]:
    """Samples by family, each as (the sample line before its value, value); AssertionError on a bad line."""
    types: dict[str, str] = {}
    samples: dict[str, list[tuple[str, float]]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            declared = TYPE.match(line)
            if declared:
                types[declared.group(1)] = declared.group(2)
            elif not HELP.match(line):
                raise AssertionError(f"line {number} is neither # HELP nor # TYPE: {line!r}")
            continue
        match = SAMPLE.match(line)
        if match is None:
            raise AssertionError(f"line {number} is not a sample: {line!r}")
        family = family_of(match.group(1), types)
        if family is None:
            raise AssertionError(f"line {number}: {match.group(1)} has no # TYPE line before it")
        value = float(match.group(2))
        samples.setdefault(family, []).append((line.rsplit(" ", 1)[0], value))
    return samples
