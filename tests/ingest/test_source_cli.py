"""``downwatch ingest SOURCE --load FILE`` run as a real process on recorded payloads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

UPSTREAM = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"


def ingest(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DOWNWATCH_HASH_KEY": "test-key-of-16-bytes"}
    return subprocess.run([sys.executable, "-m", "downwatch", "ingest", *args], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.parametrize(("source", "fixture", "count"), [
    ("reddit", "reddit_new.json", 3),
    ("reddit", "reddit_comments.json", 2),
    ("mastodon", "mastodon_public.json", 3),
    ("bluesky", "jetstream.jsonl", 3),
    ("jetstream", "jetstream.jsonl", 3),
    ("statuspage", "statuspage_summary.json", 3),
    ("statuspage", "statuspage_incidents.json", 3),
    ("rss", "status_feed.rss", 2),
    ("atom", "status_feed.atom", 1),
])
def test_recorded_payloads_become_observation_lines(source: str, fixture: str, count: int) -> None:
    done = ingest(source, "--load", str(UPSTREAM / fixture), "--service", "svc")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == count
    assert all(row["external_id"] and row["observed_at"].endswith("Z") for row in rows)
    assert all("author" not in row for row in rows)


def test_authors_are_keyed_hashes_and_output_file(tmp_path: Path) -> None:
    out = tmp_path / "obs.jsonl"
    done = ingest("reddit", "--load", str(UPSTREAM / "reddit_new.json"), "-o", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert "skipped 1 malformed item(s)" in done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert "leeds_lad_92" not in out.read_text()
    assert len(rows[0]["author_hash"]) == 64 and rows[1]["author_hash"] is None
    again = ingest("reddit", "--load", str(UPSTREAM / "reddit_new.json"))
    assert json.loads(again.stdout.splitlines()[0])["author_hash"] == rows[0]["author_hash"]


@pytest.mark.parametrize(("args", "message"), [
    (("mastodon", "--load", str(UPSTREAM / "jetstream.jsonl")), "is not a recorded mastodon payload"),
    (("reddit", "--load", str(UPSTREAM / "mastodon_public.json")), "is not a recorded reddit payload"),
    (("rss", "--load", str(UPSTREAM / "reddit_new.json")), "not RSS or Atom"),
    (("twitter", "--load", str(UPSTREAM / "reddit_new.json")), "unknown source 'twitter'"),
    (("reddit", "--load", "/no/such/file.json"), "does not exist"),
    (("reddit", "--load", str(UPSTREAM)), "is a directory"),
])
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    done = ingest(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_html_and_invalid_utf8_files(tmp_path: Path) -> None:
    page = tmp_path / "page.json"
    page.write_bytes(b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>")
    done = ingest("mastodon", "--load", str(page))
    assert done.returncode == 2 and "HTML page instead of JSON" in done.stderr
    garbage = tmp_path / "bad.json"
    garbage.write_bytes(b'[{"id": "1", "content": "\xff\xfe"}]')
    done = ingest("mastodon", "--load", str(garbage))
    assert done.returncode == 2 and "not valid UTF-8" in done.stderr
