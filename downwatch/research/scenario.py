"""The demo's BT-style incident as research data: the scenario through the real pipeline, in memory.

The same observations ``downwatch demo`` stores (``downwatch.runtime.scenario.bt_outage``) go through the same
routed pipeline (text classification for posts, structured signals for reports, probes and the status
page), and are aggregated as the store aggregates them, without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from downwatch.catalog import load_catalog
from downwatch.errors import DownwatchError
from downwatch.research.frames import counts_from_signals
from downwatch.research.store import SIGNAL_COLUMNS, load_counts
from downwatch.runtime.demo import scenario_names
from downwatch.runtime.scenario import Scenario, bt_outage
from ingest.sources.routing import default_pipeline

THROWAWAY_HASH_KEY = "research-demo-" + "0" * 50
"""Authors in generated data are invented; a fixed key keeps the generated signals reproducible."""


@dataclass(frozen=True, slots=True)
class DemoIncident:
    service: str
    onset: pd.Timestamp
    start: pd.Timestamp
    end: pd.Timestamp
    counts: pd.DataFrame
    origin: str
    """Where the counts came from: "generated in memory" or the store."""


def demo_scenario(history_days: int = 1, seed: int = 7) -> Scenario:
    scenario = bt_outage(history_days=history_days, seed=seed)
    scenario_names(load_catalog(None), scenario)
    return scenario


def scenario_end(scenario: Scenario, after_minutes: int = 120) -> datetime:
    outage = scenario.outage
    return outage.onset + timedelta(minutes=outage.duration_minutes + after_minutes)


def demo_signals(history_days: int = 1, *, seed: int = 7, after_minutes: int = 120) -> pd.DataFrame:
    """Every signal the demo scenario yields from its start to ``after_minutes`` past the outage."""
    scenario = demo_scenario(history_days, seed)
    catalog = load_catalog(None)
    pipeline = default_pipeline(catalog, THROWAWAY_HASH_KEY)
    end = scenario_end(scenario, after_minutes)
    observations = [o for batch in scenario.observations(scenario.start, end) for o in batch]
    signals = pipeline.signals(observations)
    frame = pd.DataFrame([{
        "source": s.source, "external_id": s.external_id, "service": s.service, "kind": str(s.kind),
        "problem": str(s.problem), "location": s.location, "weight": s.weight, "observed_at": s.observed_at,
        "author_hash": s.author_hash} for s in signals], columns=list(SIGNAL_COLUMNS))
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True)
    return frame.sort_values(["observed_at", "source", "external_id"], ignore_index=True)


def demo_incident(history_days: int = 1, *, dsn: str | None = None, seed: int = 7) -> DemoIncident:
    """The BT incident's counts: from the store at ``dsn`` when it holds the demo's data, else generated.

    With ``dsn``, the window is the one ``downwatch demo --history-days N`` stores; a store that cannot
    be read or holds nothing for BT in that window falls back to generating the data in memory.
    """
    scenario = demo_scenario(history_days, seed)
    start, end = pd.Timestamp(scenario.start), pd.Timestamp(scenario_end(scenario))
    onset = pd.Timestamp(scenario.outage.onset)
    origin = "generated in memory"
    counts = None
    if dsn:
        try:
            stored = load_counts(dsn, start=start, end=end)
        except DownwatchError as exc:
            origin = f"generated in memory (the store could not be read: {exc.detail})"
        else:
            if (stored["service"] == scenario.outage.service).any():
                counts, origin = stored, "read from the store"
            else:
                origin = "generated in memory (the store holds no BT counts for this window)"
    if counts is None:
        counts = counts_from_signals(demo_signals(history_days, seed=seed))
    return DemoIncident(service=scenario.outage.service, onset=onset, start=start, end=end, counts=counts,
                        origin=origin)
