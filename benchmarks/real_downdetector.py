"""Real Downdetector incidents replayed through the live detector: caught share, delay, early alarms, onset.

    .venv/bin/python benchmarks/real_downdetector.py [DATA_DIR] [--part tuning|held-out|all]
        [--per-incident] [--plot DIR]

DATA_DIR holds ``counts.csv`` and ``alerts.csv`` as described in its README (default
``../shared/data/downdetector`` beside the checkout). Each incident is replayed on its own as the
report counts of one service, exactly what

    downwatch replay counts.csv -o OUT --bucket-seconds 900 --warmup-days 0.25

does (``detector.replay.replay`` with the same settings, in-process for speed), with the 12 hours
before the alert as the only history.

Figures, against Downdetector's own alert time A:
* caught: some alarm (an incident's ``detected_at``, the start of the bucket that raised it) lies in
  [A - 60 min, A + 120 min]; the delay is that alarm minus A (negative: earlier than Downdetector).
  Alarms are only known when their bucket is complete, so the delay at the bucket's end (+15 min) is
  printed too.
* early alarms: alarms more than 3 h before A (false alarms; the hours after A may hold a genuine
  second spike, so nothing after A is counted as false).
* onset error: the catching incident's ``started_at`` (back-dated to where the rise began) minus A.

The tuning / held-out split is fixed in ``benchmarks/real_data.py`` (SHA-256 of the incident id);
settings are chosen on ``--part tuning`` only.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from real_data import DEFAULT_DOWNDETECTOR, PARTS, in_part, incident_part

from detector.replay import replay

BUCKET_SECONDS = 900
WARMUP_DAYS = 0.25
CAUGHT_FROM_MIN, CAUGHT_TO_MIN = -60.0, 120.0
EARLY_MIN = -180.0


@dataclass(frozen=True, slots=True)
class Outcome:
    incident: str
    part: str
    alert: pd.Timestamp
    alarms_min: list[float]
    """Every alarm (incident detected_at) relative to the alert, minutes."""
    delay_min: float
    """The first alarm in the caught window, minutes after the alert (NaN: missed)."""
    onset_min: float
    """That incident's started_at relative to the alert, minutes (NaN: missed)."""
    peak: float
    before: float
    """Median count of the buckets more than 3 h before the alert (the quiet level)."""

    @property
    def caught(self) -> bool:
        return not np.isnan(self.delay_min)

    @property
    def early(self) -> int:
        return sum(1 for a in self.alarms_min if a < EARLY_MIN)


