"""The verdict's per-source scores judge each source with the dispersion the engine judged the bucket with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detector.inputs import BucketObservation
from detector.live import LiveDetector
from detector.settings import DetectorSettings

START = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)


def test_a_reports_only_service_scores_its_report_source_as_the_engine_scored_the_bucket() -> None:
    detector = LiveDetector(["bank"], DetectorSettings(post_share=0.0, warmup_days=0.25))
    counts = np.random.default_rng(3).poisson(2.0, 8 * 60).astype(float)
    counts[-1] = 9.0
    for minute, n in enumerate(counts.tolist()):
        bucket = START + timedelta(minutes=minute)
        detector.update(bucket, {"bank": BucketObservation("bank", bucket, reports=n)})
    verdict = detector.verdict("bank")
    report = verdict.to_dict()["sources"]["report"]
    assert report["observed"] == 9.0
    assert abs(report["expected"] - verdict.expected) < 1e-3
    assert 0.9 < verdict.score < 1.0
    assert abs(report["score"] - verdict.score) < 2e-6
