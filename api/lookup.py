"""Finding a service on the board, or a 404 problem that names the closest slugs.

A miss must cost about what a hit costs, or a flood of unknown slugs starves the API: the
suggestions come from a trigram index of every slug, name and alias, built when the board's
services change (not per request); only a bounded number of candidates is compared in full; answers
are remembered per slug; and past ``SUGGESTION_RATE`` fresh suggestions a second (a flood), a miss
is answered without suggestions.
"""

from __future__ import annotations

import difflib
import re
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from api.board import VerdictBoard
from api.keys import BOARD
from downwatch.errors import NotFound
from downwatch.records import Service

MAX_QUERY_CHARS = 64
CANDIDATES = 12
CUTOFF = 0.6
SUGGESTIONS = 3
SUGGESTION_RATE = 100.0  # fresh fuzzy matches per second per process, with as large a burst
REMEMBERED = 4096
FOLD = re.compile(r"[\s\-_.]+")


def fold(text: str) -> str:
    """Lower-case with spaces, hyphens and dots removed (the catalog's own folding)."""
    return FOLD.sub("", text.casefold())


def trigrams(term: str) -> set[str]:
    padded = f"  {term} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


@dataclass(slots=True)
class SuggestionBudget:
    tokens: float = SUGGESTION_RATE
    updated: float = 0.0

    def take(self, now: float) -> bool:
        self.tokens = min(SUGGESTION_RATE, self.tokens + (now - self.updated) * SUGGESTION_RATE)
        self.updated = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass(frozen=True, slots=True)
class SlugIndex:
    slug_of_term: dict[str, str]
    terms_of_gram: dict[str, tuple[str, ...]]
    remembered: dict[str, list[str]] = field(default_factory=dict)
    budget: SuggestionBudget = field(default_factory=SuggestionBudget)

    def suggest(self, text: str) -> list[str]:
        """``closest(text)``, remembered; [] once a flood has spent the budget of fresh matches."""
        found = self.remembered.get(text)
        if found is not None:
            return found
        if not self.budget.take(time.monotonic()):
            return []
        if len(self.remembered) >= REMEMBERED:
            self.remembered.clear()
        found = self.remembered[text] = self.closest(text)
        return found

    @classmethod
    def of(cls, services: list[Service]) -> SlugIndex:
        slug_of_term: dict[str, str] = {}
        for service in sorted(services, key=lambda s: s.slug):
            for term in (service.slug, service.name, *service.aliases):
                slug_of_term.setdefault(fold(term), service.slug)
        grams: dict[str, list[str]] = {}
        for term in slug_of_term:
            for gram in trigrams(term):
                grams.setdefault(gram, []).append(term)
        return cls(slug_of_term, {gram: tuple(terms) for gram, terms in grams.items()})

    def closest(self, text: str) -> list[str]:
        """Up to three slugs whose slug, name or alias is most like ``text``, best first."""
        wanted = fold(text[:MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
        if not wanted:
            return []
        shared: Counter[str] = Counter()
        for gram in trigrams(wanted):
            shared.update(self.terms_of_gram.get(gram, ()))
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(wanted)
        scored = []
        for term, _ in shared.most_common(CANDIDATES):
            matcher.set_seq1(term)
            if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
                ratio = matcher.ratio()
                if ratio >= CUTOFF:
                    scored.append((-ratio, term))
        found: list[str] = []
        for _, term in sorted(scored):
            slug = self.slug_of_term[term]
            if slug not in found:
                found.append(slug)
            if len(found) == SUGGESTIONS:
                break
        return found


@dataclass(frozen=True, slots=True)
class _Cached:
    version: int
    services: tuple[Service, ...]
    index: SlugIndex


# One index per live board (a cache, not state: it is rebuilt from the board whenever the board's
# services change; the version moves every tick, so the services are compared only then).
_indexes: weakref.WeakKeyDictionary[VerdictBoard, _Cached] = weakref.WeakKeyDictionary()


def slug_index(board: VerdictBoard) -> SlugIndex:
    cached = _indexes.get(board)
    if cached is not None and cached.version == board.version:
        return cached.index
    services = tuple(board.services())
    if cached is not None and len(services) == len(cached.services) and all(
            a is b for a, b in zip(services, cached.services, strict=True)):
        index = cached.index
    else:
        index = SlugIndex.of(list(services))
    _indexes[board] = _Cached(board.version, services, index)
    return index


def require_service(board: VerdictBoard, slug: str) -> Service:
    service = board.service(slug)
    if service is None:
        raise unknown_service(board, slug)
    return service


def unknown_service(board: VerdictBoard, slug: str) -> NotFound:
    closest = slug_index(board).suggest(slug)
    hint = f"; did you mean {', '.join(closest)}?" if closest else "; GET /v1/services lists them"
    shown = slug if len(slug) <= MAX_QUERY_CHARS else slug[:MAX_QUERY_CHARS] + "…"
    return NotFound(f"no service {shown!r} in the catalog{hint}", extra={"closest": closest})


def max_age(app: web.Application) -> int:
    """Seconds until the next detector tick is due (at least 1), so caches never keep an answer
    much past the tick that replaces it."""
    return max(1, int(app[BOARD].next_tick_due - time.monotonic()))
