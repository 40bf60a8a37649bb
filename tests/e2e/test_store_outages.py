"""``downwatch serve`` against a PostgreSQL of the test's own that the test freezes (SIGSTOP) and
stops: requests answer 503 problem+json with Retry-After instead of hanging, ``/healthz`` answers 503
naming the failing checks, and everything recovers once the server is back; an admin-added service
with a report does not freeze the detector (before: ``KeyError`` every tick)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from downwatch.store.databases import create_migrated_database
from tests.e2e.own_postgres import OwnPostgres
from tests.e2e.serve_process import Answer, ServeProcess, child_environment, http_get, wait_for

HASH_KEY = "e2e-outage-hash-key-0123456789abcdef"
ADMIN = "e2e-admin-token"
CLIENT_TIMEOUT = 10.0
"""Far above the 2 s the store may be waited on; a hang (the old 60 s command timeout) exceeds it."""


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[OwnPostgres]:
    with OwnPostgres() as server:
        yield server


def serve_env(own: OwnPostgres, name: str) -> dict[str, str]:
    dsn = asyncio.run(create_migrated_database(own.admin_dsn, name))
    return child_environment(DATABASE_URL=dsn, DOWNWATCH_HASH_KEY=HASH_KEY, DOWNWATCH_ADMIN_TOKEN=ADMIN,
                             DOWNWATCH_BUCKET_SECONDS="10", DOWNWATCH_TICK_SECONDS="1")


def start_serve(env: dict[str, str], tmp_path: Path) -> ServeProcess:
    config = tmp_path / "serve.toml"
    config.write_text("")
    return ServeProcess(config, env, tmp_path / "serve.log")


def post(serve: ServeProcess, path: str, body: bytes, method: str = "POST",
         headers: dict[str, str] | None = None) -> Answer:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(serve.url + path, data=body, method=method,
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "outage-test", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def health(serve: ServeProcess) -> tuple[int, dict[str, Any]]:
    answer = http_get(serve.url + "/healthz", timeout=CLIENT_TIMEOUT)
    return answer.status, answer.json()


def test_a_frozen_then_stopped_store_is_answered_503_at_once_and_recovered_from(
        own_postgres: OwnPostgres, tmp_path: Path) -> None:
    serve = start_serve(serve_env(own_postgres, "outage_freeze"), tmp_path)
    try:
        wait_for("a healthy start", lambda: health(serve)[0] == 200, timeout=30)
        assert post(serve, "/v1/reports", b'{"service":"bt","problem":"login"}').status == 202
        own_postgres.freeze()
        try:
            answers = [post(serve, "/v1/reports", b'{"service":"bt","problem":"website"}')
                       for _ in range(4)]  # each answered within CLIENT_TIMEOUT, else urlopen raises
            assert all(a.status == 503 for a in answers), [a.status for a in answers]
            assert all(a.headers["Content-Type"].startswith("application/problem+json") for a in answers)
            assert all(int(a.headers["Retry-After"]) >= 1 for a in answers)
            _, body = wait_for("healthz 503 naming the store", lambda: (
                (found := health(serve))[0] == 503 and "store" in found[1]["failing"] and found), timeout=20)
            assert body["status"] == "failing" and body["store"] == "unavailable"
            assert body["checks"]["store"]["circuit"] in ("open", "half-open")
            wait_for("the detector named as behind", lambda: "detector" in health(serve)[1]["failing"],
                     timeout=20)
        finally:
            own_postgres.thaw()
        wait_for("healthz 200 after the thaw", lambda: health(serve)[0] == 200, timeout=30)
        assert post(serve, "/v1/reports", b'{"service":"bt","problem":"app"}').status == 202

        own_postgres.stop("fast")
        try:
            stopped = post(serve, "/v1/reports", b'{"service":"bt","problem":"email"}')
            assert stopped.status == 503 and stopped.headers["Retry-After"]
            wait_for("healthz 503 while stopped", lambda: health(serve)[0] == 503, timeout=20)
        finally:
            own_postgres.start_again()
        wait_for("healthz 200 after the restart", lambda: health(serve)[0] == 200, timeout=30)
        assert "Traceback" not in serve.output()
    finally:
        serve.terminate(15)


def test_an_admin_added_service_with_a_report_keeps_every_service_scored_across_restarts(
        own_postgres: OwnPostgres, tmp_path: Path) -> None:
    env = serve_env(own_postgres, "outage_catalog")
    serve = start_serve(env, tmp_path)
    entry = b'{"name":"Fuzz","country":"GB","category":"broadband"}'
    auth = {"Authorization": f"Bearer {ADMIN}"}
    try:
        assert post(serve, "/v1/admin/services/fuzz-b", entry, "PUT", auth).status == 200
        assert post(serve, "/v1/reports", b'{"service":"fuzz-b","problem":"login"}').status == 202

        def scored(slug: str) -> str | None:
            verdict = serve.get(f"/v1/services/{slug}").json()
            return verdict.get("bucket")

        first = wait_for("fuzz-b and bt scored", lambda: scored("fuzz-b") and scored("bt"), timeout=40)
        assert health(serve)[0] == 200
    finally:
        serve.terminate(15)
    log = tmp_path / "serve.log"
    assert "KeyError" not in log.read_text()
    env_serve = start_serve(env, tmp_path)
    try:
        wait_for("scoring resumed after the restart",
                 lambda: (b := env_serve.get("/v1/services/bt").json().get("bucket")) and b > first,
                 timeout=40)
        assert health(env_serve)[0] == 200
        assert "KeyError" not in env_serve.output()
    finally:
        env_serve.terminate(15)

