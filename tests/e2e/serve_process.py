"""Running ``python -m downwatch`` as a child process, and talking to it over real HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(rb"Running on (http://\S+)")
OUTSIDE_SETTINGS = ("DATABASE_URL", "DOWNWATCH_", "praw_")

T = TypeVar("T")


def child_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any downwatch or praw setting, plus ``settings``."""
    base = {key: value for key, value in os.environ.items() if not key.startswith(OUTSIDE_SETTINGS)}
    return {**base, **settings}


def run_downwatch(args: Sequence[str], env: Mapping[str, str], timeout: float = 60.0
                  ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "downwatch", *args], env=dict(env), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_get(url: str, timeout: float = 5.0) -> Answer:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def http_post_json(url: str, document: Any, user_agent: str, timeout: float = 5.0) -> Answer:
    request = urllib.request.Request(url, data=json.dumps(document).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 0.2) -> T:
    """Call ``probe`` until it returns something other than None (or falsy); fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last seen: {last!r}")


class ServeProcess:
    """``python -m downwatch --config FILE serve --port 0`` with its output in ``log``."""

    def __init__(self, config: Path, env: Mapping[str, str], log: Path) -> None:
        self.log = log
        self._log_start = log.stat().st_size if log.exists() else 0
        started = time.monotonic()
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "downwatch", "serve", "--config", str(config), "--port", "0"],
                env=dict(env), cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        self.url = wait_for("serve to print its address", self._address, timeout=60)
        self.listening_after = time.monotonic() - started

    def output(self) -> str:
        return self.log.read_bytes()[self._log_start:].decode(errors="replace")

    def _address(self) -> str | None:
        if self.process.poll() is not None:
            raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.output()[-3000:]}")
        found = LISTENING.search(self.log.read_bytes()[self._log_start:])
        return found.group(1).decode() if found else None

    def get(self, path: str) -> Answer:
        return http_get(self.url + path)

    def post(self, path: str, document: Any, user_agent: str) -> Answer:
        return http_post_json(self.url + path, document, user_agent)

    def terminate(self, timeout: float) -> tuple[int, float]:
        """SIGTERM, then the exit code and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(f"serve did not exit within {timeout:g} s of SIGTERM:\n"
                                 f"{self.output()[-3000:]}") from None
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
