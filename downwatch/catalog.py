"""The service catalog: the bundled ``data/catalog.toml`` plus an optional user override file.

File format (bundled and override alike): a list of ``[[service]]`` tables with the keys in
``SERVICE_KEYS``. ``slug``, ``name``, ``country`` and ``category`` are required for a new service;
``aliases``, ``domains`` and ``handles`` are lists of strings; ``status_page`` is an http(s) URL;
``parent`` is the slug of the service a product belongs to ("google-pay" -> "google"; one level only:
a parent has no parent of its own; in an override file ``parent = ""`` removes it). A report for a
child also counts for its parent's verdict.

Override rule (``load_catalog(override_path)``), applied entry by entry in file order:

* a new slug adds a service (all required keys must be given);
* an existing slug replaces, field by field, only the keys the entry gives: a given list replaces
  the whole bundled list (it is not merged), keys left out keep their bundled values;
* ``remove = true`` with a slug (and no other key) drops that service.

After merging, every name, alias, domain and handle must belong to one service only (names and
aliases compared case-insensitively), so that text matching is never ambiguous.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from downwatch.errors import ConfigError, InputError, NotFound
from downwatch.input_limits import MAX_TOML_BYTES, read_all
from downwatch.records import Service

CATEGORIES: tuple[str, ...] = (
    "broadband",     # home internet providers
    "mobile",        # mobile networks
    "bank",          # banks and building societies
    "payments",      # card networks, payment processors, money transfer, buy-now-pay-later
    "government",    # public-sector online services
    "health",        # health-service apps and sites
    "social",        # social networks and forums
    "messaging",     # chat and calling apps
    "dating",        # dating apps
    "email",         # webmail and mail providers
    "productivity",  # office suites, storage, collaboration and design tools
    "cloud",         # hosting, CDN and infrastructure providers
    "developer",     # code hosting and developer platforms and APIs
    "streaming",     # video, music and audiobook streaming
    "gaming",        # game networks, stores and online games
    "shopping",      # retailers and marketplaces
    "food",          # food delivery
    "transport",     # rail, ride-hailing, public transport
    "travel",        # airlines and bookings
    "delivery",      # parcel carriers
    "energy",        # gas and electricity suppliers
    "ai",            # AI assistants and model APIs
    "search",        # search engines and reference sites
    "news",          # news sites
    "education",     # learning platforms and admissions
)

SERVICE_KEYS: tuple[str, ...] = (
    "slug", "name", "aliases", "domains", "handles", "status_page", "country", "category", "parent",
)
REQUIRED_KEYS: tuple[str, ...] = ("slug", "name", "country", "category")
LIST_KEYS: tuple[str, ...] = ("aliases", "domains", "handles")
REMOVE_KEY = "remove"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_COUNTRY = re.compile(r"[A-Z]{2}")
_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}")
_HANDLE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_URL = re.compile(r"https?://[^\s/]+\.[^\s/]+(?:/\S*)?")


@dataclass(frozen=True, slots=True)
class Catalog:
    """An immutable set of services, iterated in slug order."""

    _by_slug: Mapping[str, Service]
    _by_term: Mapping[str, Service]
    _by_handle: Mapping[str, Service]
    _by_domain: Mapping[str, Service]

    @classmethod
    def from_services(cls, services: list[Service] | tuple[Service, ...]) -> Catalog:
        """A catalog of these services; where a term is shared, the first service in slug order has it."""
        ordered = sorted(services, key=lambda service: service.slug)
        by_term: dict[str, Service] = {}
        by_handle: dict[str, Service] = {}
        by_domain: dict[str, Service] = {}
        for service in ordered:
            for term in (service.slug, service.name, *service.aliases):
                by_term.setdefault(_fold(term), service)
            for handle in service.handles:
                by_handle.setdefault(handle.casefold(), service)
            for domain in service.domains:
                by_domain.setdefault(domain, service)
        return cls(MappingProxyType({service.slug: service for service in ordered}),
                   MappingProxyType(by_term), MappingProxyType(by_handle), MappingProxyType(by_domain))

    def __len__(self) -> int:
        return len(self._by_slug)

    def __iter__(self) -> Iterator[Service]:
        return iter(self._by_slug.values())

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(self._by_slug)

    def get(self, slug: str) -> Service | None:
        return self._by_slug.get(slug)

    def require(self, slug: str) -> Service:
        """The service with this slug, or NotFound naming the closest slugs."""
        service = self._by_slug.get(slug)
        if service is not None:
            return service
        closest = self.closest(slug)
        hint = f"; did you mean {', '.join(closest)}?" if closest else "; GET /v1/services lists them"
        raise NotFound(f"no service {slug!r} in the catalog{hint}", extra={"closest": closest})

    def find(self, text: str) -> Service | None:
        """The service ``text`` names exactly: a slug, name or alias (any case, and spacing, hyphens
        and dots ignored, so "#VirginMedia" works), a domain or URL host, or an @handle."""
        term = text.strip()
        if term.startswith("@"):
            return self._by_handle.get(term[1:].casefold())
        host = _host(term)
        if host is not None:
            labels = host.split(".")
            for start in range(len(labels) - 1):
                service = self._by_domain.get(".".join(labels[start:]))
                if service is not None:
                    return service
        return self._by_term.get(_fold(term.removeprefix("#")))

    def closest(self, text: str, n: int = 3) -> list[str]:
        """Up to ``n`` slugs whose slug, name or alias is most like ``text``, best first."""
        wanted = _fold(text)
        if not wanted:
            return []
        slug_of_term: dict[str, str] = {}
        for service in self:
            for term in (service.slug, service.name, *service.aliases):
                slug_of_term.setdefault(_fold(term), service.slug)
        found: list[str] = []
        for term in difflib.get_close_matches(wanted, slug_of_term, n=len(slug_of_term), cutoff=0.6):
            slug = slug_of_term[term]
            if slug not in found:
                found.append(slug)
            if len(found) == n:
                break
        return found

    def parents(self) -> dict[str, str]:
        """Child slug -> parent slug, for every service that has a parent."""
        return {service.slug: service.parent for service in self if service.parent is not None}

    def by_category(self, category: str) -> tuple[Service, ...]:
        if category not in CATEGORIES:
            raise InputError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
        return tuple(service for service in self if service.category == category)


def _fold(text: str) -> str:
    """Lower-case with spaces, hyphens and dots removed, so "Virgin Media" ~ "virgin-media"."""
    return re.sub(r"[\s\-_.]+", "", text.casefold())


def _host(text: str) -> str | None:
    """The lower-case host of a URL or bare domain ("https://www.bt.com/x" -> "www.bt.com"), else None."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text.casefold()).split("/", 1)[0].split(":", 1)[0]
    return host if _DOMAIN.fullmatch(host) else None


