"""A fresh install's `downwatch serve` compiles its detector before it listens.

numba compiles the detector's loops on first use and caches them on disk. Compiling holds the
interpreter for seconds: done in the first tick, it stalled every request on the port, /healthz
included (seen: 6.8 s on a loaded 2-core machine). Here the compile cache starts empty
(``NUMBA_CACHE_DIR``), so the test sees a fresh install whatever this machine has cached.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.serve_process import ServeProcess, child_environment

HASH_KEY = "cold-start-test-hash-key-0123456789abcdef"


def test_the_detector_is_compiled_before_the_server_listens(fresh_database_url: str, tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    cache.mkdir()
    config = tmp_path / "serve.toml"
    config.write_text("")
    env = child_environment(DATABASE_URL=fresh_database_url, DOWNWATCH_HASH_KEY=HASH_KEY,
                            NUMBA_CACHE_DIR=str(cache), DOWNWATCH_TICK_SECONDS="1")
    serve = ServeProcess(config, env, tmp_path / "serve.log")
    try:
        compiled = {path.name.split(".")[1].rsplit("-", 1)[0] for path in cache.rglob("passes.*.nbi")}
        assert {"before_tails", "after_tails"} <= compiled, sorted(cache.rglob("*.nbi"))
        assert serve.get("/healthz").status in (200, 503)
    finally:
        code, _ = serve.terminate(30)
    assert code == 0, serve.output()[-2000:]
