"""Compose the labelled corpus ``ingest/data/corpus.jsonl`` from fragments, deterministically.

    python -m ingest.text.corpus_build [--out PATH]

The split is honest: each family (one way of saying something, see ``corpus_fragments``) and each
service belongs wholly to train or to validation, so a validation sentence shares neither its
phrasing nor its service with any training sentence. Hand-written free-form examples
(``ingest/data/corpus_handwritten.jsonl``) are split by a hash of their text.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from downwatch.catalog import load_catalog
from downwatch.records import Service
from ingest.text import corpus_fragments as frag
from ingest.text.matcher import fold
from ingest.text.resources import data_file

SEED = 20250204
VALIDATION_SHARE = 5
CORPUS_NAME = "corpus.jsonl"
HANDWRITTEN_NAME = "corpus_handwritten.jsonl"
WRITTEN_NAME = "corpus_written.jsonl"
WRITTEN_TEST_NAME = "written_test.jsonl"
WRITTEN_TEST_SALT = "downwatch-written-test:"
REAL_NAME = "real/reddit_labelled.jsonl"

PROBLEM_CATEGORIES: dict[str, tuple[str, ...]] = {
    "login": (),
    "website": (),
    "app": (),
    "other": (),
    "email": ("email", "broadband"),
    "billing": ("broadband", "mobile", "energy", "streaming", "productivity", "cloud"),
    "payments": ("bank", "payments", "shopping", "food", "transport", "travel"),
    "connection": ("broadband", "mobile", "gaming", "cloud", "messaging"),
    "streaming": ("streaming",),
    "messaging": ("messaging", "social", "dating"),
}
INSTANCES = {"report": 26, "two": 14, "non_report": 30, "no_service": 14, "foreign": 16}


@dataclass(frozen=True, slots=True)
class Family:
    id: str
    group: str
    template: str
    is_report: bool
    problem: str | None
    lang: str
    kind: str


def _stable(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def families() -> list[Family]:
    found: list[Family] = []
    for problem, templates in frag.REPORTS.items():
        found += [Family(f"report.{problem}.{i}", f"report.{problem}", t, True, problem, "en", "report")
                  for i, t in enumerate(templates)]
    for problem, templates in frag.TWO_SERVICE_REPORTS.items():
        found += [Family(f"two.{problem}.{i}", "two", t, True, problem, "en", "two")
                  for i, t in enumerate(templates)]
    for group, templates in frag.NON_REPORTS.items():
        found += [Family(f"non.{group}.{i}", f"non.{group}", t, False, None, "en", "non_report")
                  for i, t in enumerate(templates)]
    for group, templates in frag.NO_SERVICE.items():
        found += [Family(f"none.{group}.{i}", f"none.{group}", t, False, None, "en", "no_service")
                  for i, t in enumerate(templates)]
    for lang, parts in frag.FOREIGN.items():
        for label, entries in parts.items():
            found += [Family(f"{lang}.{label}.{i}", f"{lang}.{label}", t, problem is not None, problem, lang,
                             "foreign")
                      for i, (t, problem) in enumerate(entries)]
    return found


def validation_families(all_families: Sequence[Family]) -> set[str]:
    """One family in ``VALIDATION_SHARE`` of every group (at least one where the group has two)."""
    chosen: set[str] = set()
    groups: dict[str, list[Family]] = {}
    for family in all_families:
        groups.setdefault(family.group, []).append(family)
    for _group, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        ordered = sorted(members, key=lambda f: _stable(f"{SEED}:{f.id}"))
        count = max(1, round(len(members) / VALIDATION_SHARE))
        chosen.update(f.id for f in ordered[:count])
    return chosen


def validation_services(services: Sequence[Service]) -> set[str]:
    return {s.slug for s in services if _stable(f"{SEED}:{s.slug}") % VALIDATION_SHARE == 0}


def _surface(service: Service, rng: random.Random) -> str:
    """The service as a person might write it."""
    roll = rng.random()
    if roll < 0.12 and service.aliases:
        return rng.choice(service.aliases)
    if roll < 0.20 and service.handles:
        return "@" + rng.choice(service.handles)
    if roll < 0.25 and service.domains:
        return rng.choice(service.domains)
    if roll < 0.42:
        return service.name.lower()
    return service.name


def _hashtag(service: Service, rng: random.Random) -> str:
    compact = re.sub(r"[^\w]", "", service.name)
    return rng.choice([f" #{compact}down", f" #{compact.lower()}_down", f" #{compact}Outage", f" #{compact}"])


_TYPO_WORD = re.compile(r"\b[a-z]{5,}\b")


def _typo(text: str, protected: str, rng: random.Random) -> str:
    words = [m for m in _TYPO_WORD.finditer(text) if m.group() not in protected.lower()]
    if not words:
        return text
    hit = rng.choice(words)
    word = hit.group()
    i = rng.randrange(len(word) - 1)
    changed = word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return text[: hit.start()] + changed + text[hit.end():]


def _fill(template: str, first: str, second: str, rng: random.Random) -> str:
    text = template.replace("{S2}", second).replace("{S}", first)
    text = text.replace("{T}", rng.choice(frag.TIMES)).replace("{L}", rng.choice(frag.PLACES))
    return text.replace("{N}", str(rng.randint(2, 11)))


def _compose(family: Family, first: Service | None, second: Service | None, rng: random.Random) -> str:
    s1 = _surface(first, rng) if first else ""
    s2 = _surface(second, rng) if second else ""
    core = _fill(family.template, s1, s2, rng)
    if family.lang != "en":
        return core + rng.choice(("", "", " 😡", " ?", "!!", " 😭"))
    if family.is_report:
        text = rng.choice(frag.OPENERS) + core + rng.choice(frag.ENDINGS)
    else:
        text = rng.choice(frag.NEUTRAL_OPENERS) + core + rng.choice(frag.NEUTRAL_ENDINGS)
    if first is not None and family.kind in ("report", "two") and rng.random() < 0.08:
        text += _hashtag(first, rng)
    roll = rng.random()
    if roll < 0.08:
        text = _typo(text, s1 + s2, rng)
    elif roll < 0.30:
        text = text.lower()
    elif roll < 0.33:
        text = text.upper()
    elif text[:1].islower() and roll < 0.6:
        text = text[0].upper() + text[1:]
    return text


def _eligible(services: Sequence[Service], problem: str | None) -> list[Service]:
    categories = PROBLEM_CATEGORIES.get(problem or "other", ())
    fitting = [s for s in services if not categories or s.category in categories]
    return fitting or list(services)


def generated(services: Sequence[Service]) -> Iterator[dict[str, object]]:
    rng = random.Random(SEED)
    val_families = validation_families(families())
    val_services = validation_services(services)
    by_split = {"train": [s for s in services if s.slug not in val_services],
                "validation": [s for s in services if s.slug in val_services]}
    for family in families():
        split = "validation" if family.id in val_families else "train"
        pool = _eligible(by_split[split], family.problem)
        others = by_split[split]
        uses_service = "{S}" in family.template
        for _ in range(INSTANCES[family.kind]):
            first = rng.choice(pool) if uses_service else None
            second = None
            if "{S2}" in family.template:
                second = rng.choice([s for s in others if first is None or s.slug != first.slug])
            yield {
                "text": _compose(family, first, second, rng),
                "service": first.slug if first else None,
                "is_report": family.is_report,
                "problem": family.problem if family.is_report else None,
                "lang": family.lang,
                "split": split,
                "family": family.id,
            }


def handwritten(path: Path | None = None) -> list[dict[str, object]]:
    source = path or Path(str(data_file(HANDWRITTEN_NAME)))
    rows = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        split = "validation" if _stable(f"{SEED}:{row['text']}") % 3 == 0 else "train"
        rows.append({"text": row["text"], "service": row["service"], "is_report": row["is_report"],
                     "problem": row["problem"], "lang": row.get("lang", "en"), "split": split,
                     "family": f"handwritten.{number}"})
    return rows


def is_written_test(text: str) -> bool:
    """The fixed rule that put a written post in the TEST file (a third), decided before any result."""
    return _stable(f"{WRITTEN_TEST_SALT}{text}") % 3 == 0


def written(path: Path | None = None) -> list[dict[str, object]]:
    """Free-form training posts written in the variety of real posts (all train).

    Their TEST half (``written_test.jsonl``) never enters the corpus; a training row that the split
    rule puts in TEST is refused.
    """
    source = path or Path(str(data_file(WRITTEN_NAME)))
    rows = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            if is_written_test(row["text"]):
                raise ValueError(f"{source}:{number} is a written TEST post by the split rule: "
                                 f"{row['text']!r}")
            rows.append({"text": row["text"], "service": row["service"], "is_report": row["is_report"],
                         "problem": row["problem"], "lang": row.get("lang", "en"), "split": "train",
                         "family": f"written.{number}", **({"also": row["also"]} if row.get("also") else {})})
    return rows


def real_dev(path: Path | None = None) -> list[dict[str, object]]:
    """The dev part of the hand-labelled real Reddit posts (the heldout part never enters the corpus)."""
    source = path or Path(str(data_file(REAL_NAME)))
    rows = []
    for line in source.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if row is not None and row["split"] == "dev":
            rows.append({"text": row["text"], "service": row["service"], "is_report": row["is_report"],
                         "problem": row["problem"], "lang": "en", "split": "train",
                         "family": f"real.reddit.{row['id']}"})
    return rows


def build(services: Sequence[Service]) -> list[dict[str, object]]:
    known = {s.slug for s in services}
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for row in [*generated(services), *handwritten(), *written(), *real_dev()]:
        key = fold(str(row["text"]))
        if key in seen:
            continue
        if row["service"] is not None and row["service"] not in known:
            raise ValueError(f"corpus row names {row['service']!r}, which is not in the catalog: {row}")
        seen.add(key)
        rows.append(row)
    for number, row in enumerate(rows, start=1):
        row["id"] = f"c{number:05d}"
    return [{"id": r["id"], **{k: v for k, v in r.items() if k != "id"}} for r in rows]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(str(data_file(CORPUS_NAME))))
    args = parser.parse_args(argv)
    rows = build(list(load_catalog()))
    with args.out.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} examples to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
