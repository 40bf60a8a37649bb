"""The word lists that steer service matching, bundled as ``ingest/data/matching.json``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingest.text.resources import load_json


@dataclass(frozen=True, slots=True)
class MatchRules:
    ambiguous: frozenset[str]
    strict_case: frozenset[str]
    context: frozenset[str]
    other_sense_before: frozenset[str]
    other_sense_after: frozenset[str]
    failure: frozenset[str]
    fine: frozenset[str]
    negators: frozenset[str]
    hashtag_prefixes: tuple[str, ...]
    hashtag_suffixes: tuple[str, ...]
    handle_suffixes: tuple[str, ...]
    link_hosts: frozenset[str]

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> MatchRules:
        def words(key: str) -> frozenset[str]:
            return frozenset(str(word).lower() for word in data[key])

        def longest_first(key: str) -> tuple[str, ...]:
            return tuple(sorted({str(word).lower() for word in data[key]}, key=len, reverse=True))

        return cls(
            ambiguous=words("ambiguous"), strict_case=words("strict_case"), context=words("context"),
            other_sense_before=words("other_sense_before"), other_sense_after=words("other_sense_after"),
            failure=words("failure"), fine=words("fine"), negators=words("negators"),
            hashtag_prefixes=longest_first("hashtag_prefixes"),
            hashtag_suffixes=longest_first("hashtag_suffixes"),
            handle_suffixes=longest_first("handle_suffixes"),
            link_hosts=words("link_hosts"),
        )

    @classmethod
    def bundled(cls) -> MatchRules:
        return cls.from_mapping(load_json("matching.json"))
