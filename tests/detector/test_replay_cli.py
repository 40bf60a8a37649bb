"""``downwatch replay`` end to end in a subprocess: counts and signals in, timeline and incidents out."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.detector.scenario import normal_rate

START = datetime(2025, 2, 3, tzinfo=UTC)
# The full parser imports every command module; this runs downwatch.runtime.cli.main with only `replay`
# registered, so the test does not depend on the other commands being installed.
DRIVER = ("import sys, downwatch.runtime.cli as cli; cli.COMMAND_MODULES = ('replay',); "
          "raise SystemExit(cli.main(sys.argv[1:]))")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", DRIVER, "replay", *args], capture_output=True, text=True,
                          input=stdin, timeout=300, cwd=Path(__file__).resolve().parents[2])


def counts_history(path: Path) -> None:
    """Two quiet days of reports for "bt", then a 20-minute outage, then quiet again."""
    rows = []
    for minute in range(2 * 1440 + 120):
        n = round(normal_rate(minute))
        if 2 * 1440 <= minute < 2 * 1440 + 20:
            n = 150
        bucket = (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if n:
            rows.append({"service": "bt", "bucket": bucket, "kind": "report", "problem": "login", "count": n,
                         "weight": n, "reporters": n})
        if 2 * 1440 <= minute < 2 * 1440 + 20:
            rows.append({"service": "bt", "bucket": bucket, "kind": "location", "location": "London",
                         "count": 40})
    pd.DataFrame(rows).to_csv(path, index=False)


def test_counts_in_timeline_and_incidents_out(tmp_path: Path) -> None:
    source, out = tmp_path / "counts.csv", tmp_path / "out"
    counts_history(source)
    done = run(str(source), "-o", str(out))
    assert done.returncode == 0, done.stderr
    timeline = pd.read_csv(out / "timeline.csv")
    assert list(timeline.columns) == ["bucket", "service", "status", "observed", "expected", "score",
                                      "confidence"]
    assert len(timeline) == 2 * 1440 + 120
    assert timeline["status"].iloc[0] == "unknown" and timeline["status"].iloc[2 * 1440 - 1] == "up"
    assert "down" in set(timeline["status"].iloc[2 * 1440:2 * 1440 + 20])
    assert timeline["status"].iloc[-1] == "up"
    incidents = json.loads((out / "incidents.json").read_text())
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident["status"] == "resolved" and incident["severity"] == "down"
    assert incident["started_at"] == "2025-02-05T00:00:00Z"
    assert incident["problems"] == {"login": 1.0} and "London" in incident["locations"]
    table = pd.read_csv(out / "incidents.csv")
    assert table["started_at"].tolist() == ["2025-02-05T00:00:00Z"]


def test_signals_in_are_detected_by_their_columns(tmp_path: Path) -> None:
    source = tmp_path / "signals.jsonl"
    lines = []
    for minute in range(90):
        for k in range(3 if minute < 60 else 0):
            moment = START + timedelta(minutes=minute, seconds=10 * k)
            lines.append(json.dumps({"service": "sky", "kind": "post", "problem": "streaming",
                                     "location": "Leeds", "weight": 0.75, "author_hash": f"a{minute}-{k}",
                                     "observed_at": moment.isoformat()}))
    source.write_text("\n".join(lines) + "\n")
    done = run(str(source), "--warmup-days", "0.01")
    assert done.returncode == 0, done.stderr
    rows = done.stdout.strip().splitlines()
    assert rows[0] == "bucket,service,status,observed,expected,score,confidence"
    assert len(rows) == 1 + 60
    assert rows[1].startswith("2025-02-03T00:00:00Z,sky,unknown,2.25,")


@pytest.mark.parametrize(("content", "message"), [
    ("service,bucket,kind,count\nbt,2025-02-03T00:00:00Z,report,2\nbt,yesterday,report,1\n",
     "row 2: bucket 'yesterday' is not an ISO 8601 time"),
    ("service,bucket,kind,count\nbt,2025-02-03T00:00:00Z,report,-3\n", "row 1: count -3 is negative"),
    ("service,bucket,kind,count\nbt,2025-02-03T00:00:00Z,report,many\n",
     "row 1: count 'many' is not a number"),
    ("service,bucket,kind,count\nbt,2025-02-03T00:00:00Z,tweet,1\n", "row 1: kind 'tweet' is not one of"),
    ("service,bucket,count\nbt,2025-02-03T00:00:00Z,1\n", "missing kind"),
    ("service,kind,observed_at\nbt,post,2025-13-40T00:00:00Z\n", "row 1: observed_at"),
    ("name,when\nbt,now\n", "are neither counts"),
    ("", "is empty"),
])
def test_bad_input_is_refused_with_one_line_and_no_output(tmp_path: Path, content: str, message: str) -> None:
    source, out = tmp_path / "bad.csv", tmp_path / "out"
    source.write_text(content)
    done = run(str(source), "-o", str(out))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert message in done.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    done = run(str(tmp_path / "nowhere.csv"))
    assert done.returncode == 2 and "no such file" in done.stderr
