"""PI predictability (SAFe): business value achieved against business value committed.

Per team and for the train (``reports.objectives`` says what an objective is and when it is
achieved):

* ``planned_business_value``: Σ planned business value of the **committed** objectives;
* ``actual_business_value``: Σ actual business value of **all achieved** objectives, committed
  or not (so predictability above 100 % is possible);
* ``predictability_percent`` = 100 * actual / planned, one decimal (null when nothing
  committed carries a value); ``band``: ``"below"`` (< 80), ``"target"`` (80-100, SAFe's target
  band) or ``"above"`` (> 100);
* the companion from data alone: ``features_planned`` = features planned in the PI at the
  baseline (``reports.drift``), ``features_done`` = those done by the end of the PI in one of
  its iterations (carried-over features do not count), ``features_done_percent``.

Everything is read as of the PI's end or ``as_of``, whichever comes first. Rows: the train's
teams with objectives or baseline features, in name order, then unmapped (``team`` null);
the train row has ``team`` null and ``train`` true.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from reports.drift import DriftLayer, drift_with_analysis
from reports.header import build_header
from reports.objectives import Objective, ObjectivesLayer, read_objectives
from reports.plan import find_pi
from reports.state import TICK, ReportContext, StateReader
from reports.views import Finding, Header

BAND = (80.0, 100.0)
ON_TIME_CHANGES = ("as_planned", "moved_later", "moved_earlier")


@dataclass(frozen=True, slots=True)
class PredictabilityRow:
    team: str | None
    train: bool
    committed: int
    uncommitted: int
    achieved: int
    planned_business_value: float
    actual_business_value: float
    predictability_percent: float | None
    band: str | None
    features_planned: int
    features_done: int
    features_done_percent: float | None


@dataclass(frozen=True, slots=True)
class PredictabilityReport:
    header: Header
    timezone: str
    pi: str
    measured_at: datetime  # min(PI end, as_of)
    baseline_at: datetime
    rows: tuple[PredictabilityRow, ...]
    objectives: ObjectivesLayer
    hygiene: tuple[Finding, ...]


def predictability_report(
    session: Session,
    ctx: ReportContext,
    pi: str,
    baseline: str | None = None,
    parse_time: Callable[[str], datetime | None] | None = None,
) -> PredictabilityReport:
    header_reader = StateReader(session, ctx)
    info = find_pi(header_reader.train, pi)
    measured = min(ctx.as_of, info.end - TICK)
    at_end = replace(ctx, as_of=measured)
    objectives = read_objectives(StateReader(session, at_end), pi)
    drift, _ = drift_with_analysis(session, at_end, pi, baseline, parse_time)
    teams = {o.item.team for t in objectives.teams for o in t.objectives}
    teams |= {f.baseline_team for f in drift.features}
    named = sorted(t for t in teams if t is not None)
    rows = [_row(t, False, objectives, drift) for t in named]
    if None in teams:
        rows.append(_row(None, False, objectives, drift))
    rows.append(_row(None, True, objectives, drift))
    return PredictabilityReport(
        header=build_header(session, ctx, header_reader),
        timezone=header_reader.train.tz.key,
        pi=pi,
        measured_at=measured,
        baseline_at=drift.baseline.at,
        rows=tuple(rows),
        objectives=objectives,
        hygiene=objectives.findings,
    )


def _row(
    team: str | None, whole: bool, objectives: ObjectivesLayer, drift: DriftLayer
) -> PredictabilityRow:
    mine: list[Objective] = [
        o for t in objectives.teams for o in t.objectives if whole or o.item.team == team
    ]
    features = [f for f in drift.features if whole or f.baseline_team == team]
    planned = sum(o.business_value or 0.0 for o in mine if o.committed)
    actual = sum(o.actual_business_value or 0.0 for o in mine if o.achieved)
    percent = round(actual / planned * 100, 1) if planned else None
    done = sum(1 for f in features if f.done and f.change in ON_TIME_CHANGES)
    return PredictabilityRow(
        team=team,
        train=whole,
        committed=sum(1 for o in mine if o.committed),
        uncommitted=sum(1 for o in mine if not o.committed),
        achieved=sum(1 for o in mine if o.achieved),
        planned_business_value=planned,
        actual_business_value=actual,
        predictability_percent=percent,
        band=_band(percent),
        features_planned=len(features),
        features_done=done,
        features_done_percent=round(done / len(features) * 100, 1) if features else None,
    )


def _band(percent: float | None) -> str | None:
    if percent is None:
        return None
    low, high = BAND
    return "below" if percent < low else ("above" if percent > high else "target")
