"""The text pipeline's one entry point: match → classify → locate → dedup → signals.

    pipeline = TextPipeline.default(load_catalog(), hash_key=settings.hash_key)
    pipeline.classify(["is BT down?", "lovely blue sky"])      # → [Classification, ...]
    pipeline.signals(observations)                              # → [Signal, ...] worth counting

Posts that name no catalogue service are rejected by the matcher before the classifier runs.
``confidence`` is the calibrated probability that the post is a report of ``service``; it is the
signal's weight. Structured observations (user reports, probes, status pages) that already carry a
service and a problem skip the classifier but still go through location, hashing and dedup, and
become signals by the one conversion (``ingest.sources.structured.observation_signal``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from downwatch.records import Kind, Observation, Problem, Service, Signal
from ingest.sources.structured import observation_signal
from ingest.text.dedup import DEFAULT_WINDOW_SECONDS, Deduplicator, author_hash
from ingest.text.evidence import Evidence
from ingest.text.features import masked_text
from ingest.text.location import Gazetteer
from ingest.text.matcher import ServiceMatcher
from ingest.text.model import TextModel

REPORT_THRESHOLD = 0.5
# A post that names a service but says nothing fails keeps at most this confidence (never a report).
NO_EVIDENCE_CAP = 0.05
EVIDENCE_CHARS = 280
_STRUCTURED_KINDS = (Kind.REPORT, Kind.PROBE, Kind.STATUS)


@dataclass(frozen=True, slots=True)
class Classification:
    """What the pipeline makes of one post; ``problem`` is None unless it is a report, and then
    ``problems`` is its problem mix: the main one (``problem``) first, any other the post names, as
    weights that sum to one."""

    service: str | None
    is_report: bool
    problem: str | None
    confidence: float
    problems: Mapping[str, float] = field(default_factory=dict)


NO_SERVICE = Classification(service=None, is_report=False, problem=None, confidence=0.0)


class TextPipeline:
    """Built once per process. ``classify`` is pure; ``signals`` remembers authors for dedup."""

    def __init__(self, catalog: Iterable[Service], model: TextModel, hash_key: str | bytes,
                 dedup_window_seconds: int = DEFAULT_WINDOW_SECONDS,
                 report_threshold: float = REPORT_THRESHOLD) -> None:
        if not hash_key:
            raise ValueError("hash_key must be a non-empty secret")
        self.matcher = ServiceMatcher(catalog)
        self.model = model
        self.gazetteer = Gazetteer.bundled()
        self.evidence = Evidence.bundled()
        self.report_threshold = report_threshold
        self._featurizer = model.featurizer()
        self._hash_key = hash_key.encode() if isinstance(hash_key, str) else hash_key
        self._dedup = Deduplicator(dedup_window_seconds)

    @classmethod
    def default(cls, catalog: Iterable[Service], hash_key: str | bytes,
                dedup_window_seconds: int = DEFAULT_WINDOW_SECONDS) -> TextPipeline:
        """The pipeline with the bundled model."""
        return cls(catalog, TextModel.load(), hash_key, dedup_window_seconds)

    def classify(self, texts: Sequence[str]) -> list[Classification]:
        """One Classification per text, in order; texts naming no service never reach the model.

        Identical texts in a batch (copy-paste floods, retweet-style duplicates) are classified once.
        """
        first: dict[str, int] = {}
        for text in texts:
            first.setdefault(text, len(first))
        if len(first) < len(texts):
            unique = self._classify_unique(list(first))
            return [unique[first[text]] for text in texts]
        return self._classify_unique(texts)

    def _classify_unique(self, texts: Sequence[str]) -> list[Classification]:
        results: list[Classification] = [NO_SERVICE] * len(texts)
        positions: list[int] = []
        services: list[str] = []
        masked: list[str] = []
        evident: list[bool] = []
        find = self.matcher.find
        for index, text in enumerate(texts):
            mentions = find(text)
            if not mentions:
                continue
            service = self.matcher.failing(text, mentions)
            positions.append(index)
            services.append(service)
            masked.append(masked_text(text, mentions, service, self.matcher.rules.context))
            evident.append(self.evidence.says_trouble(text.lower()))
        if not masked:
            return results
        probabilities, mixes = self.model.predict_mix(masked, self._featurizer)
        for index, service, probability, mix, trouble in zip(
                positions, services, probabilities, mixes, evident, strict=True):
            if not trouble:
                probability = min(float(probability), NO_EVIDENCE_CAP)
            is_report = bool(probability >= self.report_threshold)
            results[index] = Classification(service, is_report, next(iter(mix)) if is_report else None,
                                            round(float(probability), 4), mix if is_report else {})
        return results

    def signals(self, observations: Sequence[Observation]) -> list[Signal]:
        """The observations worth counting, as signals, in input order."""
        texts = [obs for obs in observations if obs.repost_of is None and not _structured(obs) and obs.text]
        verdicts = dict(zip((id(obs) for obs in texts), self.classify([obs.text or "" for obs in texts]),
                            strict=True))
        found: list[Signal] = []
        for obs in observations:
            if obs.repost_of is not None:
                continue
            if _structured(obs):
                signal = self._structured_signal(obs)
            else:
                verdict = verdicts.get(id(obs))
                if verdict is None or not verdict.is_report or verdict.service is None:
                    continue
                signal = self._post_signal(obs, verdict)
            if self._dedup.admit(obs.observed_at, signal.author_hash, signal.service):
                found.append(signal)
        return found

    def _hash(self, obs: Observation) -> str | None:
        return author_hash(self._hash_key, obs.source, obs.author) if obs.author else None

    def _post_signal(self, obs: Observation, verdict: Classification) -> Signal:
        text = obs.text or ""
        return Signal(
            service=verdict.service or "", kind=Kind.POST, problem=Problem(verdict.problem or "other"),
            observed_at=obs.observed_at, source=obs.source, external_id=obs.external_id,
            weight=verdict.confidence, location=self.gazetteer.locate(text, obs.location),
            author_hash=self._hash(obs),
            evidence={"text": text[:EVIDENCE_CHARS], "url": anonymous_link(obs.url, obs.author),
                      **({"problems": dict(verdict.problems)} if len(verdict.problems) > 1 else {})},
        )

    def _structured_signal(self, obs: Observation) -> Signal:
        evidence: dict[str, object] = {"url": anonymous_link(obs.url, obs.author)}
        if obs.text:
            evidence["text"] = obs.text[:EVIDENCE_CHARS]
        place = self.gazetteer.locate(obs.text, obs.location)
        return observation_signal(obs, author=self._hash(obs), location=place, evidence=evidence)


def anonymous_link(url: str | None, author: str | None) -> str | None:
    """The post's public link, unless it names its author (Mastodon's ``/@name/…``, Bluesky's DID):
    author ids are stored only as keyed hashes, so such a link is not stored at all."""
    if url is None or not author:
        return url
    folded = url.casefold()
    names = {author.casefold(), author.casefold().lstrip("@"), author.casefold().split("@")[0]}
    return None if any(name and name in folded for name in names) else url


def _structured(obs: Observation) -> bool:
    return obs.service is not None and obs.problem is not None and obs.kind in _STRUCTURED_KINDS

