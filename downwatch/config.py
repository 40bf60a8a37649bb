"""One settings object, typed, loaded once at start, every key documented.

Sources, in order of precedence: environment variables, then the TOML file named by ``--config`` or
``$DOWNWATCH_CONFIG``, then the defaults below. Each field's comment is its documentation; the README's
configuration table is generated from the same metadata (``downwatch.config.describe()``).

In TOML, keys are the field names (``port = 8080``); source settings live under ``[sources.NAME]``.
In the environment, keys are ``DOWNWATCH_`` + the upper-cased field name (``DOWNWATCH_PORT=8080``),
except ``DATABASE_URL``, which is read under that conventional name.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from downwatch.errors import ConfigError
from downwatch.input_limits import MAX_TOML_BYTES, read_all


def _doc(text: str, **kw: Any) -> Any:
    return field(metadata={"doc": text}, **kw)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None = _doc(
        "PostgreSQL DSN (env DATABASE_URL). Unset: `demo` starts an embedded PostgreSQL; `serve` refuses.",
        default=None)
    host: str = _doc("Address the HTTP API listens on.", default="127.0.0.1")
    port: int = _doc("Port the HTTP API listens on (0 picks a free one).", default=8080)
    bucket_seconds: int = _doc("Width of a count bucket in seconds (the detector's time step).", default=60)
    tick_seconds: float = _doc("How often the live detector scores the latest bucket.", default=5.0)
    retention_days: int = _doc("Signals older than this are dropped (whole daily partitions).", default=90)
    hash_key: str | None = _doc(
        "Secret key for hashing author ids and client addresses (HMAC-SHA256). Required by `serve`; "
        "`demo` and tests generate a throw-away key. At least 16 bytes. Never logged.", default=None)
    admin_token: str | None = _doc(
        "Bearer token for admin routes (catalog edits, source control). Unset: admin routes answer 403. "
        "Never logged.", default=None)
    catalog_path: Path | None = _doc(
        "A TOML file of services that adds to or overrides the bundled catalog (same format).", default=None)
    data_dir: Path | None = _doc(
        "Where the embedded PostgreSQL keeps its data (default: the user's cache directory).", default=None)
    pool_min_size: int = _doc("Fewest connections the database pool keeps open.", default=2)
    pool_max_size: int = _doc("Most connections the database pool opens.", default=10)
    store_timeout_seconds: float = _doc(
        "Longest a request waits on the database, to get a connection and for each statement "
        "(background work allows 60 s a statement); then it answers 503.", default=2.0)
    store_breaker_open_seconds: float = _doc(
        "After two store failures in a row, requests answer 503 at once for this long; then a "
        "background probe decides whether the store is back.", default=2.0)
    log_level: str = _doc("Logging level: DEBUG, INFO, WARNING or ERROR.", default="INFO")
    cors_origins: tuple[str, ...] = _doc(
        "Origins allowed to call the public read API from a browser (`*` for any).", default=("*",))
    report_window_seconds: int = _doc(
        "A client's reports of one service count once per this window.", default=900)
    report_rate_per_minute: int = _doc("Reports a single client may submit per minute.", default=10)
    report_global_rate_per_second: int = _doc(
        "Reports accepted per second across all clients before answering 429.", default=5000)
    report_rate_per_network_per_minute: int = _doc(
        "Reports a network (IPv4 /24, IPv6 /64) may submit per minute, all its client tokens together; "
        "0: six times report_rate_per_minute.", default=0)
    client_token_slots: int = _doc(
        "Client-token identities that may count per network per service per report window, besides the "
        "network itself (people behind one carrier-grade NAT); 0 turns client tokens off for counting.",
        default=3)
    client_tokens_per_network_per_hour: int = _doc(
        "Client tokens issued to one network per hour (across every API process under NATS).", default=6)
    max_body_bytes: int = _doc("Largest request body accepted, in bytes.", default=16_384)
    trusted_proxies: tuple[str, ...] = _doc(
        "Addresses of reverse proxies (e.g. the micro-caching nginx) whose X-Forwarded-For header is "
        "believed to name the client; empty: the peer address is the client.", default=())
    public_url: str | None = _doc(
        "The API's public base URL (e.g. `https://downwatch.example`), used in links it returns such as "
        "a status page's `page.url`; unset: `http://HOST:PORT`. Never taken from the request.",
        default=None)
    nats_url: str | None = _doc(
        "NATS server(s) with JetStream (env NATS_URL; comma-separated for a cluster). Needed by "
        "`serve --role api|ingest|detect|write`; unset: `serve` runs everything in one process.",
        default=None)
    nats_partitions: int = _doc(
        "Partitions of the SIGNALS stream (subjects `signals.<crc32(service) % partitions>`); detector "
        "workers own whole partitions. Fixed for the life of a deployment.", default=8)
    nats_replicas: int = _doc(
        "JetStream replicas of the stream and KV buckets (1 for one server, 3 for a three-node cluster).",
        default=1)
    nats_ack_timeout_seconds: float = _doc(
        "Longest `POST /v1/reports` waits for JetStream to acknowledge a report; then it answers 503 "
        "with Retry-After.", default=1.0)
    detector_max_partitions: int = _doc(
        "Most partitions one `serve --role detect` worker owns (0: all it can take); a worker with room "
        "takes over the partitions of a worker that died.", default=0)
    sources: dict[str, dict[str, Any]] = _doc(
        "Per-source settings, `[sources.NAME]` tables in TOML (see ingest/README.md); empty: none run.",
        default_factory=dict)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def network_rate_per_minute(self) -> int:
        """``report_rate_per_network_per_minute``, or its default of six identities' worth."""
        return self.report_rate_per_network_per_minute or 6 * self.report_rate_per_minute

    def base_url(self) -> str:
        """Where clients reach the API: ``public_url``, else the address it listens on."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


_ENV_NAMES = {"database_url": "DATABASE_URL", "nats_url": "NATS_URL"}
MIN_HASH_KEY_BYTES = 16


def env_name(key: str) -> str:
    return _ENV_NAMES.get(key, f"DOWNWATCH_{key.upper()}")


def describe() -> list[tuple[str, str, str, str]]:
    """(key, environment variable, default, documentation) for every setting."""
    rows = []
    for f in fields(Settings):
        if f.default is not MISSING:
            default = repr(f.default)
        elif f.default_factory is not MISSING:
            default = repr(f.default_factory())
        else:
            default = "required"
        rows.append((f.name, env_name(f.name), default, f.metadata["doc"]))
    return rows


def _coerce(key: str, annotation: str, value: Any, origin: str) -> Any:
    """Turn a TOML or environment value into the field's type, or explain why it cannot be."""
    try:
        if annotation in ("int",):
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if annotation == "float":
            return float(value)
        if annotation in ("str", "str | None"):
            return None if value in ("", None) else str(value)
        if annotation == "Path | None":
            return None if value in ("", None) else Path(str(value)).expanduser()
        if annotation == "tuple[str, ...]":
            if isinstance(value, str):
                return tuple(part.strip() for part in value.split(",") if part.strip())
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(value)
            raise ValueError
        if annotation == "dict[str, dict[str, Any]]":
            if isinstance(value, str):
                import json

                value = json.loads(value)
            if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
                return value
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: {key} = {value!r} is not a valid {annotation}") from exc
    raise ConfigError(f"{origin}: {key} has an unsupported type {annotation}")


