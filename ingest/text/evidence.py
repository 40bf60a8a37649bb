"""The evidence gate: a post is a report only if it says, in some words, that something fails.

The phrases are the ``trouble`` cue family of ``ingest/data/cues.json`` ("down", "not working",
"can't", "no signal", "panne", "geht nicht", "no funciona", "nie działa", …), matched as whole words,
plus a #hashtag that ends in an outage word (#BTdown, #SkyOutage). Real posts that name a service
without any such words (product news, questions, jokes, links, greetings, "@AWSSupport Sure. Case ID:
2230311591. Thanks :)") are most of what a firehose carries; the gate keeps them from ever becoming
reports, whatever the model makes of them. Only posts that name a service are checked.
"""

from __future__ import annotations

import re

from ingest.text.resources import load_json
from ingest.text.trie import compile_terms

_OUTAGE_TAG = re.compile(
    r"#\w*(?:down|outage|outages|fail|issues|problems|panne|störung|caido|caído|awaria|storing)(?![^\W_])")


class Evidence:
    """Built once; ``says_trouble`` is pure."""

    def __init__(self, phrases: list[str]) -> None:
        self._pattern = compile_terms({phrase.lower() for phrase in phrases})

    @classmethod
    def bundled(cls) -> Evidence:
        return cls(list(load_json("cues.json")["trouble"]))

    def says_trouble(self, lower: str) -> bool:
        """Whether the lower-cased post says that something fails."""
        if self._pattern.search(lower) is not None:
            return True
        return "#" in lower and _OUTAGE_TAG.search(lower) is not None
