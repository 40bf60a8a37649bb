"""Every CLI command on corrupt input: how many runs end in a traceback (the target is 0).

    .venv/bin/python benchmarks/cli_fuzz.py [--cases 40] [--seed 1] [--jobs 2] [--keep DIR]

Each command of ``downwatch.runtime.cli.COMMAND_MODULES`` runs as a real subprocess (address space
capped at 2 GiB, so unbounded growth shows as a ``MemoryError``) on inputs made from the repository's
own small fixtures by seeded mutations — random bytes, bit flips, truncation, inserted NULs, invalid
UTF-8, lone surrogates, BOMs, CR/LF mixes, 200 KB fields, 5,000-deep nesting, absurd numbers and
dates, shuffled lines — plus special files (``/dev/zero``, ``/dev/null``, a directory, a missing
path). Commands that read a config (every one) are also given corrupt ``--config`` and catalog
files; ``serve``, ``db`` and ``demo`` point at an unreachable database so a config that happens to
be valid ends in "cannot connect" (exit 2) instead of running. ``train`` writes only to a temporary
directory.

A run counts as *clean* when it exits 0, or exits 2 with exactly one line on stderr and no
traceback. Anything else (a traceback, another exit status, several lines, a run still going after
``--timeout`` seconds) is a failure; with ``--keep`` the failing inputs are saved there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from downwatch.runtime.cli import COMMAND_MODULES  # noqa: E402

UPSTREAM = ROOT / "tests" / "fixtures" / "upstream"
NAB = ROOT / "tests" / "fixtures" / "nab" / "posts_with_outage.csv"
MEMORY_CAP = 2 * 1024 ** 3
UNREACHABLE = "postgresql://downwatch@127.0.0.1:1/nowhere?connect_timeout=2"
INGEST_SEEDS = {"reddit": "reddit_new.json", "mastodon": "mastodon_public.json", "bluesky": "jetstream.jsonl",
                "statuspage": "statuspage_summary.json", "rss": "status_feed.rss", "atom": "status_feed.atom"}
SPECIAL = ["/dev/zero", "/dev/null", "<dir>", "<missing>"]


@dataclass(frozen=True, slots=True)
class Case:
    command: str
    label: str
    argv: list[str]
    files: dict[str, bytes]


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    status: str  # ok, refused, traceback, bad-exit, many-lines, timeout
    detail: str


def seeds() -> dict[str, bytes]:
    nab = NAB.read_bytes().splitlines(keepends=True)
    counts = ["service,bucket,kind,count,problem"]
    counts += [f"bt,2024-05-0{1 + d}T{h:02d}:{m:02d}:00Z,report,{(h * m) % 7},login"
               for d in range(2) for h in range(24) for m in range(0, 60, 20)]
    signals = [json.dumps({"service": "bt", "kind": "report", "problem": "login", "location": "Leeds",
                           "observed_at": f"2024-05-01T{h:02d}:{m:02d}:00Z"})
               for h in range(24) for m in range(0, 60, 7)]
    posts = [json.dumps({"id": i, "text": text}) for i, text in enumerate(
        ["bt broadband down again in leeds", "netflix not loading for anyone?", "lovely weather",
         "can't log into monzo", "is steam down", "virgin media email not working since 9"] * 5)]
    corpus = (ROOT / "ingest" / "data" / "corpus.jsonl").read_bytes().splitlines(keepends=True)
    replay_jsonl = [json.dumps({"source": "replay", "external_id": str(i), "kind": "report", "service": "bt",
                                "observed_at": "2024-05-01T10:00:00Z", "text": "down"}) for i in range(20)]
    return {
        "score": b"".join(nab[:400]),
        "replay.csv": ("\n".join(counts) + "\n").encode(),
        "replay.jsonl": ("\n".join(signals) + "\n").encode(),
        "classify": ("\n".join(posts) + "\n").encode(),
        "train": b"".join(corpus[:1500]),
        "ingest-replay.jsonl": ("\n".join(replay_jsonl) + "\n").encode(),
        "ingest-replay.csv": b"source,external_id,observed_at,kind,service,text\n"
                             + b"".join(f"replay,{i},2024-05-01T10:00:00Z,report,bt,down\n".encode()
                                        for i in range(20)),
        "config": b'bucket_seconds = 60\nport = 8089\nreport_rate_per_minute = 30\n',
        "catalog": b'[[service]]\nslug = "fuzz-co"\nname = "Fuzz Co"\ncategory = "broadband"\n'
                   b'country = "GB"\n',
        **{f"ingest-{source}": (UPSTREAM / name).read_bytes() for source, name in INGEST_SEEDS.items()},
    }


INSERTS = [b"\x00", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b'"\\ud800"', b"\\udfff", b"\xef\xbb\xbf",
           b"\r", b"\r\n", b'"', b",", b"\n\n\n", b"[" * 5000, b"{" * 5000, b"x" * 200_000, b"1e308",
           b"-1e308", b"NaN", b"-0", b"99999999999999999999999999", b"1900-01-01T00:00:00Z",
           b"2600-01-01T00:00:00Z", b"0001-01-01", b"9999-12-31T23:59:59+14:00", b"\t", b"\\", b"\x1b[2J",
           b"<!DOCTYPE html><html>", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>',
           b"=" * 3000, b"[[service]]", b"\"\"\"", b"a = [" + b"[" * 3000]


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    choice = rng.randrange(9)
    if choice == 0:
        return "random", rng.randbytes(rng.choice([1, 50, 4000, 300_000]))
    if choice == 1 and data:
        buf = bytearray(data)
        for _ in range(rng.randint(1, 40)):
            buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
        return "bitflip", bytes(buf)
    if choice == 2 and data:
        return "truncate", data[:rng.randrange(len(data))]
    if choice == 3:
        lines = data.splitlines(keepends=True)
        rng.shuffle(lines)
        return "shuffle", b"".join(lines[: max(1, len(lines) // rng.randint(1, 3))])
    if choice == 4:
        text = data.decode("utf-8", errors="replace").encode("utf-16")
        return "utf16", text
    if choice == 5:
        lines = data.splitlines(keepends=True) or [b""]
        i = rng.randrange(len(lines))
        return "dup-line", b"".join(lines[:i] + [lines[i]] * rng.choice([2, 50]) + lines[i:])
    inserted = rng.choice(INSERTS)
    at = rng.randrange(len(data) + 1)
    return f"insert{INSERTS.index(inserted)}", data[:at] + inserted + data[at:]


def input_cases(command: str, seed_name: str, argv: Callable[[str], list[str]], data: bytes,
                rng: random.Random, count: int, suffix: str) -> list[Case]:
    cases = []
    for special in SPECIAL:
        cases.append(Case(command, f"{seed_name}:{special}", argv(special), {}))
    for n in range(count):
        label, body = mutate(data, rng)
        name = f"input{suffix}"
        cases.append(Case(command, f"{seed_name}:{label}#{n}", argv(f"@{name}"), {name: body}))
    return cases


def config_cases(command: str, argv: list[str], data: dict[str, bytes], rng: random.Random,
                 count: int) -> list[Case]:
    cases = [Case(command, f"config:{special}", ["--config", special, *argv], {}) for special in SPECIAL]
    for n in range(count):
        label, body = mutate(data["config"], rng)
        cases.append(Case(command, f"config:{label}#{n}", ["--config", "@config.toml", *argv],
                          {"config.toml": body}))
        label, body = mutate(data["catalog"], rng)
        cases.append(Case(command, f"catalog:{label}#{n}", ["--config", "@config.toml", *argv],
                          {"config.toml": b'catalog_path = "@catalog.toml"\n', "catalog.toml": body}))
    return cases


def all_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    data = seeds()
    cases: list[Case] = []
    per = max(1, count // 2)
    for command in COMMAND_MODULES:
        if command == "score":
            cases += input_cases("score", "score", lambda p: ["score", p], data["score"], rng, count, ".csv")
        elif command == "classify":
            cases += input_cases("classify", "classify", lambda p: ["classify", p], data["classify"], rng,
                                 count, ".jsonl")
            cases += [Case(c.command, c.label, c.argv, {**c.files, "posts.jsonl": data["classify"]})
                      for c in config_cases("classify", ["classify", "@posts.jsonl"], data, rng, per // 2)]
        elif command == "replay":
            for kind in ("csv", "jsonl"):
                cases += input_cases("replay", f"replay.{kind}", lambda p: ["replay", p],
                                     data[f"replay.{kind}"], rng, per, f".{kind}")
        elif command == "ingest":
            for source in [*INGEST_SEEDS, "replay.jsonl", "replay.csv"]:
                key = f"ingest-{source}"
                name = source.split(".")[0]
                suffix = "." + (source.split(".")[1] if "." in source else "json")
                cases += input_cases("ingest", key, lambda p, n=name: ["ingest", n, "--load", p,
                                                                       "--service", "bt"],
                                     data[key], rng, max(2, count // 4), suffix)
        elif command == "train":
            cases += input_cases("train", "train", lambda p: ["train", "--corpus", p, "-o", "@model.npz"],
                                 data["train"], rng, max(2, count // 4), ".jsonl")
        elif command in ("serve", "db", "demo"):
            argv = {"serve": ["serve", "--no-sources"], "db": ["db", "status"],
                    "demo": ["demo", "--port", "0"]}
            cases += config_cases(command, argv[command], data, rng, per // 2)
    return cases


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_case(case: Case, timeout: float) -> Outcome:
    work = Path(tempfile.mkdtemp(prefix="downwatch-cli-fuzz-"))
    try:
        (work / "dir").mkdir()
        for name, body in case.files.items():
            (work / name).write_bytes(body.replace(b"@", str(work).encode() + b"/")
                                      if name.startswith("config") else body)

        def resolve(arg: str) -> str:
            if arg == "<dir>":
                return str(work / "dir")
            if arg == "<missing>":
                return str(work / "missing")
            return str(work / arg[1:]) if arg.startswith("@") else arg

        argv = [resolve(a) for a in case.argv]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work),
               "DOWNWATCH_HASH_KEY": "fuzz-key-of-sixteen-bytes", "DATABASE_URL": UNREACHABLE,
               "XDG_CACHE_HOME": str(work / "cache"), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        try:
            done = subprocess.run([sys.executable, "-m", "downwatch", *argv], capture_output=True, env=env,
                                  timeout=timeout, preexec_fn=cap_memory, stdin=subprocess.DEVNULL,
                                  check=False)
        except subprocess.TimeoutExpired:
            return Outcome(case, "timeout", f"still running after {timeout:g} s")
        stderr = done.stderr.decode("utf-8", errors="replace")
        lines = stderr.splitlines()
        if "Traceback" in stderr:
            last = lines[-1] if lines else ""
            return Outcome(case, "traceback", last[:300])
        if done.returncode == 0:
            return Outcome(case, "ok", "")
        if done.returncode != 2:
            return Outcome(case, "bad-exit", f"exit {done.returncode}: {stderr[-300:]}")
        if len(lines) != 1:
            return Outcome(case, "many-lines", stderr[-300:])
        return Outcome(case, "refused", lines[0][:200])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def keep(outcome: Outcome, directory: Path, index: int) -> None:
    target = directory / f"{index:04d}-{outcome.case.command}-{outcome.status}"
    target.mkdir(parents=True, exist_ok=True)
    for name, body in outcome.case.files.items():
        (target / name).write_bytes(body)
    (target / "case.json").write_text(json.dumps({"argv": outcome.case.argv, "label": outcome.case.label,
                                                  "status": outcome.status, "detail": outcome.detail},
                                                 indent=1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=40, help="mutated inputs per command and seed file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a run counts as hung")
    parser.add_argument("--only", help="comma-separated commands to fuzz (default: all)")
    parser.add_argument("--keep", type=Path, help="save failing inputs in this directory")
    args = parser.parse_args()
    cases = all_cases(args.cases, args.seed)
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c.command in wanted]
    print(f"{len(cases)} runs over commands {', '.join(COMMAND_MODULES)} (seed {args.seed})", flush=True)
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    failures: list[Outcome] = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for outcome in pool.map(lambda c: run_case(c, args.timeout), cases):
            tally[outcome.case.command][outcome.status] += 1
            if outcome.status not in ("ok", "refused"):
                failures.append(outcome)
                print(f"FAIL {outcome.case.command} {outcome.case.label}: {outcome.status} {outcome.detail}",
                      flush=True)
                if args.keep:
                    keep(outcome, args.keep, len(failures))
    statuses = ["ok", "refused", "traceback", "bad-exit", "many-lines", "timeout"]
    print(f"{'command':<10}" + "".join(f"{s:>11}" for s in statuses))
    for command in COMMAND_MODULES:
        print(f"{command:<10}" + "".join(f"{tally[command][s]:>11}" for s in statuses))
    total = Counter[str]()
    for counter in tally.values():
        total.update(counter)
    print(f"{'all':<10}" + "".join(f"{total[s]:>11}" for s in statuses))
    print(f"tracebacks: {total['traceback']}; other failures: {len(failures) - total['traceback']}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
