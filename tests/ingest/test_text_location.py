"""Location: coarse place names normalised to one canonical name."""

from __future__ import annotations

import pytest

from ingest.text.location import Gazetteer


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.bundled()


@pytest.mark.parametrize(("text", "place"), [
    ("BT down in manc", "Manchester"),
    ("anyone in LDN lost wifi?", "London"),
    ("no signal in brum since 9", "Birmingham"),
    ("dim rhyngrwyd yng Nghaerdydd, Caerdydd i gyd", "Cardiff"),
    ("Virgin down in Reading", "Reading"),
    ("outage across the US", "United States"),
    ("is it down in NYC too", "New York"),
    ("Sky down in Greater Manchester", "Manchester"),
])
def test_places_in_text(gazetteer: Gazetteer, text: str, place: str) -> None:
    assert gazetteer.locate(text) == place


@pytest.mark.parametrize("text", ["reading a book about it", "us too, nothing loads", "is it down?"])
def test_everyday_words_are_not_places(gazetteer: Gazetteer, text: str) -> None:
    assert gazetteer.locate(text) is None


def test_report_field_wins_over_text(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate("down in London", field="glasgae") == "Glasgow"
    assert gazetteer.locate("down in London", field="somewhere odd") == "London"
    assert gazetteer.normalise("  Edinburgh ") == "Edinburgh"
    assert gazetteer.normalise("Atlantis") is None