def load_catalog(override_path: Path | None = None) -> Catalog:
    """The bundled catalog, with the user's override file (if any) applied on top."""
    bundled = resources.files("downwatch").joinpath("data/catalog.toml")
    origin = "bundled catalog downwatch/data/catalog.toml"
    services = {service.slug: service
                for service in parse_services(bundled.read_text(encoding="utf-8"), origin)}
    if override_path is not None:
        _apply_overrides(services, _read(override_path), f"catalog file {override_path}")
    catalog = Catalog.from_services(list(services.values()))
    where = origin if override_path is None else f"{origin} + {override_path}"
    _check_unique_terms(catalog, where)
    _check_parents(catalog, where)
    return catalog


def parse_services(text: str, origin: str) -> list[Service]:
    """Validate catalog TOML text (no overrides, no 'remove') and return its services."""
    services: dict[str, Service] = {}
    for index, entry in enumerate(_parse(text, origin), start=1):
        if REMOVE_KEY in entry:
            raise _entry_error(origin, index, entry, "'remove' is only allowed in an override file")
        _add(services, entry, origin, index)
    return list(services.values())


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return read_all(handle, f"catalog file {path}", "a TOML catalog", MAX_TOML_BYTES).decode("utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"catalog file {path} not found; fix catalog_path or create the file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"catalog file {path} is not UTF-8 text; save it as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"catalog file {path} cannot be read: {exc.strerror}") from exc


def _parse(text: str, origin: str) -> list[dict[str, Any]]:
    """The file's entries, each checked for known keys and value types (not yet for completeness)."""
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ConfigError(f"{origin} is not valid TOML ({reason}); fix the syntax") from exc
    unknown = sorted(set(data) - {"service"})
    if unknown:
        raise ConfigError(f"{origin}: unknown top-level key {unknown[0]!r}; "
                          "write each service as a [[service]] table")
    entries = data.get("service", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{origin}: 'service' must be a list of [[service]] tables, not a single table; "
                          "write [[service]] instead of [service]")
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        _check_entry(entry, origin, index)
        slug = entry["slug"]
        if slug in seen:
            raise _entry_error(origin, index, entry,
                               "duplicate slug: it appears earlier in the same file; merge the two entries")
        seen.add(slug)
    return entries


def _check_entry(entry: Any, origin: str, index: int) -> None:
    if not isinstance(entry, dict):
        raise ConfigError(f"{origin}: service #{index} is not a table; write it as a [[service]] table")
    unknown = sorted(set(entry) - set(SERVICE_KEYS) - {REMOVE_KEY})
    if unknown:
        raise _entry_error(origin, index, entry,
                           f"unknown key {unknown[0]!r}; allowed keys are {', '.join(SERVICE_KEYS)}, remove")
    if "slug" not in entry:
        raise _entry_error(origin, index, entry, "missing required key 'slug'; add slug = \"...\"")
    for key, value in entry.items():
        _check_value(key, value, origin, index, entry)


def _check_value(key: str, value: Any, origin: str, index: int, entry: dict[str, Any]) -> None:
    def fail(problem: str) -> ConfigError:
        return _entry_error(origin, index, entry, f"{key} = {value!r} {problem}")

    if key == REMOVE_KEY:
        if value is not True:
            raise fail("is not valid; write remove = true or leave the key out")
        return
    if key in LIST_KEYS:
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise fail("must be a list of non-empty strings, like [\"a\", \"b\"]")
        for item in value:
            if key == "domains" and not _DOMAIN.fullmatch(item):
                raise fail(f"has {item!r}, which is not a lower-case domain like example.co.uk "
                           "(no scheme, no path)")
            if key == "handles" and not _HANDLE.fullmatch(item):
                raise fail(f"has {item!r}, which is not a handle; write it without @ or spaces")
        return
    if not isinstance(value, str):
        raise fail("must be a string")
    if key == "slug" and not _SLUG.fullmatch(value):
        raise fail("is not a valid slug; use lower-case letters, digits and single hyphens "
                   "(like virgin-media)")
    if key == "name" and not value.strip():
        raise fail("is empty; give the service's display name")
    if key == "country" and value != "global" and not _COUNTRY.fullmatch(value):
        raise fail("is not a country; use an ISO 3166-1 alpha-2 code like GB or US, or \"global\"")
    if key == "category" and value not in CATEGORIES:
        raise fail(f"is not a known category; use one of {', '.join(CATEGORIES)}")
    if key == "parent" and value and not _SLUG.fullmatch(value):
        raise fail("is not a slug; name the parent service by its slug (like google) or leave it out")
    if key == "status_page" and not _URL.fullmatch(value):
        raise fail("is not an http(s) URL; write it like https://status.example.com or leave it out")


def _entry_error(origin: str, index: int, entry: Any, problem: str) -> ConfigError:
    slug = entry.get("slug") if isinstance(entry, dict) else None
    label = f"service #{index} ({slug})" if isinstance(slug, str) else f"service #{index}"
    return ConfigError(f"{origin}: {label}: {problem}")


def _service(entry: dict[str, Any]) -> Service:
    return Service(
        slug=entry["slug"], name=entry["name"].strip(), country=entry["country"],
        category=entry["category"],
        aliases=tuple(entry.get("aliases", ())), domains=tuple(entry.get("domains", ())),
        handles=tuple(entry.get("handles", ())), status_page=entry.get("status_page"),
        parent=entry.get("parent") or None,
    )


def _add(services: dict[str, Service], entry: dict[str, Any], origin: str, index: int) -> None:
    missing = [key for key in REQUIRED_KEYS if key not in entry]
    if missing:
        raise _entry_error(origin, index, entry,
                           f"missing required key {missing[0]!r}; a new service needs "
                           f"{', '.join(REQUIRED_KEYS)}")
    services[entry["slug"]] = _service(entry)


def _apply_overrides(services: dict[str, Service], text: str, origin: str) -> None:
    for index, entry in enumerate(_parse(text, origin), start=1):
        slug = entry["slug"]
        existing = services.get(slug)
        if entry.get(REMOVE_KEY):
            if set(entry) != {"slug", REMOVE_KEY}:
                raise _entry_error(origin, index, entry,
                                   "remove = true takes only a slug; drop the other keys")
            if existing is None:
                closest = Catalog.from_services(list(services.values())).closest(slug)
                hint = f" (did you mean {', '.join(closest)}?)" if closest else ""
                raise _entry_error(origin, index, entry,
                                   f"cannot remove it: no such service in the catalog{hint}; fix the slug")
            del services[slug]
        elif existing is None:
            _add(services, entry, origin, index)
        else:
            bundled = {key: getattr(existing, key) for key in SERVICE_KEYS}
            services[slug] = _service(bundled | entry)


def _check_parents(catalog: Catalog, origin: str) -> None:
    """Each parent is another service of the catalog, and has no parent itself (one level)."""
    for service in catalog:
        if service.parent is None:
            continue
        parent = catalog.get(service.parent)
        if service.parent == service.slug:
            raise ConfigError(f"{origin}: {service.slug}: parent is the service itself; leave it out")
        if parent is None:
            closest = catalog.closest(service.parent)
            hint = f" (did you mean {', '.join(closest)}?)" if closest else ""
            raise ConfigError(f"{origin}: {service.slug}: parent {service.parent!r} is not in the catalog"
                              f"{hint}; fix the slug")
        if parent.parent is not None:
            raise ConfigError(f"{origin}: {service.slug}: parent {parent.slug} has a parent itself "
                              f"({parent.parent}); name {parent.parent} as the parent instead")


def _check_unique_terms(catalog: Catalog, origin: str) -> None:
    """Each slug/name/alias (compared as ``_fold`` sees them), domain and handle names one service."""
    owner: dict[tuple[str, str], str] = {}
    for service in catalog:
        terms = {("name or alias", _fold(term)) for term in (service.slug, service.name, *service.aliases)}
        terms |= {("domain", domain) for domain in service.domains}
        terms |= {("handle", handle.casefold()) for handle in service.handles}
        for kind, term in sorted(terms):
            other = owner.setdefault((kind, term), service.slug)
            if other != service.slug:
                raise ConfigError(f"{origin}: {kind} {term!r} belongs to both {other} and {service.slug}; "
                                  f"keep it on one of them")
