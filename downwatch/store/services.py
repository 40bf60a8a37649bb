"""The catalog in the database: the bundled/user catalog synced at start, admin edits kept apart."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from downwatch.records import Service

SYNC = """
INSERT INTO services (slug, name, country, category, aliases, domains, handles, status_page, origin,
                      updated_at)
SELECT s.slug, s.name, s.country, s.category, string_to_array(s.aliases, E'\\x1f'),
       string_to_array(s.domains, E'\\x1f'), string_to_array(s.handles, E'\\x1f'), s.status_page,
       'catalog', now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[]) AS s(slug, name, country, category, aliases, domains, handles, status_page)
ON CONFLICT (slug) DO UPDATE
SET name = EXCLUDED.name, country = EXCLUDED.country, category = EXCLUDED.category,
    aliases = EXCLUDED.aliases, domains = EXCLUDED.domains, handles = EXCLUDED.handles,
    status_page = EXCLUDED.status_page, updated_at = now()
WHERE services.origin = 'catalog'
"""

UPSERT_ADMIN = """
INSERT INTO services (slug, name, country, category, aliases, domains, handles, status_page, origin,
                      updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'admin', now())
ON CONFLICT (slug) DO UPDATE
SET name = EXCLUDED.name, country = EXCLUDED.country, category = EXCLUDED.category,
    aliases = EXCLUDED.aliases, domains = EXCLUDED.domains, handles = EXCLUDED.handles,
    status_page = EXCLUDED.status_page, origin = 'admin', updated_at = now()
"""

READ_ALL = """
SELECT slug, name, country, category, aliases, domains, handles, status_page, origin FROM services
ORDER BY slug
"""

ADMIN_SLUGS = "SELECT slug FROM services WHERE origin = 'admin' ORDER BY slug"


def _joined(values: tuple[str, ...]) -> str:
    # Lists travel as one text per service (unnest cannot take a ragged 2-D array); \x1f never
    # appears in names, aliases, domains or handles.
    return "\x1f".join(values)


async def sync_catalog(conn: asyncpg.Connection | asyncpg.Pool, services: Iterable[Service]) -> None:
    """Write the catalog; entries edited through the admin API are left as the admin set them."""
    rows = list(services)
    await conn.execute(
        SYNC,
        [s.slug for s in rows], [s.name for s in rows], [s.country for s in rows],
        [s.category for s in rows], [_joined(s.aliases) for s in rows], [_joined(s.domains) for s in rows],
        [_joined(s.handles) for s in rows], [s.status_page for s in rows])


async def upsert_admin_service(conn: asyncpg.Connection | asyncpg.Pool, service: Service) -> None:
    await conn.execute(UPSERT_ADMIN, service.slug, service.name, service.country, service.category,
                       list(service.aliases), list(service.domains), list(service.handles),
                       service.status_page)


async def read_services(conn: asyncpg.Connection | asyncpg.Pool) -> list[dict[str, Any]]:
    return [dict(row) for row in await conn.fetch(READ_ALL)]


async def read_admin_slugs(conn: asyncpg.Connection | asyncpg.Pool) -> list[str]:
    """Slugs added or edited through the admin API (they are part of the live catalog)."""
    return [row["slug"] for row in await conn.fetch(ADMIN_SLUGS)]
