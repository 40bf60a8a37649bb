"""The research API: load what downwatch collected into pandas, replay it with other settings, measure.

    import downwatch.research as dr

    counts = dr.load_counts("postgresql://localhost/downwatch", "bt", "2025-02-03", "2025-02-05")
    signals = dr.load_signals(dsn, "bt", start, end)        # one row per stored signal
    counts = dr.counts_from_signals(signals)                 # the same counts, aggregated in memory
    result = dr.replay(counts, cusum_degraded=8)             # tqdm bar on long replays
    result.timeline, result.incidents                        # DataFrames
    dr.verdict_changes(result.timeline, "bt")
    dr.export_incident(dsn, "bt", start, end, "bt-incident/")  # CSV + manifest.json with checksums
    bundle = dr.load_incident("bt-incident/"); bundle.replay()

Counts are the long table of ``detector.frame`` (service, bucket, kind, count, problem, weight,
reporters, location, checks, indicator); every function here returns or accepts that layout.
"""

from detector.replay import ReplayResult
from downwatch.research.bundle import IncidentBundle, export_incident, load_incident
from downwatch.research.evaluation import (
    SMALL_SETUP,
    SyntheticSetup,
    evaluation_table,
    format_table,
    threshold_sweep,
)
from downwatch.research.frames import (
    counts_from_signals,
    counts_from_timestamps,
    signals_to_store_counts,
    store_counts_to_frame,
)
from downwatch.research.nab import LabelledSeries, nab_directory, nab_table, read_nab_corpus, synthetic_corpus
from downwatch.research.replay import replay
from downwatch.research.scenario import DemoIncident, demo_incident, demo_signals
from downwatch.research.store import load_counts, load_signals, load_store_counts
from downwatch.research.timeline import (
    failure_amounts,
    first_above_normal,
    first_alarm_by_source,
    verdict_changes,
)

__all__ = [
    "SMALL_SETUP", "DemoIncident", "IncidentBundle", "LabelledSeries", "ReplayResult", "SyntheticSetup",
    "counts_from_signals", "counts_from_timestamps", "demo_incident", "demo_signals", "evaluation_table",
    "export_incident", "failure_amounts", "first_above_normal", "first_alarm_by_source", "format_table",
    "load_counts",
    "load_incident", "load_signals", "load_store_counts", "nab_directory", "nab_table", "read_nab_corpus",
    "replay", "signals_to_store_counts", "store_counts_to_frame", "synthetic_corpus", "threshold_sweep",
    "verdict_changes",
]
