"""Find the catalogue services a post names: names, aliases, domains, @handles and #hashtags.

All names, aliases and domains go into one prefix-factored regex that runs once over the lower-cased
post, so a post that names no service costs one regex search. Hashtags and handles are looked up in
dictionaries after folding (``#VirginMediaDown`` → ``virginmedia``). Names that are also everyday
words ("Sky", "Three", "Steam") count only with context: a nearby outage or service word, and no
neighbour that gives the word its ordinary sense ("the sky", "three of us").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from downwatch.records import Service
from ingest.text.failing import failing_service
from ingest.text.match_rules import MatchRules
from ingest.text.trie import compile_terms, trie_pattern

WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
# A link as people paste it: with a scheme, starting www., or a bare host followed by a path.
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\[\]()\"']+|(?<![\w@.])(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\[\]()\"']*")
_HOST_END = re.compile(r"[/?#]")
_TAG = re.compile(r"[#@]([^\W_][\w]*)")
_NON_ALNUM = re.compile(r"[^\w]+|_")
# Hashtags and handles repeat across a firehose (#mondays, @mate); their lookups are remembered.
TAG_MEMO_SIZE = 100_000
_UNSEEN = " "  # never a slug


def _alternatives(words: tuple[str, ...]) -> str:
    """A regex alternation of the folded words, longest first (empty words dropped)."""
    folded = sorted({fold(word) for word in words} - {""}, key=len, reverse=True)
    return "|".join(re.escape(word) for word in folded) or "(?!)"


def fold(term: str) -> str:
    """Lower-case letters and digits only: "Virgin Media" → "virginmedia", "AT&T" → "att"."""
    return _NON_ALNUM.sub("", term.casefold())


@dataclass(frozen=True, slots=True)
class Mention:
    """One place in a post that names a service; ``via`` is name, domain, handle or hashtag."""

    slug: str
    start: int
    end: int
    via: str


def _links(lower: str) -> list[tuple[int, int, int]]:
    """(start, end of host, end) of every link in the lower-cased text."""
    if "/" not in lower and "www." not in lower:
        return []
    spans = []
    for hit in _LINK.finditer(lower):
        body = hit.group()
        scheme = body.find("://")
        host_start = scheme + 3 if scheme >= 0 else 0
        cut = _HOST_END.search(body, host_start)
        host_end = cut.start() if cut else len(body.rstrip(".,;:!?"))
        spans.append((hit.start(), hit.start() + host_end, hit.end()))
    return spans


def _link_at(links: list[tuple[int, int, int]], start: int) -> tuple[int, int, int] | None:
    return next((span for span in links if span[0] <= start < span[2]), None)


def _start(mention: Mention) -> int:
    return mention.start


def _host_owns(link_head: str, domain: str) -> bool:
    """Whether the link's host is the domain or a subdomain of it."""
    host = link_head.split("://")[-1]
    return host == domain or host.endswith("." + domain)


Word = tuple[int, int, str]
"""A word of a post: start, end and its text (plain tuples: ``find`` builds them for many posts)."""


def _words(lower: str) -> list[Word]:
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(lower)]


