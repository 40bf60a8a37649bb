"""HashingVectorizer's transform with each feature's column remembered: the same matrix, faster.

scikit-learn hashes every n-gram of every post anew, through a Python generator per feature. Words
and n-grams repeat from post to post, so their columns (MurmurHash3 of the UTF-8 feature, as
``FeatureHasher`` computes it) are kept, and a char_wb post is the n-grams of its words, each word's
columns kept whole. The matrix is then built, summed and normalised exactly as ``FeatureHasher`` and
``HashingVectorizer`` do, so it is identical (tests compare the two).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain
from typing import TypeVar

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

MEMO_SIZE = 50_000  # per memo; about 150 bytes an entry
_INT32_MIN = -2 ** 31
Value = TypeVar("Value")


class HashedColumns:
    """``transform`` equals ``vectorizer.transform`` (no alternating signs, not binary)."""

    def __init__(self, vectorizer: HashingVectorizer) -> None:
        if vectorizer.alternate_sign or vectorizer.binary:
            raise ValueError("only counts are remembered: alternate_sign and binary must be off")
        self.n_features = int(vectorizer.n_features)
        self._norm = vectorizer.norm
        self._analyze: Callable[[str], list[str]] = vectorizer.build_analyzer()
        self._by_word = vectorizer.analyzer == "char_wb"
        self._columns: dict[str, int] = {}
        self._word_columns: dict[str, list[int]] = {}

    def transform(self, texts: Sequence[str]) -> sp.csr_array:
        rows = [self._row(text) for text in texts]
        indptr = np.zeros(len(rows) + 1, dtype=np.int32)
        np.cumsum([len(row) for row in rows], out=indptr[1:])
        indices = np.fromiter(chain.from_iterable(rows), dtype=np.int32, count=int(indptr[-1]))
        matrix = sp.csr_array((np.ones(len(indices)), indices, indptr), dtype=np.float64,
                              shape=(len(rows), self.n_features))
        matrix.sum_duplicates()
        return normalize(matrix, norm=self._norm, copy=False) if self._norm is not None else matrix

    def _row(self, text: str) -> list[int]:
        if not self._by_word:
            return self._columns_of(self._analyze(text))
        # char_wb makes the n-grams of each whitespace-separated word on its own.
        row: list[int] = []
        for word in text.split():
            columns = self._word_columns.get(word)
            if columns is None:
                columns = self._columns_of(self._analyze(word))
                _remember(self._word_columns, word, columns)
            row.extend(columns)
        return row

    def _columns_of(self, features: list[str]) -> list[int]:
        known = self._columns
        columns = [known.get(feature, -1) for feature in features]
        if -1 in columns:
            columns = [column if column >= 0 else self._column(feature)
                       for column, feature in zip(columns, features, strict=True)]
        return columns

    def _column(self, feature: str) -> int:
        h = murmurhash3_32(feature, seed=0, positive=False)
        n = self.n_features
        column = (2147483647 - (n - 1)) % n if h == _INT32_MIN else abs(h) % n
        _remember(self._columns, feature, column)
        return column


def _remember(memo: dict[str, Value], key: str, value: Value) -> None:
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[key] = value
