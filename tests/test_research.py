"""The research API without a database: counts from signals, replay, incident bundles, reading a replay."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import downwatch.research as dr
from detector.replay import replay as detector_replay
from detector.synthetic import SyntheticWorld
from downwatch.errors import InputError


def signal_rows() -> pd.DataFrame:
    return pd.DataFrame([
        {"service": "bt", "kind": "report", "problem": "login", "observed_at": "2025-02-04T08:00:05Z",
         "author_hash": "a", "location": "Leeds"},
        {"service": "bt", "kind": "report", "problem": "login", "observed_at": "2025-02-04T08:00:50Z",
         "author_hash": "b", "location": "Leeds"},
        {"service": "bt", "kind": "report", "problem": "login", "observed_at": "2025-02-04T08:00:55Z",
         "author_hash": "b", "location": ""},
        {"service": "bt", "kind": "post", "problem": "email", "observed_at": "2025-02-04T08:01:00Z",
         "weight": 0.5},
        {"service": "bt", "kind": "probe", "problem": "website", "observed_at": "2025-02-04T08:00:05Z",
         "weight": 1.0},
        {"service": "bt", "kind": "probe", "problem": "website", "observed_at": "2025-02-04T08:00:35Z",
         "weight": 0.0},
        {"service": "bt", "kind": "status", "problem": "other", "observed_at": "2025-02-04T08:00:01Z",
         "weight": 2 / 3},
    ])


def test_counts_from_signals_follow_the_store_conventions() -> None:
    signals = signal_rows()
    signals["weight"] = signals["weight"].fillna(1.0)
    counts = dr.counts_from_signals(signals)
    by_kind = {row.kind: row for row in counts.itertuples() if row.kind != "location"}
    assert by_kind["report"].count == 3 and by_kind["report"].reporters == 2
    assert by_kind["report"].bucket == "2025-02-04T08:00:00Z"
    assert by_kind["post"].weight == 0.5 and by_kind["post"].bucket == "2025-02-04T08:01:00Z"
    assert by_kind["probe"].count == 1 and by_kind["probe"].checks == 2
    assert by_kind["status"].indicator == "major"
    places = counts[counts["kind"] == "location"]
    assert places[["location", "count"]].values.tolist() == [["Leeds", 2.0]]


def test_counts_from_timestamps_refuses_a_bad_time_naming_its_row() -> None:
    table = pd.DataFrame({"timestamp": ["2025-01-01T00:00:10Z", "yesterday"]})
    with pytest.raises(InputError, match="row 2: observed_at 'yesterday'"):
        dr.counts_from_timestamps(table, "acme")
    with pytest.raises(InputError, match="no 'when' column"):
        dr.counts_from_timestamps(table, "acme", time_column="when")


def small_counts() -> pd.DataFrame:
    world = SyntheticWorld(services=3, days=3, seed=4, quiet_days=1, outages_per_month=30)
    return world.history().to_counts()


def test_replay_with_a_progress_bar_gives_the_detectors_own_answer(
        capsys: pytest.CaptureFixture[str]) -> None:
    counts = small_counts()
    ours = dr.replay(counts, progress=True, cusum_degraded=9.0)
    theirs = detector_replay(counts, cusum_degraded=9.0)
    assert "replay 3 services" in capsys.readouterr().err
    pd.testing.assert_frame_equal(ours.timeline, theirs.timeline)
    pd.testing.assert_frame_equal(ours.incidents, theirs.incidents)
    assert len(ours.incidents) > 0


def test_replay_refuses_an_unknown_setting() -> None:
    with pytest.raises(InputError, match="unknown detector setting"):
        dr.replay(small_counts(), cusum_treshold=3)


def test_an_exported_incident_replays_the_same_elsewhere(tmp_path: Path) -> None:
    counts = small_counts()
    service = "svc0001"
    start, end = "2025-01-01T00:00:00Z", "2025-01-03T12:00:00Z"
    manifest_path = dr.export_incident(counts, service, start, end, tmp_path / "bundle",
                                       settings={"cusum_degraded": 9.0})
    manifest = json.loads(manifest_path.read_text())
    assert manifest["service"] == service and manifest["settings"] == {"cusum_degraded": 9.0}
    assert manifest["window"] == {"start": start, "end": end}
    bundle = dr.load_incident(tmp_path / "bundle")
    in_window = counts[(counts["service"] == service) & (counts["bucket"] < end)]
    expected = detector_replay(in_window, cusum_degraded=9.0)
    got = bundle.replay()
    pd.testing.assert_frame_equal(got.timeline, expected.timeline)
    pd.testing.assert_frame_equal(got.incidents, expected.incidents)
    assert len(bundle.replay(cusum_degraded=30.0, cusum_down=30.0).incidents) <= len(got.incidents)


def test_a_changed_bundle_file_is_refused(tmp_path: Path) -> None:
    signals = signal_rows().fillna({"weight": 1.0})
    dr.export_incident(signals, "bt", "2025-02-04T00:00:00Z", "2025-02-05T00:00:00Z", tmp_path / "b")
    assert (tmp_path / "b" / "signals.csv").is_file()
    bundle = dr.load_incident(tmp_path / "b")
    assert bundle.signals is not None and len(bundle.signals) == len(signals)
    counts_file = tmp_path / "b" / "counts.csv"
    counts_file.write_text(counts_file.read_text().replace("login", "email"))
    with pytest.raises(InputError, match=r"counts\.csv: checksum does not match"):
        dr.load_incident(tmp_path / "b")
    with pytest.raises(InputError, match=r"no manifest\.json"):
        dr.load_incident(tmp_path)


def test_export_refuses_an_empty_window_and_bad_settings(tmp_path: Path) -> None:
    counts = small_counts()
    with pytest.raises(InputError, match="no counts for 'svc0001'"):
        dr.export_incident(counts, "svc0001", "2030-01-01", "2030-01-02", tmp_path / "x")
    with pytest.raises(InputError, match="unknown detector setting"):
        dr.export_incident(counts, "svc0001", "2025-01-01", "2025-01-02", tmp_path / "x",
                           settings={"nonsense": 1})
    with pytest.raises(InputError, match="start before its end"):
        dr.export_incident(counts, "svc0001", "2025-01-02", "2025-01-01", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_the_demo_incident_is_caught_first_by_reports_and_never_by_the_status_page() -> None:
    incident = dr.demo_incident(1)
    assert incident.origin == "generated in memory"
    result = dr.replay(incident.counts)
    changes = dr.verdict_changes(result.timeline, "bt")
    raised = changes[changes["to_status"].isin(["degraded", "down"])]
    assert not raised.empty and raised["bucket"].min() >= incident.onset
    assert raised["bucket"].min() - incident.onset <= pd.Timedelta(minutes=15)
    by_source = dr.first_alarm_by_source(incident.counts, "bt", incident.onset).set_index("source")
    assert pd.isna(by_source.loc["status", "first_alarm"])
    assert by_source.loc["report", "first_alarm"] <= by_source.loc["probe", "first_alarm"]
    assert by_source.loc["all", "first_alarm"] == raised["bucket"].min()
