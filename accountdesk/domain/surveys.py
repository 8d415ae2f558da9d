"""A satisfaction survey's overall score: one rule for health, the dashboard, the reports and the
survey records."""

from __future__ import annotations

from collections.abc import Sequence


def overall_score(scores: Sequence[float | None]) -> float | None:
    """The overall score of a survey from its scores in ``SCORE_FIELDS`` order (the overall one
    last): the overall score when given, else the mean of the scores given (``None``: none)."""
    if scores[-1] is not None:
        return float(scores[-1])
    given = [s for s in scores if s is not None]
    return sum(given) / len(given) if given else None


__all__ = ["overall_score"]
