"""Which problem category an official component or incident name points at (status pages)."""

from __future__ import annotations

import re

from downwatch.records import Problem

_KEYWORDS: tuple[tuple[Problem, tuple[str, ...]], ...] = (
    (Problem.LOGIN, ("login", "log in", "sign-in", "sign in", "signin", "auth", "sso", "2fa", "password")),
    (Problem.EMAIL, ("email", "e-mail", "mail", "smtp", "imap")),
    (Problem.PAYMENTS, ("payment", "checkout", "card", "transfer", "transaction")),
    (Problem.BILLING, ("billing", "invoice", "subscription")),
    (Problem.STREAMING, ("stream", "video", "playback", "music", "live")),
    (Problem.MESSAGING, ("messag", "chat", "notification", "push", "feed", "dm")),
    (Problem.CONNECTION, ("network", "connect", "voice", "call", "broadband", "mobile data", "matchmaking",
                          "game server", "multiplayer", "dns", "vpn")),
    (Problem.APP, ("app", "ios", "android", "desktop", "client")),
    (Problem.WEBSITE, ("website", "web", "site", "dashboard", "api", "portal", "page")),
)


_PATTERNS = tuple((problem, re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + ")", re.I))
                  for problem, words in _KEYWORDS)


def problem_from_names(*names: str) -> Problem:
    """The first category with a keyword starting a word in any of the names; ``other`` if none."""
    text = " ".join(names)
    for problem, pattern in _PATTERNS:
        if pattern.search(text):
            return problem
    return Problem.OTHER
