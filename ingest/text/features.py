"""Turn a post into the text the classifier sees, and that text into hashed features.

The service the post names becomes the token ``svc`` (other named services become ``othersvc``; an
@handle gives ``svcat``, a #hashtag ``svctag``), so
the classifier learns how people say that *something* is failing, not which services fail most;
that is also what lets it judge services it never saw in training. Generic words inside a matched
name ("BT *Email*", "Barclays *app*") are kept. URLs become ``url``. Cue phrases from
``ingest/data/cues.json`` ("yesterday", "back up", "password") add a ``cue_<name>`` token, so a
phrasing never seen in training still lands near the right class.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from ingest.text.hashing import HashedColumns
from ingest.text.matcher import WORD, Mention
from ingest.text.resources import load_json
from ingest.text.trie import compile_terms

FEATURE_BITS = 18
_URL = re.compile(r"https?://\S+|www\.\S+")
# How the service was named shows in its token: "svctag" (#hashtag), "svcat" (@handle: a support desk
# is addressed, a strong hint but no proof of a problem), "svc" (name or domain).
_VIA_SUFFIX = {"hashtag": "tag", "handle": "at"}
_WORD_TOKENS = r"(?u)[^\W\d_]+(?:'[^\W\d_]+)?|\d+|[!?]|[^\w\s]"


def masked_text(text: str, mentions: Sequence[Mention], failing: str | None,
                keep: Collection[str] = ()) -> str:
    """Lower-cased text with service mentions replaced by ``svc`` / ``othersvc`` and URLs by ``url``."""
    pieces = []
    cursor = 0
    lower = text.lower()
    for mention in mentions:
        if mention.start < cursor:
            continue
        pieces.append(lower[cursor:mention.start])
        token = "svc" if mention.slug == failing else "othersvc"
        kept = [w for w in WORD.findall(lower[mention.start:mention.end]) if w in keep]
        pieces.append(" ".join([f" {token}{_VIA_SUFFIX.get(mention.via, '')}", *kept, ""]))
        cursor = mention.end
    pieces.append(lower[cursor:])
    return _URL.sub(" url ", "".join(pieces))


class CueMarker:
    """Appends ``cue_<name>`` for every cue family whose phrases occur in a lower-cased text."""

    def __init__(self, cues: dict[str, list[str]]) -> None:
        self._names: dict[str, set[str]] = {}
        for name, phrases in cues.items():
            for phrase in phrases:
                self._names.setdefault(phrase.lower(), set()).add(name)
        self._pattern = compile_terms(self._names)

    @classmethod
    def bundled(cls) -> CueMarker:
        return cls({k: v for k, v in load_json("cues.json").items() if k != "about"})

    def mark(self, text: str) -> str:
        found: set[str] = set()
        for hit in self._pattern.finditer(text):
            found.update(self._names[hit.group()])
        return text + "".join(f" cue_{name}" for name in sorted(found))


class Featurizer:
    """Pure (its memos only save work): cue tokens, word 1–2-grams and character 2–4-grams within words,
    hashed together."""

    def __init__(self, n_bits: int = FEATURE_BITS) -> None:
        self.n_features = 2 ** n_bits
        self._cues = CueMarker.bundled()
        common = {"n_features": self.n_features, "alternate_sign": False, "lowercase": False}
        self._words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=_WORD_TOKENS,
                                        norm="l2", **common)
        self._chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), norm="l2", **common)
        self._hashed_words = HashedColumns(self._words)
        self._hashed_chars = HashedColumns(self._chars)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        marked = [self._cues.mark(text) for text in texts]
        words = self._hashed_words.transform(marked)
        chars = self._hashed_chars.transform(texts)
        return sp.csr_matrix(words + chars * 0.5)

    def vectorizer_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """``transform`` through scikit-learn's own vectorizers (slower; the same matrix)."""
        marked = [self._cues.mark(text) for text in texts]
        return sp.csr_matrix(self._words.transform(marked) + self._chars.transform(texts) * 0.5)
