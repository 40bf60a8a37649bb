"""Writes example_reports.csv: three days of user-report times for an invented service with one outage.

    .venv/bin/python notebooks/data/make_example_reports.py

Reports arrive at a daily rhythm (about 500 a day); on the third day at 14:00 UTC a 90-minute outage
of the login page multiplies them about twentyfold. Seeded, so the file is the same on every run.
"""

from __future__ import annotations

import csv
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2025, 3, 10, tzinfo=UTC)
ONSET = datetime(2025, 3, 12, 14, 0, tzinfo=UTC)
CITIES = ("London", "Leeds", "Bristol", "Glasgow", "Cardiff")


def rate_per_minute(at: datetime) -> float:
    hour = at.hour + at.minute / 60
    normal = 0.35 * (1.0 + 0.7 * math.cos(2 * math.pi * (hour - 15) / 24))
    minutes = (at - ONSET).total_seconds() / 60
    return normal * (20.0 if 0 <= minutes < 90 else 1.0)


def main() -> None:
    rng = random.Random(11)
    rows = []
    at = START
    while at < START + timedelta(days=3):
        in_outage = rate_per_minute(at) > 2
        lam = rate_per_minute(at)
        count, p, threshold = 0, rng.random(), math.exp(-lam)
        while p > threshold:
            count += 1
            p *= rng.random()
        for _ in range(count):
            when = at + timedelta(seconds=rng.uniform(0, 59.999))
            problem = "login" if in_outage and rng.random() < 0.8 else rng.choice(("login", "app", "website"))
            rows.append((when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z", problem, rng.choice(CITIES)))
        at += timedelta(minutes=1)
    rows.sort()
    target = Path(__file__).with_name("example_reports.csv")
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("timestamp", "problem", "location"))
        writer.writerows(rows)
    print(f"{target}: {len(rows)} reports")


if __name__ == "__main__":
    main()
