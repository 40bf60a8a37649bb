"""Build the dashboard's shipped map outline (api/static/map/outline.json) from Natural Earth land.

Input: the folder of the npm package ``world-atlas`` (TopoJSON of Natural Earth, public domain),
e.g. ``npm pack world-atlas && tar xzf world-atlas-*.tgz``; run once, the output is committed:

    python tools/build_map_outline.py package/ api/static/map/outline.json

Each map is an equirectangular projection around a standard parallel: x = (lon - west) * cos(parallel)
* k, y = (north - lat) * k, with k chosen so that the map is ``width`` units wide. The browser
(api/static/js/map.js) projects places with the same numbers, read from this file.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Point = tuple[float, float]


@dataclass(frozen=True)
class Frame:
    name: str
    source: str
    west: float
    east: float
    south: float
    north: float
    parallel: float
    width: float
    min_step: float  # drop a vertex nearer than this (map units) to the last one kept

    @property
    def k(self) -> float:
        return self.width / ((self.east - self.west) * math.cos(math.radians(self.parallel)))

    @property
    def height(self) -> float:
        return round((self.north - self.south) * self.k, 1)

    def project(self, lon: float, lat: float) -> Point:
        cos = math.cos(math.radians(self.parallel))
        return (lon - self.west) * cos * self.k, (self.north - lat) * self.k


FRAMES = (
    Frame("world", "land-110m.json", -180.0, 180.0, -58.0, 84.0, 0.0, 1000.0, 1.5),
    Frame("uk", "land-50m.json", -10.8, 2.2, 49.8, 60.9, 55.0, 400.0, 1.6),
)


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def ring_points(indices: list[int], arcs: list[list[Point]]) -> list[Point]:
    ring: list[Point] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return ring


def rings_of(topology: dict[str, Any]) -> list[list[Point]]:
    arcs = decode_arcs(topology)
    rings = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            rings.extend(ring_points(ring, arcs) for ring in polygon)
    return rings


MARGIN = 1.0  # degrees kept around a frame; land beyond it is pressed onto its edge


def touches(frame: Frame, ring: list[Point]) -> bool:
    return any(frame.west - MARGIN <= lon <= frame.east + MARGIN
               and frame.south - MARGIN <= lat <= frame.north + MARGIN for lon, lat in ring)


def split_at_antimeridian(ring: list[Point]) -> list[list[Point]]:
    """A ring that crosses 180° as pieces that each start and end on the map's edge, so that closing
    a piece runs along the edge instead of across the map."""
    jumps = [i for i in range(1, len(ring)) if abs(ring[i][0] - ring[i - 1][0]) > 180]
    if not jumps:
        return [ring]
    rotated = ring[jumps[0]:] + ring[1:jumps[0]]
    pieces: list[list[Point]] = [[rotated[0]]]
    for previous, point in itertools.pairwise(rotated):
        if abs(point[0] - previous[0]) > 180:
            pieces.append([])
        pieces[-1].append(point)
    return pieces


def path_of(frame: Frame, rings: list[list[Point]]) -> str:
    parts = []
    for ring in (piece for whole in rings for piece in split_at_antimeridian(whole)):
        if not touches(frame, ring):
            continue
        kept: list[Point] = []
        for lon, lat in ring:
            x, y = frame.project(min(max(lon, frame.west - MARGIN), frame.east + MARGIN),
                                 min(max(lat, frame.south - MARGIN), frame.north + MARGIN))
            if kept and math.dist(kept[-1], (x, y)) < frame.min_step:
                continue
            kept.append((x, y))
        if len(kept) < 4:
            continue
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z")
    return "".join(parts)


def build(package: Path) -> dict[str, Any]:
    maps = {}
    for frame in FRAMES:
        topology = json.loads((package / frame.source).read_text("utf-8"))
        maps[frame.name] = {"west": frame.west, "east": frame.east, "south": frame.south,
                            "north": frame.north, "parallel": frame.parallel, "width": frame.width,
                            "height": frame.height, "land": path_of(frame, rings_of(topology))}
    version = json.loads((package / "package.json").read_text("utf-8"))["version"]
    return {"source": f"Natural Earth land (public domain), via world-atlas {version}", "maps": maps}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: build_map_outline.py WORLD_ATLAS_PACKAGE_DIR OUTPUT_JSON", file=sys.stderr)
        return 2
    outline = build(Path(argv[1]))
    Path(argv[2]).write_text(json.dumps(outline, separators=(",", ":")) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
