"""Schemathesis against the served OpenAPI document, over every operation, on a live server.

Every check runs except ``positive_data_acceptance``: some rules span several parameters (``from``
before ``to``, at most 10,080 timeline points, a year from 1970) or the catalog (unique names), which
JSON Schema cannot say, so a schema-valid request may rightly get a 400/409 problem. The run must
find no server error, no undocumented status or content type, and no answer that contradicts the
schema.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from api.app import create_app
from api.tuning import ApiTuning
from downwatch.config import Settings
from tests.api.conftest import ADMIN_TOKEN
from tests.api.live_server import serve_in_thread

ST = str(Path(sys.executable).with_name("st"))


def test_schemathesis_finds_no_server_error_or_schema_violation(settings: Settings,
                                                                fresh_database_url: str) -> None:
    # its own database: the fuzzer's admin edits must not leak into other tests
    app = create_app(replace(settings, database_url=fresh_database_url, report_rate_per_minute=100_000),
                     tuning=ApiTuning(heartbeat_seconds=0.2, stream_lifetime_seconds=0.5))
    with serve_in_thread(app) as base_url:
        run = subprocess.run(
            [ST, "run", f"{base_url}/openapi.json", "--checks", "all",
             "--exclude-checks", "positive_data_acceptance", "--max-examples", "40", "--workers", "1",
             "--seed", "20250204", "-H", f"Authorization: Bearer {ADMIN_TOKEN}"],
            capture_output=True, text=True, timeout=500)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "15 selected / 15 total" in run.stdout
