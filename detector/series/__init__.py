"""A general, causal, univariate streaming anomaly scorer (any series: counts or not)."""

from detector.series.scorer import ScorerConfig, StreamingScorer, score_series

__all__ = ["ScorerConfig", "StreamingScorer", "score_series"]
