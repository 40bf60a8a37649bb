from __future__ import annotations

from api.routes.dashboard_data import breakdowns


def test_probes_count_failed_checks_and_problems_only_crowd_evidence() -> None:
    totals = [
        {"kind": "report", "problem": "login", "n": 12, "weight": 12.0},
        {"kind": "post", "problem": "email", "n": 5, "weight": 4.2},
        {"kind": "probe", "problem": "website", "n": 120, "weight": 18.0},
        {"kind": "status", "problem": "other", "n": 4, "weight": 0.0},
    ]
    problems, kinds = breakdowns(totals)
    assert problems == {"login": 12, "email": 5}
    assert kinds == {"probe": 18, "report": 12, "post": 5, "status": 4}