class ServiceMatcher:
    """Built once from the catalog; ``find`` and ``match`` are pure and thread-safe (the tag memo only
    saves work)."""

    def __init__(self, services: Iterable[Service], rules: MatchRules | None = None) -> None:
        self.rules = rules or MatchRules.bundled()
        self._owner: dict[str, str] = {}
        self._domains: set[str] = set()
        self._handles: dict[str, str] = {}
        self._folded: dict[str, str] = {}
        for service in services:
            for term in (service.name, *service.aliases):
                self._owner.setdefault(term.strip().lower(), service.slug)
                self._folded.setdefault(fold(term), service.slug)
            for domain in service.domains:
                self._owner.setdefault(domain.lower(), service.slug)
                self._domains.add(domain.lower())
            for handle in service.handles:
                self._handles.setdefault(handle.casefold(), service.slug)
            self._folded.setdefault(fold(service.slug), service.slug)
        self._folded = {name: slug for name, slug in self._folded.items() if len(name) >= 2}
        self._terms = compile_terms(self._owner)
        names = trie_pattern(self._folded)
        self._hashtag_form = re.compile(
            f"(?:{_alternatives(self.rules.hashtag_prefixes)})?(?P<name>{names})"
            f"(?:{_alternatives(self.rules.hashtag_suffixes)})?")
        self._handle_form = re.compile(f"(?P<name>{names})(?:{_alternatives(self.rules.handle_suffixes)})?")
        self._tag_slugs: dict[str, str | None] = {}

    def match(self, text: str) -> str | None:
        """The slug of the service the post says is failing (or names, when none fails), or None."""
        mentions = self.find(text)
        return self.failing(text, mentions) if mentions else None

    def failing(self, text: str, mentions: list[Mention]) -> str:
        """Of the services in ``mentions`` (non-empty, from ``find(text)``), the one failing."""
        return failing_service(text.lower(), mentions, self.rules)

    def find(self, text: str) -> list[Mention]:
        """Every accepted mention, in text order."""
        lower = text.lower()
        tagged = "#" in text or "@" in text
        first = self._terms.search(lower)
        if first is None and not tagged:
            return []
        found = self._tags(lower) if tagged else []
        if first is not None:
            tags = len(found)
            found.extend(self._names(text, lower, first.start(), found))
            if tags and len(found) > tags:
                found.sort(key=_start)
        return found

    def _names(self, text: str, lower: str, first: int, tags: list[Mention]) -> list[Mention]:
        """The accepted names and domains from the first term hit on; none inside a hashtag or handle."""
        strong_slugs = {mention.slug for mention in tags}
        strong_spans = [(mention.start, mention.end) for mention in tags]
        found = []
        links: list[tuple[int, int, int]] | None = None
        for hit in self._terms.finditer(lower, first):
            start, end = hit.span()
            if strong_spans and any(s <= start < e for s, e in strong_spans):
                continue
            term = hit.group()
            if term in self._domains:
                if links is None:
                    links = _links(lower)
                link = _link_at(links, start)
                if link is not None and not self._link_names_service(lower, link, end, term):
                    continue
                if not self._link_only(lower, start, end):
                    found.append(Mention(self._owner[term], start, end, "domain"))
                continue
            if term in self.rules.strict_case and not text[start:end].isupper():
                continue
            if links is None:
                links = _links(lower)
            if links and _link_at(links, start) is not None:
                continue  # a name inside a link is part of the link
            slug = self._owner[term]
            if term in self.rules.ambiguous and slug not in strong_slugs \
                    and not self._in_context(text, lower, start, end):
                continue
            found.append(Mention(slug, start, end, "name"))
        return found

    def _link_names_service(self, lower: str, link: tuple[int, int, int], end: int, term: str) -> bool:
        """A term inside a link names the service only when it is the link's host and the link is the
        service's front door (no path, or one path word like /login), not a link to some content."""
        link_start, host_end, link_end = link
        if end != host_end or not _host_owns(lower[link_start:host_end], term):
            return False
        rest = lower[host_end:link_end].strip("/")
        return rest == "" or (rest.isalpha() and rest in self.rules.context)

    def _link_only(self, lower: str, start: int, end: int) -> bool:
        """Shortlink and media hosts (t.co, youtu.be, i.redd.it) only carry links: never a mention."""
        host_start = start
        while host_start > 0 and (lower[host_start - 1].isalnum() or lower[host_start - 1] in ".-"):
            host_start -= 1
        return lower[host_start:end].lstrip(".") in self.rules.link_hosts or \
            lower[start:end] in self.rules.link_hosts

    def _tags(self, lower: str) -> list[Mention]:
        found = []
        for hit in _TAG.finditer(lower):
            tag = hit.group()
            slug = self._tag_slugs.get(tag, _UNSEEN)  # one lookup: another thread may clear the memo
            if slug == _UNSEEN:
                slug = self._tag_slug(tag)
                if len(self._tag_slugs) >= TAG_MEMO_SIZE:
                    self._tag_slugs.clear()
                self._tag_slugs[tag] = slug
            if slug is not None:
                found.append(Mention(slug, hit.start(), hit.end(), "handle" if tag[0] == "@" else "hashtag"))
        return found

    def _tag_slug(self, tag: str) -> str | None:
        """The service a lower-cased ``#hashtag`` or ``@handle`` names, or None."""
        body = tag[1:]
        if tag[0] == "@":
            return self._handles.get(body) or self._folded_lookup(self._handle_form, body)
        return self._folded_lookup(self._hashtag_form, body)

    def _folded_lookup(self, form: re.Pattern[str], body: str) -> str | None:
        hit = form.fullmatch(fold(body))
        return self._folded[hit.group("name")] if hit else None

    def _in_context(self, text: str, lower: str, start: int, end: int) -> bool:
        """Whether an everyday-word name at ``lower[start:end]`` (a hit of ``self._terms``) means the
        service here."""
        rules = self.rules
        if lower[start - 1:start] == "'" or lower[end:end + 1] == "'":
            # A word like "o'sky" or "steam's" runs across the name: only a whole-text scan sees it.
            words = _words(lower)
            before = [word for _, word_end, word in words if word_end <= start]
            after = [word for word_start, _, word in words if word_start >= end]
        else:
            # The name has no letter or digit either side, so no word crosses its edges.
            before = WORD.findall(lower, 0, start)
            after = WORD.findall(lower, end)
        capitalised = text[start].isupper()
        if not capitalised and before and before[-1] in rules.other_sense_before:
            return False
        if after and after[0] in rules.other_sense_after:
            return False
        reach = 6 if capitalised else 2
        nearby = before[-reach:] + after[:reach]
        return any(word in rules.context for word in nearby)
