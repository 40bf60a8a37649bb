"""One incident's data as files, to share and replay elsewhere: CSV tables plus a JSON manifest.

A bundle directory holds ``counts.csv`` (the counts layout of ``detector.frame``), optionally
``signals.csv`` (one row per signal; author ids only as keyed hashes) and ``manifest.json``:

    {"format": "downwatch-incident", "version": 1, "service": "bt",
     "window": {"start": "2025-02-03T00:00:00Z", "end": "2025-02-04T13:00:00Z"},
     "bucket_seconds": 60, "settings": {"cusum_degraded": 11.0},
     "files": {"counts.csv": {"rows": 5120, "sha256": "..."}}, "checksum": "..."}

``checksum`` is the SHA-256 of the files' names and digests, in name order; ``load_incident`` refuses
a bundle whose files do not match their recorded digests.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from detector.replay import ReplayResult
from detector.settings import detector_settings
from downwatch import __version__
from downwatch.errors import InputError
from downwatch.research.frames import bucket_text, counts_from_signals
from downwatch.research.replay import replay
from downwatch.research.store import Moment, as_utc, load_counts, load_signals
from downwatch.runtime.commands.replay import write_directory

FORMAT = "downwatch-incident"
VERSION = 1
MANIFEST = "manifest.json"
Source: TypeAlias = str | pd.DataFrame | Mapping[str, pd.DataFrame]


@dataclass(frozen=True, slots=True)
class IncidentBundle:
    """An exported incident, read back: its counts (and signals), the window and the settings used."""

    service: str
    start: pd.Timestamp
    end: pd.Timestamp
    bucket_seconds: int
    settings: dict[str, Any]
    counts: pd.DataFrame
    signals: pd.DataFrame | None
    manifest: dict[str, Any] = field(repr=False)

    def replay(self, *, progress: bool | None = None, **overrides: Any) -> ReplayResult:
        """Replay the bundle with its recorded settings, changed by ``overrides``."""
        chosen = {"bucket_seconds": self.bucket_seconds, **self.settings, **overrides}
        return replay(self.counts, progress=progress, **chosen)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _checksum(files: Mapping[str, Mapping[str, Any]]) -> str:
    return _digest("".join(f"{name}:{files[name]['sha256']}\n" for name in sorted(files)))


def _frames(source: Source, service: str, start: pd.Timestamp, end: pd.Timestamp,
            bucket_seconds: int, with_signals: bool) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if isinstance(source, str):
        counts = load_counts(source, service, start, end)
        signals = load_signals(source, service, start, end) if with_signals else None
        return counts, signals
    tables = {"counts": source} if isinstance(source, pd.DataFrame) else dict(source)
    if isinstance(source, pd.DataFrame) and "observed_at" in source.columns:
        tables = {"signals": source}
    unknown = sorted(set(tables) - {"counts", "signals"})
    if unknown:
        raise InputError(f"export_incident takes tables named counts and signals, not {', '.join(unknown)}")
    signals = tables.get("signals")
    if signals is not None:
        signals = _in_window(signals, "observed_at", service, start, end)
    counts = tables.get("counts")
    if counts is None:
        if signals is None or signals.empty:
            raise InputError("export_incident needs counts or signals")
        counts = counts_from_signals(signals, bucket_seconds)
    counts = _in_window(counts, "bucket", service, start, end)
    return counts, signals if with_signals else None


def _in_window(table: pd.DataFrame, column: str, service: str, start: pd.Timestamp,
               end: pd.Timestamp) -> pd.DataFrame:
    for needed in ("service", column):
        if needed not in table.columns:
            raise InputError(f"the table has no {needed!r} column")
    times = pd.to_datetime(table[column], utc=True, format="ISO8601")
    keep = (table["service"].astype(str) == service) & (times >= start) & (times < end)
    return table[keep.to_numpy()].reset_index(drop=True)


def export_incident(source: Source, service: str, start: Moment, end: Moment, directory: str | Path, *,
                    settings: Mapping[str, Any] | None = None, with_signals: bool = True,
                    bucket_seconds: int = 60) -> Path:
    """Write one service's data in [start, end) to ``directory``; return the manifest's path.

    ``source``: a PostgreSQL DSN, a counts table, a signals table (has ``observed_at``), or
    ``{"counts": ..., "signals": ...}``. Start the window a day or more before the onset: the detector
    needs history (``warmup_days``) before it gives a verdict. ``settings``: the detector settings the
    incident should be replayed with (recorded in the manifest; checked now).
    """
    lo, hi = as_utc(start, "start"), as_utc(end, "end")
    if lo is None or hi is None or lo >= hi:
        raise InputError("export_incident needs a start before its end")
    chosen = dict(settings or {})
    chosen.pop("bucket_seconds", None)
    detector_settings(bucket_seconds=bucket_seconds, **chosen)
    t0, t1 = pd.Timestamp(lo), pd.Timestamp(hi)
    counts, signals = _frames(source, service, t0, t1, bucket_seconds, with_signals)
    if counts.empty:
        raise InputError(f"no counts for {service!r} between {lo.isoformat()} and {hi.isoformat()}")
    counts = counts.assign(bucket=bucket_text(counts["bucket"]))
    texts = {"counts.csv": counts.to_csv(index=False)}
    if signals is not None and not signals.empty:
        texts["signals.csv"] = signals.assign(observed_at=pd.to_datetime(
            signals["observed_at"], utc=True, format="ISO8601").dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ).to_csv(index=False)
    rows = {"counts.csv": len(counts), "signals.csv": 0 if signals is None else len(signals)}
    files = {name: {"rows": rows[name], "sha256": _digest(text)} for name, text in texts.items()}
    manifest = {
        "format": FORMAT, "version": VERSION, "service": service,
        "window": {"start": t0.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": t1.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "bucket_seconds": bucket_seconds, "settings": chosen, "files": files, "checksum": _checksum(files),
        "exported_by": f"downwatch {__version__}",
    }
    target = Path(directory)
    write_directory(target, {**texts, MANIFEST: json.dumps(manifest, indent=1) + "\n"})
    return target / MANIFEST


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError(f"{folder}: no {MANIFEST}; is this an exported incident?")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(f"{path}: not a {FORMAT} manifest")
    if manifest.get("version") != VERSION:
        raise InputError(f"{path}: version {manifest.get('version')!r}; this downwatch reads {VERSION}")
    for key in ("service", "window", "bucket_seconds", "settings", "files"):
        if key not in manifest:
            raise InputError(f"{path}: the manifest has no {key!r}")
    return manifest


def _read_table(folder: Path, name: str, expected: Mapping[str, Any]) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise InputError(f"{path}: listed in the manifest but missing")
    text = path.read_text(encoding="utf-8")
    if _digest(text) != expected.get("sha256"):
        raise InputError(f"{path}: checksum does not match the manifest (the file changed after export)")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    if len(table) != expected.get("rows"):
        raise InputError(f"{path}: {len(table)} rows, the manifest says {expected.get('rows')}")
    return table


def load_incident(directory: str | Path) -> IncidentBundle:
    """Read an exported incident, checking every file against the manifest's checksums."""
    folder = Path(directory)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such directory")
    manifest = _read_manifest(folder)
    files: dict[str, Any] = manifest["files"]
    if "counts.csv" not in files or manifest.get("checksum") != _checksum(files):
        raise InputError(f"{folder / MANIFEST}: the file list does not match its checksum")
    counts = _read_table(folder, "counts.csv", files["counts.csv"])
    signals = _read_table(folder, "signals.csv", files["signals.csv"]) if "signals.csv" in files else None
    if signals is not None:
        signals["observed_at"] = pd.to_datetime(signals["observed_at"], utc=True, format="ISO8601")
    settings = dict(manifest["settings"])
    detector_settings(bucket_seconds=int(manifest["bucket_seconds"]), **settings)
    return IncidentBundle(
        service=str(manifest["service"]), start=pd.Timestamp(manifest["window"]["start"]),
        end=pd.Timestamp(manifest["window"]["end"]), bucket_seconds=int(manifest["bucket_seconds"]),
        settings=settings, counts=counts, signals=signals, manifest=manifest)
