"""``downwatch classify`` end to end, in a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def classify(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "downwatch", "classify", *args], input=stdin,
                          capture_output=True, timeout=120, check=False)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_posts_in_verdicts_out(tmp_path: Path) -> None:
    posts = [{"id": 1, "text": "is BT down? no internet in manc since 8"},
             {"id": "b", "text": "the sky is so blue today", "lang": "en"},
             {"id": 3, "text": "Netflix was down yesterday but it's fine now"},
             {"id": 4, "text": "Spotify won't play any songs, just skips"}]
    source = write(tmp_path / "in.jsonl", [json.dumps(p) for p in posts] + [""])
    result = classify(str(source), "-o", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [list(row) for row in rows] == [["id", "service", "is_report", "problem", "confidence"]] * 4
    assert [(r["id"], r["service"], r["is_report"], r["problem"]) for r in rows] == [
        (1, "bt", True, "connection"), ("b", None, False, None), (3, "netflix", False, None),
        (4, "spotify", True, "streaming")]
    assert rows[0]["confidence"] >= 0.5 > rows[2]["confidence"]
    assert rows[1]["confidence"] == 0.0


def test_stdin_to_stdout_in_batches() -> None:
    lines = "".join(json.dumps({"id": i, "text": f"EE no signal in Leeds {i}"}) + "\n" for i in range(5000))
    result = classify("-", stdin=lines.encode())
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == list(range(5000))
    assert {r["service"] for r in rows} == {"ee"}


@pytest.mark.parametrize(("content", "message"), [
    (b'{"id": 1, "text": "ok"}\n{"id": 2, "text": "broken\n', "line 2: invalid JSON"),
    (b'{"id": 1, "text": "ok"}\n{"text": "no id"}\n', "line 2: missing 'id'"),
    (b'{"id": 1}\n', "line 1: missing 'text'"),
    (b'{"id": 1, "text": 42}\n', "line 1: 'text' must be a string"),
    (b'{"id": [1], "text": "x"}\n', "line 1: 'id' must be a string or an integer"),
    (b'["id", "text"]\n', "line 1: expected a JSON object"),
    (b'{"id": 1, "text": "ok"}\n\n{"id": 2, "text": "caf\xe9"}\n', "line 3: not UTF-8"),
])
def test_bad_lines_refused_with_line_number_and_no_output_file(tmp_path: Path, content: bytes,
                                                               message: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(content)
    out = tmp_path / "out.jsonl"
    result = classify(str(source), "-o", str(out))
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert stderr.count("\n") == 1 and message in stderr and "Traceback" not in stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_missing_input_file(tmp_path: Path) -> None:
    result = classify(str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    expected = f"downwatch classify: error: {tmp_path / 'nope.jsonl'}: no such file"
    assert result.stderr.decode().strip() == expected


def test_a_product_names_its_parent_and_two_problems_keep_their_weights(tmp_path: Path) -> None:
    posts = [{"id": 1, "text": "google pay keeps declining my card at every shop, payment failed"},
             {"id": 2, "text": "gmail won't load my emails and now it's logged me out"},
             {"id": 3, "text": "is BT down? no internet in manc since 8"}]
    source = write(tmp_path / "in.jsonl", [json.dumps(p) for p in posts])
    result = classify(str(source))
    assert result.returncode == 0, result.stderr
    pay, mail, bt = (json.loads(line) for line in result.stdout.decode().splitlines())
    assert (pay["service"], pay["parent"], pay["is_report"]) == ("google-pay", "google", True)
    assert "parent" not in bt
    assert mail["is_report"] and set(mail["problems"]) == {"email", "login"}
    assert next(iter(mail["problems"])) == mail["problem"]
    assert sum(mail["problems"].values()) == pytest.approx(1.0, abs=1e-3)
