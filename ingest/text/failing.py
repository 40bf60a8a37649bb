"""When a post names several services, decide which one it says is failing.

Each mention is scored by the clause it sits in: failure words ("down", "can't", "crashing") count
for it, words of health ("fine", "works", "switched") count against it unless negated ("not working").
Clauses end at punctuation and at contrast words ("but", "while", "because"). Ties go to the first
service named.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ingest.text.match_rules import MatchRules

if TYPE_CHECKING:
    from ingest.text.matcher import Mention

_CLAUSE_END = re.compile(
    r"[.;!?\n,]+(?=\s|$)|\s-\s|\b(?:but|while|whereas|though|although|however|because|cos|coz|since|"
    r"unlike|meanwhile|whilst|pero|mais|aber|ale|mientras)\b")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_HASHTAG_BONUS = 0.5


def _clause_score(clause: str, rules: MatchRules) -> float:
    words = _WORD.findall(clause)
    score = 0.0
    for index, word in enumerate(words):
        if word in rules.failure:
            score += 1.0
        elif word in rules.fine and not (index and words[index - 1] in rules.negators):
            score -= 1.0
    return score


def failing_service(lower: str, mentions: Sequence[Mention], rules: MatchRules) -> str:
    """The slug of the failing service among ``mentions`` (non-empty, in text order)."""
    slugs = list(dict.fromkeys(mention.slug for mention in mentions))
    if len(slugs) == 1:
        return slugs[0]
    ends = [hit.end() for hit in _CLAUSE_END.finditer(lower)]
    starts = [0, *ends]
    bounds = [*ends, len(lower)]
    clause_scores: dict[int, float] = {}
    best: dict[str, float] = {}
    for mention in mentions:
        clause = bisect.bisect_right(ends, mention.start)
        if clause not in clause_scores:
            clause_scores[clause] = _clause_score(lower[starts[clause]:bounds[clause]], rules)
        score = clause_scores[clause] + (_HASHTAG_BONUS if mention.via == "hashtag" else 0.0)
        best[mention.slug] = max(best.get(mention.slug, score), score)
    return max(slugs, key=lambda slug: (best[slug], -slugs.index(slug)))
