"""False incidents and the BT outage's detection and resolution on the demo's scenario (a UK day).

    .venv/bin/python benchmarks/detector_demo_quality.py                       # history 3 and 7 days
    .venv/bin/python benchmarks/detector_demo_quality.py --history-days 3 --set recover_buckets=8

A false incident is any incident other than BT's during its outage that starts after the first day
(the warm-up). BT's reports are back to normal 30 minutes after the outage ends (the scenario's fall).
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

import downwatch.research as dr
from downwatch.research.scenario import demo_scenario


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        overrides[name] = int(value) if value.lstrip("-").isdigit() else float(value)
    return overrides


def measure(history_days: int, overrides: dict[str, Any]) -> dict[str, Any]:
    scenario = demo_scenario(history_days)
    outage = scenario.outage
    onset = pd.Timestamp(outage.onset)
    normal_again = onset + pd.Timedelta(minutes=outage.duration_minutes + 30)
    incident = dr.demo_incident(history_days=history_days)
    result = dr.replay(incident.counts, progress=False, **overrides)
    incidents = result.incidents
    is_outage = (incidents["service"] == outage.service) & (
        incidents["ended_at"].isna() | (incidents["ended_at"] >= onset)) & (
        incidents["started_at"] <= normal_again)
    after_warmup = incidents["started_at"] >= pd.Timestamp(scenario.start) + pd.Timedelta(days=1)
    false = incidents[~is_outage & after_warmup]
    timeline = result.timeline
    bt = timeline[(timeline["service"] == outage.service) & (timeline["bucket"] >= onset)]
    degraded_at = bt.loc[bt["status"].isin(["degraded", "down"]), "bucket"].min()
    down_at = bt.loc[bt["status"] == "down", "bucket"].min()
    caught = incidents[is_outage]
    resolved_at = caught["ended_at"].max() if len(caught) else pd.NaT
    return {"history_days": history_days, "false_incidents": len(false),
            "false_services": false["service"].nunique(),
            "bt_degraded": minutes_after(degraded_at, onset), "bt_down": minutes_after(down_at, onset),
            "bt_resolved_after_normal": minutes_after(resolved_at, normal_again),
            "bt_incidents": len(caught)}


def minutes_after(at: pd.Timestamp, origin: pd.Timestamp) -> float:
    return float("nan") if pd.isna(at) else (at - origin).total_seconds() / 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, action="append")
    parser.add_argument("--set", action="append", default=[], metavar="SETTING=VALUE",
                        help="a DetectorSettings override, repeatable")
    args = parser.parse_args()
    overrides = parse_overrides(args.set)
    rows = [measure(days, overrides) for days in (args.history_days or [3, 7])]
    print("BT onset 08:05, reports back to normal 11:55; times in minutes after those")
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
