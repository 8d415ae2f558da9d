"""Satisfaction surveys (满意度调查): scores 1–5 per dimension.

Rules: a survey carries at least one score (the error names ``score_overall``), and cannot have
been conducted in the future.
"""

from __future__ import annotations

from typing import Any

from ..domain.surveys import overall_score
from ..errors import ValidationError
from ..i18n import _
from ..models import SCORE_FIELDS
from . import records
from .context import AppContext
from .records import RuleContext, register_rule


@register_rule("survey")
def _at_least_one_score(rc: RuleContext) -> None:
    if rc.row is not None and not (set(SCORE_FIELDS) & set(rc.values)):
        return
    if all(rc.current(name) is None for name in SCORE_FIELDS):
        raise ValidationError("score_overall", _("Enter at least one score."))


@register_rule("survey")
def _not_in_future(rc: RuleContext) -> None:
    on = rc.values.get("conducted_on")
    if on is not None and on > rc.ctx.today():
        raise ValidationError("conducted_on", _("A survey cannot have been conducted in the future."))


def average_score(survey: dict[str, Any]) -> float | None:
    """The overall score if given, else the mean of the dimension scores."""
    return overall_score([survey.get(f) for f in SCORE_FIELDS])


def create_survey(ctx: AppContext, client_id: str, **values: Any) -> str:
    return records.create_record(ctx, "survey", values, client_id=client_id)


def update_survey(ctx: AppContext, survey_id: str, **values: Any) -> dict[str, Any]:
    return records.update_record(ctx, "survey", survey_id, values)


def delete_survey(ctx: AppContext, survey_id: str) -> bool:
    return records.delete_record(ctx, "survey", survey_id)


def list_surveys(ctx: AppContext, client_id: str) -> list[dict[str, Any]]:
    """The client's surveys, newest first."""
    return records.list_records(ctx, "survey", client_id, order_by="conducted_on", descending=True)
