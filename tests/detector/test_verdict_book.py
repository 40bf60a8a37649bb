"""The verdict book rebuilds only verdicts whose content can have changed, and gives what building
every verdict gives (but for a quiet service's expected count drifting by less than a tenth)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from detector.inputs import BucketObservation
from detector.live import LiveDetector
from detector.settings import DetectorSettings
from detector.verdict_book import VerdictBook

START = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
SERVICES = [f"s{i:03d}" for i in range(120)]


def _observations(bucket: datetime, minute: int, rng: np.random.Generator) -> dict[str, BucketObservation]:
    out = {}
    for i, service in enumerate(SERVICES):
        if i < 10:  # busy: reports every minute, an outage in the middle
            n = float(rng.poisson(40.0 if 200 <= minute < 230 and i < 3 else 3.0))
        elif i < 40:  # now and then
            n = float(rng.poisson(0.2))
        else:  # quiet
            continue
        if n:
            out[service] = BucketObservation(service, bucket, reports=n, problems={"login": n})
    if minute % 50 == 7:  # a status page reading now and then
        out["s100"] = BucketObservation("s100", bucket, official="minor")
    return out


def _without_drift(verdict: dict[str, Any]) -> dict[str, Any]:
    sources = {kind: {k: v for k, v in source.items() if k != "expected"}
               for kind, source in verdict["sources"].items()}
    return {**{k: v for k, v in verdict.items() if k != "expected"}, "sources": sources}


def _same(kept: dict[str, Any], built: dict[str, Any]) -> bool:
    drifts = [(kept["expected"], built["expected"])] + [
        (kept["sources"][kind]["expected"], source["expected"]) for kind, source in built["sources"].items()]
    return _without_drift(kept) == _without_drift(built) and all(abs(a - b) < 0.1 for a, b in drifts)


def test_the_book_gives_what_building_every_verdict_gives_and_rebuilds_few() -> None:
    detector = LiveDetector(SERVICES, DetectorSettings(warmup_days=0.1))
    book = VerdictBook()
    rng = np.random.default_rng(14)
    rebuilt = []
    for minute in range(6 * 60):
        bucket = START + timedelta(minutes=minute)
        detector.update(bucket, _observations(bucket, minute, rng), now=bucket + timedelta(minutes=1))
        changed = book.refresh(detector, lambda service, exc: None)
        rebuilt.append(len(changed))
        full = {service: detector.verdict(service).to_dict() for service in SERVICES}
        kept = book.stamped(detector.stamp())
        assert kept.keys() == full.keys()
        assert all(_same(kept[name], full[name]) for name in SERVICES), minute
        assert all(book.bodies[name] == full[name] for name in changed)
        observed = [name for name in SERVICES if name in detector.observations]
        assert all(kept[name] == full[name] for name in observed)  # an observed service: in full
    assert rebuilt[0] == len(SERVICES)
    assert np.median(rebuilt[-60:]) < len(SERVICES) / 2, rebuilt[-60:]  # the quiet ones are kept


def test_a_verdict_that_cannot_be_built_is_left_out_and_named() -> None:
    detector = LiveDetector(["bt", "ee"])
    detector.update(START, {})
    failed: list[str] = []
    real = detector.verdict

    def verdict(service: str):  # type: ignore[no-untyped-def]
        if service == "ee":
            raise RuntimeError("broken")
        return real(service)

    detector.verdict = verdict  # type: ignore[method-assign]
    book = VerdictBook()
    assert book.refresh(detector, lambda service, exc: failed.append(service)) == {"bt"}
    assert failed == ["ee"] and set(book.bodies) == {"bt"}
