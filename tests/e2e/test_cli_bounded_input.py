"""Every command that reads a file streams or caps it: corrupt or endless input is one line on stderr
and exit status 2, never a traceback, never memory without bound.

Each command runs as a real subprocess with its address space capped at 2 GiB (``RLIMIT_AS``), so an
input that would grow memory without bound fails as a ``MemoryError`` traceback instead of taking the
machine down; the tests assert the one-line refusal.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

MEMORY_CAP = 2 * 1024 ** 3
FIELD = "x" * 140_000  # csv's field_size_limit is 131,072


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def downwatch(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOWNWATCH_HASH_KEY": "test-key-of-16-bytes",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "downwatch", *args], input=stdin, capture_output=True,
                          env=env, preexec_fn=cap_memory, check=False)


def assert_refused(done: subprocess.CompletedProcess[bytes], command: str, *fragments: str) -> str:
    stderr = done.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr, stderr[-3000:]
    assert done.returncode == 2, stderr[-3000:]
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr[-3000:]
    assert lines[0].startswith(f"downwatch {command}: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


LONE_SURROGATE = '{"id": 1, "text": "\\ud800 is bt down?"}\n'
DEEP = '{"id": 1, "text": "bt", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"


def test_score_refuses_a_field_over_the_csv_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", f"timestamp,value\n2024-05-01 00:00:00,1\n2024-05-01 00:05:00,{FIELD}\n")
    assert_refused(downwatch("score", path), "score", "line 3", "field")


def test_ingest_replay_refuses_a_field_over_the_csv_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv",
                 f"source,external_id,observed_at,text\nr,1,2024-05-01T00:00:00Z,{FIELD}\n")
    assert_refused(downwatch("ingest", "replay", "--load", path), "ingest", "field")


@pytest.mark.parametrize("command", ["score", "classify", "replay"])
def test_dev_zero_is_refused_without_reading_it_all(command: str) -> None:
    line = assert_refused(downwatch(command, "/dev/zero"), command, "/dev/zero")
    assert "longer than" in line or "larger than" in line


@pytest.mark.parametrize("source", ["replay", "reddit", "bluesky"])
def test_ingest_load_counts_the_bytes_read_not_st_size(source: str) -> None:
    assert_refused(downwatch("ingest", source, "--load", "/dev/zero"), "ingest",
                   "larger than 268,435,456 bytes")


@pytest.mark.parametrize("command", ["classify", "replay"])
@pytest.mark.parametrize(("line", "fragment"), [(LONE_SURROGATE, "surrogate"), (DEEP, "depth")])
def test_a_lone_surrogate_or_absurd_nesting_is_invalid_json(tmp_path: Path, command: str, line: str,
                                                            fragment: str) -> None:
    path = write(tmp_path, "in.jsonl", '{"id": 0, "text": "fine"}\n' + line)
    assert_refused(downwatch(command, path), command, "line 2", "invalid JSON", fragment)


def test_classify_from_stdin_caps_each_line() -> None:
    assert_refused(downwatch("classify", "-", stdin=b"{" * (2 * 1024 * 1024)), "classify",
                   "standard input line 1 is longer than 1,048,576 bytes")


def test_replay_refuses_a_grid_that_would_not_fit_before_allocating_it(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl",
                 '{"service":"bt","bucket":"1900-01-01T00:00:00Z","kind":"report","count":1}\n'
                 '{"service":"bt","bucket":"2600-01-01T00:00:00Z","kind":"report","count":1}\n')
    assert_refused(downwatch("replay", path), "replay", "368,164,801 cells", "split it")


def test_replay_grid_cap_counts_services_too(tmp_path: Path) -> None:
    rows = ["service,bucket,kind,count", "s0,2024-05-01T00:00:00Z,report,1"]
    rows += [f"s{i},2024-05-08T00:00:00Z,report,1" for i in range(1, 600)]
    assert_refused(downwatch("replay", write(tmp_path, "in.csv", "\n".join(rows) + "\n")), "replay",
                   "10,081 buckets x 600 services")


def test_replay_refuses_more_rows_than_it_reads(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", "service,bucket,kind,count\n" + "bt,2024-05-01T00:00:00Z,report,1\n"
                 * 2_000_001)
    assert_refused(downwatch("replay", path), "replay", "more than 2,000,000 rows")


def test_replay_refuses_a_zero_bucket_width(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", "service,bucket,kind,count\nbt,2024-05-01T00:00:00Z,report,1\n")
    assert_refused(downwatch("replay", path, "--bucket-seconds", "0"), "replay", "--bucket-seconds")


def test_score_quotes_a_timestamp_holding_a_line_break(tmp_path: Path) -> None:
    """Python reads any separator between date and time; the output must still be one row per row."""
    rows = [(f"2024-05-01\n{h:02d}:00:00", str(h % 5)) for h in range(24)]
    rows.append(("2024-05-02,00:00:00", "1"))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([("timestamp", "value"), *rows])
    done = downwatch("score", write(tmp_path, "in.csv", buffer.getvalue()))
    assert done.returncode == 0, done.stderr.decode()
    out = list(csv.reader(io.StringIO(done.stdout.decode("utf-8"))))
    assert out[0] == ["timestamp", "value", "anomaly_score"]
    assert [tuple(row[:2]) for row in out[1:]] == rows
    assert all(0.0 <= float(row[2]) <= 1.0 for row in out[1:])


@pytest.mark.parametrize(("body", "fragment"), [
    (None, "larger than 4,194,304 bytes"),
    (b"bucket_seconds = 60\nlog_level = \"\xf2\x28\"\n", "not UTF-8"),
    (b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested too deeply"),
])
def test_a_corrupt_or_endless_config_file_is_refused(tmp_path: Path, body: bytes | None,
                                                     fragment: str) -> None:
    config = "/dev/zero"
    if body is not None:
        (tmp_path / "config.toml").write_bytes(body)
        config = str(tmp_path / "config.toml")
    posts = write(tmp_path, "in.jsonl", '{"id": 1, "text": "bt down"}\n')
    assert_refused(downwatch("--config", config, "classify", posts), "classify", fragment)


@pytest.mark.parametrize(("body", "fragment"), [
    (b"#" * (4 * 1024 * 1024 + 1), "larger than 4,194,304 bytes"),
    (b"[[service]]\nslug = " + b"[" * 3000 + b"\n", "nested too deeply"),
])
def test_a_corrupt_or_oversized_catalog_file_is_refused(tmp_path: Path, body: bytes, fragment: str) -> None:
    (tmp_path / "catalog.toml").write_bytes(body)
    catalog = str(tmp_path / "catalog.toml")
    config = write(tmp_path, "config.toml", f'catalog_path = "{catalog}"\n')
    posts = write(tmp_path, "in.jsonl", '{"id": 1, "text": "bt down"}\n')
    assert_refused(downwatch("--config", config, "classify", posts), "classify", fragment)
