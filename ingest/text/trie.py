"""One regular expression for many literal terms, factored as a prefix tree.

Python's ``re`` tries the branches of a plain ``a|b|c`` alternation one by one at every position;
sharing prefixes makes a search over hundreds of terms cost about as much as a search for one.
Because every optional tail is greedy, the longest term wins at a given start position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_END = ""

Trie = dict[str, "Trie"]


def _insert(trie: Trie, term: str) -> None:
    node = trie
    for char in term:
        node = node.setdefault(char, {})
    node[_END] = {}


def _pattern(node: Trie) -> str:
    branches = [re.escape(char) + _pattern(child) for char, child in sorted(node.items()) if char != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:
        return "(?:" + body + ")?"
    return body


def trie_pattern(terms: Iterable[str]) -> str:
    """A regex source matching exactly the given non-empty terms (no anchors, no boundaries)."""
    trie: Trie = {}
    for term in terms:
        if term:
            _insert(trie, term)
    if not trie:
        return "(?!)"
    return _pattern(trie)


def compile_terms(terms: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    """Whole-word matches of any term: not preceded or followed by a letter or digit."""
    return re.compile(r"(?<![^\W_])(?:" + trie_pattern(terms) + r")(?![^\W_])", flags)
