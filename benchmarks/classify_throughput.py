"""Throughput of match + classify + dedup (``TextPipeline.signals``), batched, on one core.

    taskset -c 0 .venv/bin/python benchmarks/classify_throughput.py [--posts N] [--batch N]

Two workloads, both built from the shipped corpus and a generator of everyday chatter:

* firehose: what a public firehose looks like — 95 % of posts name no catalogue service (chatter,
  including everyday senses of service names: "the sky", "three of us", "down 2-0"), 5 % name one
  (the corpus's own mix of reports and hard negatives);
* worst case: every post names a catalogue service, so every post reaches the classifier.

Each post has an author (one in 50 posts repeats an author) and an observed time; observations are
built before the clock starts. Prints posts per second for each workload and the signals produced.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from downwatch.catalog import load_catalog
from downwatch.records import Observation
from ingest.text.pipeline import TextPipeline
from ingest.text.train import read_corpus

SUBJECTS = ("my cat", "the bus", "our team", "the weather", "this film", "my boss", "the new cafe",
            "the match", "my sister", "the sky", "three of us", "the kids", "my phone battery", "the rain",
            "the queue at the post box", "the traffic", "my garden", "the lift", "this song", "my car")
VERBS = ("is", "was", "looks", "keeps being", "seems", "has been", "will be", "is honestly")
COMPLEMENTS = ("amazing today", "a bit down", "so slow this morning", "absolutely brilliant", "down 2-0",
               "broken again", "freezing", "the best thing ever", "not working out", "late again",
               "on fire", "quiet for once", "a nightmare", "way too loud", "out of steam",
               "full of surprises")
TAILS = ("", " lol", " 😂", " tbh", "!!", " #mondays", " @mate", " https://example.org/x", " ffs", "?")


def chatter(rng: random.Random) -> str:
    return (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(COMPLEMENTS)}"
            f"{rng.choice(TAILS)}{' ' + str(rng.randint(1, 999)) if rng.random() < 0.3 else ''}")


def observations(texts: Sequence[str], rng: random.Random) -> list[Observation]:
    start = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
    found = []
    for index, text in enumerate(texts):
        author = f"user{rng.randrange(len(texts) // 50 + 1)}" if rng.random() < 0.02 else f"user-{index}"
        found.append(Observation(source="bench", external_id=str(index), text=text, author=author,
                                 observed_at=start + timedelta(milliseconds=index)))
    return found


def measure(name: str, obs: list[Observation], batch: int) -> None:
    pipeline = TextPipeline.default(load_catalog(), hash_key="benchmark-key")
    pipeline.signals(obs[:batch])
    pipeline = TextPipeline.default(load_catalog(), hash_key="benchmark-key")
    started = time.perf_counter()
    signals = 0
    for offset in range(0, len(obs), batch):
        signals += len(pipeline.signals(obs[offset:offset + batch]))
    elapsed = time.perf_counter() - started
    print(f"{name:>10}: {len(obs):,} posts in {elapsed:.2f} s = {len(obs) / elapsed:,.0f} posts/s "
          f"({signals:,} signals)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(1)
    corpus = [row["text"] for row in read_corpus() if row["service"] is not None]
    firehose = [rng.choice(corpus) if rng.random() < 0.05 else chatter(rng) for _ in range(args.posts)]
    worst = [rng.choice(corpus) for _ in range(args.posts // 5)]
    print(f"batch {args.batch:,}; firehose mix: 95% chatter naming no service, 5% corpus posts naming one")
    measure("firehose", observations(firehose, rng), args.batch)
    measure("worst case", observations(worst, rng), args.batch)


if __name__ == "__main__":
    main()
