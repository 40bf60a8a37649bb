"""The visible text of HTML fragments (Mastodon statuses, status-feed summaries)."""

from __future__ import annotations

import html
from html.parser import HTMLParser

_BLOCK_TAGS = {"p", "br", "li", "div", "blockquote"}


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The visible text of an HTML fragment; paragraphs and breaks become newlines, runs of
    whitespace one space, entities their characters."""
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in html.unescape("".join(parser.parts)).split("\n"))
    return "\n".join(line for line in lines if line)
