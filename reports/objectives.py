"""PI objectives as the trackers state them, per team of the train.

An objective is a stored item the connector marked ``objective`` (a configured Jira issue type
or label, a GitHub label), with ``business_value`` (planned, 1-10), ``actual_business_value``
(1-10, set by the business owners at the end of the PI) and ``committed`` (false: an
uncommitted objective, by label or field). The values are as the tracker states them now:
business values have no history, so ``--as-of`` moves only status and iteration.

* An objective **belongs to a PI** when its planned iteration lies in the PI; an objective in
  no iteration belongs to the PI its creation falls in, and one created during a PI's IP
  iteration (where PI planning happens) to the PI after it.
* **Achieved**: done (status category) at ``as_of``.
* A business value outside 1-10 is ignored (counted as missing) and reported as a finding
  (``business_value_out_of_range``); so are committed objectives without a planned value
  (``objective_without_business_value``) and achieved ones without an actual value
  (``achieved_without_actual_value``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from model.tables import WorkItem
from reports.plan import find_pi
from reports.render import item_dict
from reports.state import IterationInfo, ReportContext, StateReader, TrainInfo
from reports.views import Finding, ItemView

BV_RANGE = (1.0, 10.0)


@dataclass(frozen=True, slots=True)
class Objective:
    item: ItemView
    committed: bool
    business_value: float | None  # planned; None: missing or out of range
    actual_business_value: float | None
    achieved: bool


@dataclass(frozen=True, slots=True)
class TeamObjectives:
    team: str | None  # None: unmapped
    objectives: tuple[Objective, ...]


@dataclass(frozen=True, slots=True)
class ObjectivesLayer:
    """Each team's objectives in the PI (the board's objectives layer)."""

    pi: str
    teams: tuple[TeamObjectives, ...]
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        return objectives_layer_dict(self)


def objectives_layer(session: Session, ctx: ReportContext, pi: str) -> ObjectivesLayer:
    return read_objectives(StateReader(session, ctx), pi)


def read_objectives(reader: StateReader, pi: str) -> ObjectivesLayer:
    """The PI's objectives as of the reader's T, grouped by team (train order, unmapped last)."""
    find_pi(reader.train, pi)
    query = select(
        WorkItem.id, WorkItem.business_value, WorkItem.actual_business_value, WorkItem.committed
    ).where(
        WorkItem.objective.is_(True),
        WorkItem.source_id.in_(sorted(reader.train_sources)),
        WorkItem.created_at <= reader.t,
    )
    values = {row[0]: row[1:] for row in reader.session.execute(query)}
    found: list[Objective] = []
    notes: list[Finding] = []
    for item_id, state in reader.states(list(values)).items():
        if state.outside or _pi_of(reader.train, state.iteration, state.row.created_at) != pi:
            continue
        planned, actual, committed = values[item_id]
        view = reader.view(state)
        objective = Objective(
            view, bool(committed), _bv(planned, view, notes), _bv(actual, view, notes), state.done
        )
        notes.extend(_findings(objective))
        found.append(objective)
    by_team: dict[str | None, list[Objective]] = {}
    for o in sorted(found, key=lambda o: (o.item.source, o.item.key)):
        by_team.setdefault(o.item.team, []).append(o)
    teams = sorted(by_team, key=lambda t: (t is None, t or ""))  # named teams, then unmapped
    return ObjectivesLayer(
        pi,
        tuple(TeamObjectives(t, tuple(by_team[t])) for t in teams),
        tuple(sorted(notes, key=lambda f: (f.kind, f.refs))),
    )


def _pi_of(train: TrainInfo, iteration: IterationInfo | None, created: datetime) -> str | None:
    if iteration is not None:
        return iteration.pi
    for n, pi in enumerate(train.pis):
        if pi.start <= created < pi.end:
            ip = next((it for it in pi.iterations if it.is_ip), None)
            if ip is not None and ip.start <= created and n + 1 < len(train.pis):
                return train.pis[n + 1].name
            return pi.name
    return None


def _bv(value: float | None, view: ItemView, notes: list[Finding]) -> float | None:
    if value is None:
        return None
    low, high = BV_RANGE
    if low <= value <= high:
        return value
    notes.append(
        Finding(
            "business_value_out_of_range",
            f"{view.key} has business value {value:g}; use 1 to 10",
            (view.ref,),
        )
    )
    return None


def _findings(o: Objective) -> list[Finding]:
    key = o.item.key
    found: list[Finding] = []
    if o.committed and o.business_value is None:
        found.append(
            Finding(
                "objective_without_business_value",
                f"{key} is a committed objective without a planned business value",
                (o.item.ref,),
            )
        )
    if o.achieved and o.actual_business_value is None:
        found.append(
            Finding(
                "achieved_without_actual_value",
                f"{key} is achieved but has no actual business value yet",
                (o.item.ref,),
            )
        )
    return found


# -- the layer as JSON ---------------------------------------------------------------------


def objective_dict(o: Objective) -> dict[str, Any]:
    return {
        "item": item_dict(o.item),
        "committed": o.committed,
        "business_value": o.business_value,
        "actual_business_value": o.actual_business_value,
        "achieved": o.achieved,
    }


def objectives_layer_dict(layer: ObjectivesLayer) -> dict[str, Any]:
    return {
        "pi": layer.pi,
        "teams": [
            {"team": t.team, "objectives": [objective_dict(o) for o in t.objectives]}
            for t in layer.teams
        ],
    }
