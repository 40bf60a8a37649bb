"""Live (one bucket at a time) and replay (a whole DataFrame) give the same verdicts, bucket for bucket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from detector.inputs import BucketObservation
from detector.live import LiveDetector
from detector.replay import replay
from detector.settings import DetectorSettings

START = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
SERVICES = ("alpha", "beta", "gamma")
TUNING: dict[str, Any] = {"warmup_days": 20 / 1440, "recover_buckets": 3, "cusum_degraded": 4.0,
                          "cusum_down": 8.0}

row = st.tuples(st.integers(0, 2), st.integers(0, 119), st.sampled_from(["report", "post"]),
                st.sampled_from(["login", "website", "email"]), st.integers(0, 60), st.integers(0, 8))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=2, max_size=80), burst=st.integers(0, 119),
       height=st.integers(0, 400))
@example(rows=[(1, 0, "report", "login", 1, 8), (2, 119, "post", "email", 3, 5)], burst=60, height=300)
def test_live_and_replay_agree_bucket_for_bucket(rows: list[tuple[int, int, str, str, int, int]],
                                                  burst: int, height: int) -> None:
    records = [{"service": SERVICES[s], "bucket": START + timedelta(minutes=m), "kind": kind,
                "problem": p, "count": n, "weight": n * eighths / 8, "reporters": n}
               for s, m, kind, p, n, eighths in rows]
    records += [{"service": "alpha", "bucket": START + timedelta(minutes=burst + k), "kind": "report",
                 "problem": "login", "count": height, "weight": height, "reporters": height}
                for k in range(8)]
    counts = pd.DataFrame(records)
    result = replay(counts.assign(bucket=counts["bucket"].map(lambda b: b.isoformat())), **TUNING)

    services = sorted(counts["service"].unique())
    live = LiveDetector(services, DetectorSettings(**TUNING))
    buckets = sorted(result.timeline["bucket"].unique())
    live_rows = []
    for bucket in buckets:
        moment = pd.Timestamp(bucket).to_pydatetime()
        here = counts[counts["bucket"] == moment]
        observations = {}
        for service, part in here.groupby("service"):
            reports = part[part["kind"] == "report"]
            posts = part[part["kind"] == "post"]
            problems = pd.concat([reports.set_index("problem")["count"],
                                  posts.set_index("problem")["weight"]])
            observations[str(service)] = BucketObservation(
                service=str(service), bucket=moment, reports=float(reports["count"].sum()),
                posts=float(posts["weight"].sum()), reporters=float(part["reporters"].sum()),
                problems=problems.groupby(level=0).sum().to_dict())
        live.update(moment, observations, now=moment)
        for service in services:
            line = live.timeline_row(service)
            verdict = live.verdict(service)
            live_rows.append((line.bucket, service, line.status, line.observed, line.expected, line.score,
                              verdict.confidence))
    replayed = [(r.bucket.to_pydatetime(), r.service, r.status, r.observed, r.expected, r.score, r.confidence)
                for r in result.timeline.itertuples()]
    assert live_rows == replayed
    first_minute = min([m for _, m, *_ in rows] + [burst])
    if height >= 200 and burst - first_minute >= 25:
        alpha = result.timeline[result.timeline["service"] == "alpha"]["status"]
        assert {"degraded", "down"} & set(alpha), "a burst of hundreds of reports must raise an alarm"
    live_incidents = [i.to_dict() for i in live.book.closed + live.active_incidents()]
    assert sorted(live_incidents, key=lambda d: (d["detected_at"], d["service"])) == [
        i.to_dict() for i in result.incident_records]
