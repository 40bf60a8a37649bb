"""The gazetteer's places with where they are, for the map: canonical name → kind, country, lat, lon."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from api.place_coordinates import COORDINATES
from ingest.text.resources import load_json


@dataclass(frozen=True, slots=True)
class MappedPlace:
    name: str
    kind: str
    country: str
    lat: float
    lon: float


@cache
def mapped_places() -> dict[str, MappedPlace]:
    """Every gazetteer place that has coordinates, by its canonical name (the name the store keeps)."""
    places = {}
    for entry in load_json("gazetteer.json")["places"]:
        where = COORDINATES.get(entry["name"])
        if where is not None:
            places[entry["name"]] = MappedPlace(entry["name"], entry["kind"], entry["country"], *where)
    return places
