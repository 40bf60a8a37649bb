"""The base of every source that talks HTTP: one aiohttp session, opened lazily on the first fetch
(inside the running event loop), reopened if it was closed, and closed by ``close``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

import aiohttp

from ingest.sources.http import USER_AGENT

# The session headers of sources whose every request must carry downwatch's User-Agent.
USER_AGENT_HEADERS: Mapping[str, str] = MappingProxyType({"User-Agent": USER_AGENT})


class HttpSource:
    """Holds the source's session; subclasses call ``session()`` in ``fetch`` and extend ``close``
    (closing their own sockets or responses first, then ``await super().close()``)."""

    session_headers: ClassVar[Mapping[str, str]] = MappingProxyType({})
    _session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """The open session, opening a new one on first use or after it was closed."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=dict(self.session_headers))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
