"""Coarse place names from a post's text or a report's location field, normalised to one name.

A small bundled gazetteer (``ingest/data/gazetteer.json``) maps nicknames, abbreviations and other
languages to a canonical name: "manc" → Manchester, "LDN" → London, "Caerdydd" → Cardiff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.text.resources import load_json
from ingest.text.trie import compile_terms

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    kind: str
    country: str


class Gazetteer:
    """Finds the first known place in a text; built once, then pure."""

    def __init__(self, places: list[dict[str, Any]]) -> None:
        self._by_variant: dict[str, Place] = {}
        self._capitalised_only: set[str] = set()
        upper_only: dict[str, Place] = {}
        for entry in places:
            place = Place(entry["name"], entry["kind"], entry["country"])
            for variant in (entry["name"], *entry.get("variants", ())):
                key = _SPACES.sub(" ", variant.strip().lower())
                self._by_variant.setdefault(key, place)
                if entry.get("capitalised_only"):
                    self._capitalised_only.add(key)
            for variant in entry.get("upper_only", ()):
                upper_only.setdefault(variant, place)
        self._upper_only = upper_only
        self._pattern = compile_terms(self._by_variant)
        self._upper_pattern = compile_terms(upper_only)

    @classmethod
    def bundled(cls) -> Gazetteer:
        return cls(load_json("gazetteer.json")["places"])

    def find(self, text: str) -> Place | None:
        """The first place named in ``text``, or None."""
        lower = text.lower()
        for hit in self._pattern.finditer(lower):
            key = hit.group()
            if key in self._capitalised_only and not text[hit.start()].isupper():
                continue
            return self._by_variant[key]
        upper = self._upper_pattern.search(text)
        return self._upper_only[upper.group()] if upper else None

    def normalise(self, field: str) -> str | None:
        """A report's free-text location field as a canonical place name, or None if unknown."""
        key = _SPACES.sub(" ", field.strip().lower())
        place = self._by_variant.get(key)
        if place is None:
            place = self._upper_only.get(field.strip()) or self.find(field)
        return place.name if place else None

    def locate(self, text: str | None, field: str | None = None) -> str | None:
        """The canonical place: from the location field when it names one, else from the text."""
        if field:
            name = self.normalise(field)
            if name is not None:
                return name
        if text:
            place = self.find(text)
            return place.name if place else None
        return None