def read_data(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    counts_path, alerts_path = directory / "counts.csv", directory / "alerts.csv"
    for path in (counts_path, alerts_path):
        if not path.is_file():
            raise SystemExit(f"real_downdetector: {path} not found; pass the folder holding counts.csv "
                             "and alerts.csv")
    counts = pd.read_csv(counts_path, dtype={"incident": str, "bucket": str, "count": float})
    alerts = pd.read_csv(alerts_path, dtype=str)
    return counts, alerts


def replay_incident(incident: str, rows: pd.DataFrame, alert: pd.Timestamp, timeline: bool,
                    overrides: dict[str, float]) -> tuple[Outcome, pd.DataFrame | None]:
    counts = pd.DataFrame({"service": incident, "bucket": rows["bucket"].to_numpy(), "kind": "report",
                           "count": rows["count"].to_numpy()})
    settings = {"bucket_seconds": BUCKET_SECONDS, "warmup_days": WARMUP_DAYS, **overrides}
    result = replay(counts, keep_timeline=timeline, **settings)
    found = result.incidents
    minutes = lambda column: ((pd.to_datetime(found[column], utc=True) - alert)  # noqa: E731
                              .dt.total_seconds() / 60.0).to_numpy(dtype=float)
    detected, started = (minutes("detected_at"), minutes("started_at")) if len(found) else (
        np.zeros(0), np.zeros(0))
    inside = np.flatnonzero((detected >= CAUGHT_FROM_MIN) & (detected <= CAUGHT_TO_MIN))
    delay = float(detected[inside[0]]) if inside.size else np.nan
    onset = float(started[inside[0]]) if inside.size else np.nan
    times = pd.to_datetime(rows["bucket"], utc=True)
    quiet = rows["count"][(times < alert - pd.Timedelta(hours=3)).to_numpy()]
    outcome = Outcome(incident=incident, part=incident_part(incident), alert=alert,
                      alarms_min=detected.tolist(), delay_min=delay, onset_min=onset,
                      peak=float(rows["count"].max()), before=float(quiet.median()) if len(quiet) else np.nan)
    return outcome, (result.timeline if timeline else None)


def summary(title: str, outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    caught = [o for o in outcomes if o.caught]
    delays = np.array([o.delay_min for o in caught])
    onsets = np.array([o.onset_min for o in caught])
    early = sum(o.early for o in outcomes)
    early_incidents = sum(1 for o in outcomes if o.early)
    mid = sum(1 for o in outcomes for a in o.alarms_min if EARLY_MIN <= a < CAUGHT_FROM_MIN)
    print(f"\n{title}: {len(outcomes)} incidents")
    print(f"  caught within [alert - 60 min, alert + 120 min]: {len(caught)}/{len(outcomes)} "
          f"= {100.0 * len(caught) / len(outcomes):.1f}%   (target >= 95%)")
    if caught:
        print(f"  delay vs Downdetector's alert (alarm bucket start): median {np.median(delays):+.1f} min, "
              f"p90 {np.percentile(delays, 90):+.1f} min, mean {np.mean(delays):+.1f} min "
              "(target median <= 0)")
        print(f"  delay at the alarm bucket's end (+15 min, when it is known live): median "
              f"{np.median(delays) + 15:+.1f} min, p90 {np.percentile(delays, 90) + 15:+.1f} min")
        print(f"  onset error (incident started_at - alert): median {np.median(onsets):+.1f} min, "
              f"median |error| {np.median(np.abs(onsets)):.1f} min, "
              f"p90 |error| {np.percentile(np.abs(onsets), 90):.1f} min")
    per66 = early * 66.0 / len(outcomes)
    print(f"  alarms more than 3 h before the alert: {early} (in {early_incidents} incidents; "
          f"{per66:.1f} per 66 incidents; target <= 2 per 66)")
    print(f"  alarms 1-3 h before the alert (neither caught nor counted false): {mid}")


def plot(outcome: Outcome, timeline: pd.DataFrame, directory: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 3))
    minutes = (timeline["bucket"] - outcome.alert).dt.total_seconds() / 60.0
    axis.step(minutes, timeline["observed"], where="post", label="reports / 15 min")
    axis.step(minutes, timeline["expected"], where="post", label="expected")
    alarm = timeline["status"].isin(["degraded", "down"]).to_numpy()
    axis.fill_between(minutes, 0, timeline["observed"].max(), where=alarm, step="post", alpha=0.15,
                      color="red", label="alarm")
    axis.axvline(0, color="black", linestyle="--", label="Downdetector alert")
    axis.axvspan(CAUGHT_FROM_MIN, CAUGHT_TO_MIN, color="green", alpha=0.08)
    axis.set_xlabel("minutes from Downdetector's alert")
    verdict = f"caught {outcome.delay_min:+.0f} min" if outcome.caught else "missed"
    axis.set_title(f"{outcome.incident} ({outcome.part}): {verdict}, {outcome.early} early alarm(s)")
    axis.legend(loc="upper left", fontsize=7)
    figure.tight_layout()
    figure.savefig(directory / f"{outcome.incident}.png", dpi=80)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DOWNDETECTOR)
    parser.add_argument("--part", choices=PARTS, default="all",
                        help="which part of the fixed split to report (default all, with each part)")
    parser.add_argument("--per-incident", action="store_true", help="print one line per incident")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="write one PNG per incident into DIR")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a detector setting for this run (exploration on the tuning part)")
    args = parser.parse_args()
    overrides = {name: float(value) for name, value in (item.split("=", 1) for item in args.set)}
    counts, alerts = read_data(args.data_dir)
    if args.plot is not None:
        args.plot.mkdir(parents=True, exist_ok=True)
    by_incident = dict(tuple(counts.groupby("incident", sort=False)))
    outcomes: list[Outcome] = []
    for row in alerts.itertuples(index=False):
        incident = str(row.incident)
        if not in_part(incident_part(incident), args.part):
            continue
        if incident not in by_incident:
            print(f"real_downdetector: no counts for {incident}", file=sys.stderr)
            return 2
        alert = pd.Timestamp(str(row.downdetector_alert)).tz_convert("UTC")
        outcome, timeline = replay_incident(incident, by_incident[incident], alert, args.plot is not None,
                                            overrides)
        outcomes.append(outcome)
        if timeline is not None:
            plot(outcome, timeline, args.plot)
    print(f"Downdetector incidents from {args.data_dir}, replayed at {BUCKET_SECONDS} s buckets, "
          f"warm-up {WARMUP_DAYS} days")
    if args.per_incident:
        print(f"\n{'incident':<16} {'part':<8} {'quiet':>5} {'peak':>5} {'delay':>6} {'onset':>6} "
              f"{'early':>5}  alarms (min from alert)")
        for o in outcomes:
            alarms = " ".join(f"{a:+.0f}" for a in o.alarms_min)
            print(f"{o.incident:<16} {o.part:<8} {o.before:5.0f} {o.peak:5.0f} {o.delay_min:+6.0f} "
                  f"{o.onset_min:+6.0f} {o.early:5d}  {alarms}")
    parts = [args.part] if args.part != "all" else ["tuning", "held-out", "all"]
    for part in parts:
        summary(part, [o for o in outcomes if in_part(o.part, part)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
