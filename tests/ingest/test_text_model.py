"""The corpus and model: honest split, reproducible build, sane answers on held-out hand-written posts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from downwatch.catalog import load_catalog
from downwatch.records import Problem
from ingest.text.corpus_build import build
from ingest.text.matcher import ServiceMatcher
from ingest.text.model import TextModel
from ingest.text.pipeline import TextPipeline
from ingest.text.train import catalog_digest, corpus_digest, mask_all, read_corpus, train, train_bundled


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return read_corpus()


def test_corpus_is_what_the_builder_writes(corpus: list[dict[str, Any]]) -> None:
    assert build(list(load_catalog())) == corpus


def test_corpus_size_and_variety(corpus: list[dict[str, Any]]) -> None:
    assert len(corpus) >= 5000
    assert len({row["service"] for row in corpus if row["service"]}) >= 80
    assert len({row["lang"] for row in corpus}) >= 6
    assert sum(1 for row in corpus if row["family"].startswith("handwritten")) >= 250
    assert {row["problem"] for row in corpus if row["is_report"]} == {p.value for p in Problem}
    assert all(row["problem"] is None for row in corpus if not row["is_report"])
    assert len({row["id"] for row in corpus}) == len(corpus)


def test_split_shares_no_family_and_no_generated_service(corpus: list[dict[str, Any]]) -> None:
    families = {split: {row["family"] for row in corpus if row["split"] == split}
                for split in ("train", "validation")}
    assert not families["train"] & families["validation"]
    free_form = ("handwritten.", "written.", "real.")
    generated = [row for row in corpus if not row["family"].startswith(free_form) and row["service"]]
    services = {split: {row["service"] for row in generated if row["split"] == split}
                for split in ("train", "validation")}
    assert not services["train"] & services["validation"]
    assert Counter(row["split"] for row in corpus)["validation"] >= 1000


def test_bundled_model_records_its_inputs() -> None:
    metadata = TextModel.load().metadata
    assert metadata["corpus_sha256"] == corpus_digest()
    assert metadata["catalog_sha256"] == catalog_digest(load_catalog())


# Retraining on another machine or another scikit-learn release may move float32 weights by a few
# units in the last place; what must not move is what the model answers.
PROBABILITY_TOLERANCE = 0.01
LABEL_AGREEMENT = 0.995


def _answers(model: TextModel, texts: list[str]) -> tuple[np.ndarray, list[str]]:
    return model.predict(mask_all(ServiceMatcher(list(load_catalog())), texts))


def test_retraining_reproduces_the_bundled_models_answers(tmp_path: Path,
                                                           corpus: list[dict[str, Any]]) -> None:
    rebuilt = TextModel.load(train_bundled(out=tmp_path / "model.npz"))
    bundled = TextModel.load()
    version_free = {key: value for key, value in bundled.metadata.items() if key != "sklearn"}
    assert {key: rebuilt.metadata[key] for key in version_free} == version_free
    assert rebuilt.problems == bundled.problems
    fixed_set = [row["text"] for row in corpus if row["split"] == "validation"]
    rebuilt_p, rebuilt_problems = _answers(rebuilt, fixed_set)
    bundled_p, bundled_problems = _answers(bundled, fixed_set)
    assert np.abs(rebuilt_p - bundled_p).max() <= PROBABILITY_TOLERANCE
    assert np.mean((rebuilt_p >= 0.5) == (bundled_p >= 0.5)) >= LABEL_AGREEMENT
    agree = [a == b for a, b, p in zip(rebuilt_problems, bundled_problems, bundled_p, strict=True)
             if p >= 0.5]
    assert sum(agree) / len(agree) >= LABEL_AGREEMENT


def test_a_changed_model_answers_differently(corpus: list[dict[str, Any]]) -> None:
    """The comparison above can fail: a model trained on half the corpus is told apart."""
    bundled = TextModel.load()
    halved = train([row for i, row in enumerate(corpus) if i % 2 == 0], list(load_catalog()))
    fixed_set = [row["text"] for row in corpus if row["split"] == "validation"]
    moved = np.abs(_answers(halved, fixed_set)[0] - _answers(bundled, fixed_set)[0])
    assert moved.max() > PROBABILITY_TOLERANCE


def test_held_out_hand_written_posts(corpus: list[dict[str, Any]]) -> None:
    held_out = [row for row in corpus
                if row["split"] == "validation" and row["family"].startswith("handwritten")]
    assert len(held_out) >= 60
    got = TextPipeline.default(load_catalog(), "k").classify([row["text"] for row in held_out])
    right = sum(1 for row, c in zip(held_out, got, strict=True) if c.is_report == row["is_report"])
    assert right / len(held_out) >= 0.9
    reports = [(row, c) for row, c in zip(held_out, got, strict=True) if row["is_report"]]
    assert sum(1 for row, c in reports if c.service == row["service"]) / len(reports) >= 0.95


@pytest.mark.parametrize(("text", "service", "is_report", "problem"), [
    ("can't log into my Barclays app, says my password is wrong but it isn't", "barclays", True, "login"),
    ("Spotify won't play any songs, just skips", "spotify", True, "streaming"),
    ("virgin media down in Leeds, no internet since 6", "virgin-media", True, "connection"),
    ("Netflix was down last night but it's back now", "netflix", False, None),
    ("BT putting their prices up again", "bt", False, None),
    ("Monzo planned maintenance tonight from 1am", "monzo", False, None),
    ("the sky is gorgeous tonight", None, False, None),
    ("my work VPN is down again", None, False, None),
    ("@AWSSupport Sure. Case ID: 2230311591. Thanks :)", "aws", False, None),
    ("Now accept card payments with Square in the UK!", "square", False, None),
    ("Introducing PhotoScan by Google Photos", "google", False, None),
    ("Google", "google", False, None),
])
def test_obvious_cases(text: str, service: str | None, is_report: bool, problem: str | None) -> None:
    [verdict] = TextPipeline.default(load_catalog(), "k").classify([text])
    assert (verdict.service, verdict.is_report, verdict.problem) == (service, is_report, problem)
    assert (verdict.confidence >= 0.5) == is_report


def test_model_file_is_small_and_loads_as_arrays() -> None:
    """Loading reads arrays, never unpickles; how long it takes is in benchmarks/text_model_load.py."""
    from ingest.text.resources import data_file

    path = Path(str(data_file("model.npz")))
    assert path.stat().st_size < 3_000_000
    with np.load(path, allow_pickle=False) as stored:
        assert all(stored[name].dtype != object for name in stored.files)
    model = TextModel.load()
    assert model.report_weights.shape == (2 ** int(model.metadata["feature_bits"]),)
    assert model.problem_weights.shape == (*model.report_weights.shape, len(model.problems))


def test_corpus_lines_are_json_objects_with_the_documented_keys() -> None:
    from ingest.text.resources import data_file

    first = json.loads(Path(str(data_file("corpus.jsonl"))).read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"id", "text", "service", "is_report", "problem", "lang", "split", "family"}


@pytest.mark.parametrize("text", [
    "@AWSSupport Sure. Case ID: 2230311591. Thanks :)",
    "Reddit, what's your motto to get you through tough times?",
    "Announcing reddit live",
    "Google Calendar",
])
def test_a_post_that_says_nothing_fails_is_never_a_report(text: str) -> None:
    from ingest.text.pipeline import NO_EVIDENCE_CAP

    [verdict] = TextPipeline.default(load_catalog(), "k").classify([text])
    assert verdict.service is not None and not verdict.is_report
    assert verdict.confidence <= NO_EVIDENCE_CAP


SUPPORTED_LANGUAGES = {"en", "fr", "de", "es", "pl", "cy", "nl", "pt", "it"}


def _written(name: str) -> list[dict[str, Any]]:
    from ingest.text.resources import data_file

    text = Path(str(data_file(name))).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["corpus_written.jsonl", "written_test.jsonl"])
def test_written_posts_are_valid(name: str) -> None:
    rows = _written(name)
    slugs = {service.slug for service in load_catalog()}
    problems = {p.value for p in Problem}
    assert len(rows) >= 300
    for row in rows:
        assert set(row) <= {"text", "service", "is_report", "problem", "lang", "also"}, row
        assert row["text"].strip() and row["lang"] in SUPPORTED_LANGUAGES, row
        assert row["service"] is None or row["service"] in slugs, row
        if row["is_report"]:
            assert row["service"] is not None and row["problem"] in problems, row
            also = row.get("also", [])
            assert all(p in problems and p != row["problem"] for p in also), row
        else:
            assert row["problem"] is None and "also" not in row, row


def test_written_test_posts_never_enter_the_corpus(corpus: list[dict[str, Any]]) -> None:
    from ingest.text.corpus_build import is_written_test

    test_rows = _written("written_test.jsonl")
    train_rows = _written("corpus_written.jsonl")
    assert all(is_written_test(row["text"]) for row in test_rows)
    assert not any(is_written_test(row["text"]) for row in train_rows)
    from ingest.text.matcher import fold

    in_corpus = {fold(row["text"]) for row in corpus}
    assert not in_corpus & {fold(row["text"]) for row in test_rows}
    assert {fold(row["text"]) for row in train_rows} <= in_corpus   # (a few equal an older row)
    # about a third of every language's written posts is TEST
    for lang in ("en", "fr", "de", "es"):
        n_test = sum(1 for row in test_rows if row["lang"] == lang)
        n_train = sum(1 for row in train_rows if row["lang"] == lang)
        assert 0.2 <= n_test / (n_test + n_train) <= 0.45


def test_problem_mix_keeps_the_main_problem_first_and_the_rest_as_weights() -> None:
    import scipy.sparse as sp

    model = TextModel(report_weights=np.zeros(4, dtype=np.float32), report_bias=0.0, platt_scale=1.0,
                      platt_shift=0.0,
                      problem_weights=np.array([[3.0, 0.0, 0.0], [0.0, 2.6, 0.0], [0.0, 0.0, 0.0],
                                                [0.0, 0.0, 0.0]], dtype=np.float32),
                      problem_bias=np.zeros(3), problems=("email", "login", "other"), metadata={})
    two, one = model.problem_mix(sp.csr_matrix(np.array([[1.0, 1.0, 0, 0], [1.0, 0, 0, 0]])))
    assert list(two) == ["email", "login"] and two["email"] > two["login"] >= 0.2
    assert abs(sum(two.values()) - 1.0) < 1e-3
    assert list(one) == ["email"] and one["email"] == 1.0
    assert model.problem_of(sp.csr_matrix(np.array([[1.0, 1.0, 0, 0]]))) == ["email"]


def test_posts_naming_two_problems_get_both() -> None:
    """The written training posts that name two problems: main one first, the other kept as a weight."""
    rows = [row for row in _written("corpus_written.jsonl") if row["is_report"]]
    model = TextModel.load()
    features = model.featurizer().transform(mask_all(ServiceMatcher(list(load_catalog())),
                                                     [row["text"] for row in rows]))
    mixes = model.problem_mix(features)
    two = [(row, mix) for row, mix in zip(rows, mixes, strict=True) if row.get("also")]
    one = [mix for row, mix in zip(rows, mixes, strict=True) if not row.get("also")]
    assert len(two) >= 30
    assert sum(1 for row, mix in two if next(iter(mix)) == row["problem"]) / len(two) >= 0.8
    assert sum(1 for row, mix in two if set(row["also"]) & set(mix)) / len(two) >= 0.6
    assert sum(1 for mix in one if len(mix) > 1) / len(one) <= 0.1
