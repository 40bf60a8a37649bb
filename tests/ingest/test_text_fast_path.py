"""The firehose fast path changes no result: mentions, features and signals equal the full path's.

The full path is the matcher's rules without shortcuts (``text_reference``) and scikit-learn's own
vectorizers; the posts are the corpus, every catalogue term in many surroundings and word salad with
links, handles, hashtags, unicode and emoji (``text_posts``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from downwatch.catalog import load_catalog
from downwatch.records import Observation, Service
from ingest.text.features import Featurizer, masked_text
from ingest.text.matcher import Mention, ServiceMatcher
from ingest.text.pipeline import TextPipeline
from tests.ingest.text_posts import varied_posts
from tests.ingest.text_reference import reference_find

Finder = Callable[[str], list[Mention]]


@pytest.fixture(scope="module")
def catalog() -> list[Service]:
    return list(load_catalog())


@pytest.fixture(scope="module")
def matcher(catalog: list[Service]) -> ServiceMatcher:
    return ServiceMatcher(catalog)


@pytest.fixture(scope="module")
def posts(catalog: list[Service], matcher: ServiceMatcher) -> list[str]:
    return varied_posts(catalog, matcher.rules)


def differences(fast: Finder, full: Finder, posts: Sequence[str]) -> list[str]:
    return [post for post in posts if fast(post) != full(post)]


def test_mentions_equal_the_full_path(matcher: ServiceMatcher, posts: list[str]) -> None:
    def full(post: str) -> list[Mention]:
        return reference_find(matcher, post)

    assert len(posts) > 60_000
    assert differences(matcher.find, full, posts) == []
    assert differences(matcher.find, full, posts) == []  # again, with every tag remembered


def test_every_catalogue_term_is_found_in_some_post(matcher: ServiceMatcher, posts: list[str],
                                                    catalog: list[Service]) -> None:
    """So a fast path that loses any one name, alias, domain or handle shows up as a difference (link
    hosts like t.co are never mentions, nor a handle with a dot, which no @tag can spell)."""
    named = set()
    for post in posts:
        lower = post.lower()
        named.update(lower[mention.start:mention.end] for mention in reference_find(matcher, post))
    terms = {term.strip().lower() for service in catalog for term in (service.name, *service.aliases,
                                                                        *service.domains)}
    handles = {"@" + handle.lower() for service in catalog for handle in service.handles
               if handle.replace("_", "").isalnum()}
    assert sorted((terms - matcher.rules.link_hosts | handles) - named) == []


def test_a_fast_path_that_drops_an_alias_is_caught(matcher: ServiceMatcher, posts: list[str]) -> None:
    def full(post: str) -> list[Mention]:
        return reference_find(matcher, post)

    for alias in ("Virgin Media", "Sky Go", "Disney+", "paypal.com", "BTCare"):
        def broken(post: str, alias: str = alias.lower()) -> list[Mention]:
            return [] if alias in post.lower() else matcher.find(post)

        assert differences(broken, full, posts), alias


def test_features_equal_the_vectorizers(matcher: ServiceMatcher, posts: list[str]) -> None:
    featurizer = Featurizer()
    masked = []
    for post in posts:
        mentions = matcher.find(post)
        if mentions:
            masked.append(masked_text(post, mentions, matcher.failing(post, mentions), matcher.rules.context))
    rng = random.Random(3)
    rng.shuffle(masked)
    for size in (1, 7, 500, 5000):
        batch = masked[:size * 2]
        for texts in (batch[:size], batch[size:], batch):
            fast, full = featurizer.transform(texts), featurizer.vectorizer_transform(texts)
            assert type(fast) is type(full)
            for field in ("indptr", "indices", "data"):
                assert np.array_equal(getattr(fast, field), getattr(full, field))
                assert getattr(fast, field).dtype == getattr(full, field).dtype


def test_signals_equal_the_full_path(catalog: list[Service], posts: list[str]) -> None:
    fast = TextPipeline.default(catalog, hash_key="test-key")
    full = TextPipeline.default(catalog, hash_key="test-key")
    full.matcher.find = lambda post: reference_find(full.matcher, post)  # type: ignore[method-assign]
    full._featurizer.transform = full._featurizer.vectorizer_transform  # type: ignore[method-assign]
    rng = random.Random(5)
    sample = rng.sample(posts, 12_000) + rng.sample(posts, 300)  # some repeated in a batch
    start = datetime(2025, 2, 4, 8, 0, tzinfo=UTC)
    observations = [
        Observation(source="test", external_id=str(index), text=text,
                    author=f"user{rng.randrange(400)}" if rng.random() < 0.1 else f"user-{index}",
                    observed_at=start + timedelta(seconds=index))
        for index, text in enumerate(sample)]
    batches = [observations[offset:offset + 2000] for offset in range(0, len(observations), 2000)]
    signals = [(fast.signals(batch), full.signals(batch)) for batch in batches]
    assert sum(len(fast_batch) for fast_batch, _ in signals) > 1000
    for fast_batch, full_batch in signals:
        assert fast_batch == full_batch
    assert fast.classify(sample) == full.classify(sample)
