"""``downwatch score`` end to end, in a real subprocess: the output, the rules, and every refusal."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.decision import THRESHOLD
from detector.replay import replay

FIXTURE = Path(__file__).parent / "fixtures" / "nab" / "posts_with_outage.csv"
OUTAGE_START = 1500


def run_score(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "downwatch", "score", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def parse_output(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def assert_refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("downwatch score: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_scores_the_fixture_to_stdout_and_flags_the_outage() -> None:
    result = run_score(str(FIXTURE))
    assert result.returncode == 0, result.stderr
    rows = parse_output(result.stdout)
    source = list(csv.DictReader(FIXTURE.open()))
    assert list(rows[0]) == ["timestamp", "value", "anomaly_score"]
    assert [(r["timestamp"], r["value"]) for r in rows] == [(r["timestamp"], r["value"]) for r in source]
    scores = [float(r["anomaly_score"]) for r in rows]
    assert all(0.0 <= s <= 1.0 for s in scores)
    first = next(i for i in range(300, len(scores)) if scores[i] >= THRESHOLD)
    assert OUTAGE_START <= first < OUTAGE_START + 6


def test_the_score_is_the_live_detectors_decision_of_each_bucket() -> None:
    """One detector: the series replayed as one service's report counts opens an incident exactly at
    the rows whose score is at least the decision threshold (the onset score: later rows of an open
    alarm score 0), and the replay's first incident is detected at the first of them."""
    result = run_score(str(FIXTURE))
    assert result.returncode == 0, result.stderr
    scored = np.array([float(r["anomaly_score"]) for r in parse_output(result.stdout)])
    source = list(csv.DictReader(FIXTURE.open()))
    counts = pd.DataFrame({"service": "s", "bucket": [r["timestamp"] for r in source], "kind": "report",
                           "count": [float(r["value"]) for r in source]})
    replayed = replay(counts, bucket_seconds=300)
    in_alarm = replayed.timeline["status"].isin(["degraded", "down"]).to_numpy()
    assert in_alarm.any() and (~in_alarm).any()
    opens = in_alarm & ~np.concatenate([[False], in_alarm[:-1]])
    assert np.array_equal(scored >= THRESHOLD, opens)
    assert np.all(scored[in_alarm & ~opens] == 0.0)
    first = int(np.argmax(scored >= THRESHOLD))
    detected = pd.Timestamp(replayed.incidents["detected_at"].iloc[0])
    assert pd.Timestamp(source[first]["timestamp"], tz="UTC").floor("5min") == detected


def test_output_file_matches_stdout_and_stdin_works(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    to_file = run_score(str(FIXTURE), "-o", str(out))
    assert to_file.returncode == 0 and to_file.stdout == ""
    from_stdin = run_score("-", stdin=FIXTURE.read_text())
    assert out.read_text() == from_stdin.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_duplicate_out_of_order_and_irregular_rows_are_kept_in_file_order(tmp_path: Path) -> None:
    lines = ["timestamp,value"]
    lines += [f"2024-05-01 {h:02d}:{m:02d}:00,{(h * 7 + m) % 13 - 4.5}"
              for h in range(0, 20) for m in (0, 5, 17)]
    lines.insert(30, lines[29])  # a duplicate timestamp
    lines.insert(45, "2024-04-30 23:00:00,2.0")  # out of order
    lines.append("2024-05-03 09:00:00,-1e3")  # a two-day gap and a negative value
    path = write(tmp_path, "\n".join(lines) + "\n")
    result = run_score(str(path))
    assert result.returncode == 0, result.stderr
    rows = parse_output(result.stdout)
    assert [f"{r['timestamp']},{r['value']}" for r in rows] == lines[1:]


def test_time_zones_are_accepted_and_written_back_as_given(tmp_path: Path) -> None:
    text = ("timestamp,value\n2024-05-01T10:00:00+02:00,1\n2024-05-01T08:05:00Z,2\n"
            "2024-05-01 08:10:00,3.5\n")
    result = run_score(str(write(tmp_path, text)))
    assert result.returncode == 0, result.stderr
    assert [r["timestamp"] for r in parse_output(result.stdout)] == [
        "2024-05-01T10:00:00+02:00", "2024-05-01T08:05:00Z", "2024-05-01 08:10:00"]


def test_naive_and_utc_timestamps_give_the_same_scores(tmp_path: Path) -> None:
    naive = FIXTURE.read_text()
    lines = naive.splitlines()
    aware = "\n".join([lines[0]] + [line.replace(" ", "T", 1).replace(",", "+00:00,", 1)
                                    for line in lines[1:]]) + "\n"
    first = run_score(str(write(tmp_path, naive, "naive.csv")))
    second = run_score(str(write(tmp_path, aware, "aware.csv")))
    assert ([r["anomaly_score"] for r in parse_output(first.stdout)]
            == [r["anomaly_score"] for r in parse_output(second.stdout)])


@pytest.mark.parametrize(("text", "fragments"), [
    ("", ("is empty",)),
    ("timestamp,value\n", ("no data rows",)),
    ("2024-05-01 00:00:00,3\n2024-05-01 00:05:00,4\n", ("line 1", "header")),
    ("time,count\n2024-05-01 00:00:00,3\n", ("line 1", "'timestamp' and 'value'")),
    ("timestamp,value\n2024-05-01 00:00:00,3\n2024-05-01 00:05:00\n", ("line 3", "fields")),
    ("timestamp,value\n2024-05-01 00:00:00,3\n2024-05-01 00:05:00,lots\n", ("line 3", "'lots'", "number")),
    ("timestamp,value\n2024-05-01 00:00:00,nan\n", ("line 2", "'nan'")),
    ("timestamp,value\n2024-05-01 00:00:00,\n", ("line 2", "not a finite number")),
    ("timestamp,value\n2024-05-01 00:00:00,1\n01/05/2024 00:05,2\n", ("line 3", "ISO 8601")),
])
def test_bad_input_is_refused_with_one_line_naming_the_row(tmp_path: Path, text: str,
                                                           fragments: tuple[str, ...]) -> None:
    assert_refused(run_score(str(write(tmp_path, text))), *fragments)


def test_unreadable_inputs_are_refused(tmp_path: Path) -> None:
    assert_refused(run_score(str(tmp_path / "missing.csv")), "no such file")
    assert_refused(run_score(str(tmp_path)), "is a directory")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"timestamp,value\n\xff\xfe\x00\x81,1\n")
    assert_refused(run_score(str(binary)), "not UTF-8")


def test_a_failed_run_leaves_no_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    bad = write(tmp_path, "timestamp,value\n2024-05-01 00:00:00,1\n2024-05-01 00:05:00,x\n")
    assert_refused(run_score(str(bad), "-o", str(out)), "line 3")
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == ["in.csv"]


def test_an_output_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    assert_refused(run_score(str(FIXTURE), "-o", str(tmp_path / "nope" / "out.csv")), "does not exist")