def _is_base_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query \
        and not parts.fragment


def _validate(settings: Settings) -> None:
    checks = [
        (1 <= settings.port + 1 <= 65536, "port must be between 0 and 65535"),
        (settings.bucket_seconds >= 1 and 86400 % settings.bucket_seconds == 0,
         "bucket_seconds must divide a day (for example 60 or 300)"),
        (settings.tick_seconds > 0, "tick_seconds must be positive"),
        (settings.store_timeout_seconds > 0, "store_timeout_seconds must be positive"),
        (settings.store_breaker_open_seconds > 0, "store_breaker_open_seconds must be positive"),
        (settings.retention_days >= 1, "retention_days must be at least 1"),
        (1 <= settings.pool_min_size <= settings.pool_max_size,
         "pool_min_size must be at least 1 and at most pool_max_size"),
        (settings.log_level.upper() in ("DEBUG", "INFO", "WARNING", "ERROR"),
         "log_level must be DEBUG, INFO, WARNING or ERROR"),
        (settings.report_window_seconds >= 1, "report_window_seconds must be positive"),
        (settings.report_rate_per_minute >= 1, "report_rate_per_minute must be positive"),
        (settings.report_global_rate_per_second >= 1, "report_global_rate_per_second must be positive"),
        (settings.report_rate_per_network_per_minute >= 0,
         "report_rate_per_network_per_minute must be 0 (six identities' worth) or positive"),
        (0 <= settings.client_token_slots <= 64, "client_token_slots must be between 0 and 64"),
        (settings.client_tokens_per_network_per_hour >= 1,
         "client_tokens_per_network_per_hour must be positive"),
        (1 <= settings.nats_partitions <= 1024, "nats_partitions must be between 1 and 1024"),
        (settings.nats_replicas in (1, 3, 5), "nats_replicas must be 1, 3 or 5"),
        (settings.detector_max_partitions >= 0, "detector_max_partitions must be 0 (all) or positive"),
        (settings.nats_ack_timeout_seconds > 0, "nats_ack_timeout_seconds must be positive"),
        (settings.nats_url is None or all(part.strip().startswith(("nats://", "tls://"))
                                          for part in settings.nats_url.split(",")),
         "NATS_URL must be nats://host:port (comma-separated for several servers)"),
        (settings.max_body_bytes >= 256, "max_body_bytes must be at least 256"),
        (all(_is_network(entry) for entry in settings.trusted_proxies),
         "trusted_proxies must be IP addresses or CIDR networks like 10.0.0.0/8"),
        (settings.hash_key is None or len(settings.hash_key.encode()) >= MIN_HASH_KEY_BYTES,
         f"hash_key must be at least {MIN_HASH_KEY_BYTES} bytes (DOWNWATCH_HASH_KEY); generate one with "
         "python3 -c 'import secrets; print(secrets.token_hex(32))'"),
        (settings.public_url is None or _is_base_url(settings.public_url),
         "public_url must be an http(s) URL with a host and no query, like https://downwatch.example"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    if settings.catalog_path is not None and not settings.catalog_path.is_file():
        raise ConfigError(f"catalog_path {settings.catalog_path} does not exist; fix the path or unset it")


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True


def load_settings(config_file: str | os.PathLike[str] | None = None,
                  environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read the TOML file and the environment once, validate, and return the settings."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    annotations = {f.name: str(f.type) for f in fields(Settings)}
    path = config_file or env.get("DOWNWATCH_CONFIG")
    if path:
        try:
            with open(path, "rb") as fh:
                data = tomllib.loads(read_all(fh, str(path), "a TOML settings file", MAX_TOML_BYTES)
                                     .decode("utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} not found; check --config or DOWNWATCH_CONFIG") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start})") from exc
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise ConfigError(f"config file {path} is not valid TOML: {reason}") from exc
        except OSError as exc:
            raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from exc
        for key, value in data.items():
            if key not in annotations:
                raise ConfigError(f"config file {path}: unknown setting {key!r} "
                                  f"(known: {', '.join(sorted(annotations))})")
            values[key] = _coerce(key, annotations[key], value, f"config file {path}")
    for key, annotation in annotations.items():
        name = env_name(key)
        if name in env:
            values[key] = _coerce(key, annotation, env[name], f"environment {name}")
    values.update(overrides)
    settings = Settings(**values)
    _validate(settings)
    return settings


def markdown_table() -> str:
    """The configuration table of README.md (a test keeps the README in step with this)."""
    lines = ["| key (TOML) | environment | default | meaning |", "| --- | --- | --- | --- |"]
    for key, env, default, doc in describe():
        lines.append(f"| `{key}` | `{env}` | `{default}` | {doc} |")
    return "\n".join(lines)
