"""A post naming two problems: the main one decides the signal, the rest travel as weights."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from downwatch.catalog import load_catalog
from downwatch.records import Observation
from ingest.text.pipeline import TextPipeline


@pytest.fixture(scope="module")
def pipeline() -> TextPipeline:
    return TextPipeline.default(load_catalog(), hash_key="test-key")


def test_two_problems_give_the_main_one_and_the_other_as_a_weight(pipeline: TextPipeline) -> None:
    text = "gmail won't load my emails and now it's logged me out"
    (verdict,) = pipeline.classify([text])
    assert verdict.is_report and verdict.problem == next(iter(verdict.problems))
    assert set(verdict.problems) == {"email", "login"}
    assert sum(verdict.problems.values()) == pytest.approx(1.0, abs=1e-3)
    obs = Observation(source="test", external_id="1", text=text, author="someone",
                      observed_at=datetime(2025, 2, 4, 8, tzinfo=UTC))
    (signal,) = pipeline.signals([obs])
    assert signal.problem.value == verdict.problem
    assert signal.evidence["problems"] == dict(verdict.problems)


def test_one_problem_and_no_report_carry_no_mix(pipeline: TextPipeline) -> None:
    one, chatter = pipeline.classify(["Spotify won't play any songs, just skips", "the sky is so blue today"])
    assert one.is_report and list(one.problems) == [one.problem]
    assert chatter.problems == {} and chatter.problem is None
