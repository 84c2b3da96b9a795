"""PI drift: how the plan at the baseline and the train at ``as_of`` differ.

The baseline is a :class:`reports.plan.Plan` (stored, or reconstructed from history); the
current side is the plan at ``as_of`` read the same way. Each feature planned in the PI at the
baseline gets one ``change`` (JSON ``features[].change``):

* ``as_planned``: still in the PI, in the same iteration;
* ``moved_later`` / ``moved_earlier``: still in the PI, in another iteration;
  ``iterations_moved`` = now - then (positive = later);
* ``carried_over``: now planned in a later PI (moved or split into the next PI; done there
  counts as carried over, never as done on time);
* ``removed``: back in the backlog (planned in no iteration; also a PI before this one);
* ``left_train``: no longer a train item (deleted, out of scope, moved to an unsynced place).

``done`` says whether the feature is done at ``as_of``; ``done_on_time`` whether it is done in
its baseline iteration or earlier (``as_planned`` or ``moved_earlier``, and done).

Beside the features: ``added`` (features in the PI now that were not at the baseline; with
``created_after_baseline``), ``dependencies_added`` (open now, touching a planned feature, not
in the baseline and added after it), ``turned_red`` (dependencies green at the baseline and red
now). ``summary`` counts each list and change. The JSON document (``reports.plan_render``)
carries the usual header and hygiene, plus ``"report": "drift"``, ``"pi"``, ``"baseline":
{"name": str|null, "kind": "stored"|"reconstructed", "at": iso}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from reports.baseline import BaselineChoiceError, choose_baseline
from reports.header import build_header
from reports.hygiene import findings
from reports.pairs import Analysis
from reports.plan import Plan, PlannedDependency, PlannedItem, plan_with_analysis
from reports.render import item_dict
from reports.state import ReportContext, StateReader, TrainInfo, load_train
from reports.views import Finding, Header, ItemView, iso

CHANGES = ("as_planned", "moved_later", "moved_earlier", "carried_over", "removed", "left_train")


@dataclass(frozen=True, slots=True)
class BaselineInfo:
    name: str | None
    kind: str  # "stored" | "reconstructed"
    at: datetime


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    item: ItemView  # as it stands now (as at the baseline when it left the train)
    baseline_iteration: str
    baseline_team: str | None
    change: str
    iterations_moved: int | None
    done: bool
    done_on_time: bool


@dataclass(frozen=True, slots=True)
class AddedFeature:
    item: ItemView
    created_after_baseline: bool


@dataclass(frozen=True, slots=True)
class DependencyChange:
    blocker: ItemView
    blocked: ItemView
    created_at: datetime
    baseline_health: str | None
    health: str


@dataclass(frozen=True, slots=True)
class DriftLayer:
    """What the board's drift layer and the drift report share (no header)."""

    pi: str
    baseline: BaselineInfo
    features: tuple[FeatureDrift, ...]
    added: tuple[AddedFeature, ...]
    dependencies_added: tuple[DependencyChange, ...]
    turned_red: tuple[DependencyChange, ...]

    def summary(self) -> dict[str, int]:
        counts = {c: sum(1 for f in self.features if f.change == c) for c in CHANGES}
        return {
            "planned": len(self.features),
            **counts,
            "done": sum(1 for f in self.features if f.done),
            "done_on_time": sum(1 for f in self.features if f.done_on_time),
            "added": len(self.added),
            "dependencies_added": len(self.dependencies_added),
            "turned_red": len(self.turned_red),
        }

    def to_dict(self) -> dict[str, Any]:
        return drift_layer_dict(self)


@dataclass(frozen=True, slots=True)
class DriftReport:
    header: Header
    timezone: str
    layer: DriftLayer
    hygiene: tuple[Finding, ...]


def drift_layer(
    session: Session, ctx: ReportContext, pi: str, baseline: str | None = None
) -> DriftLayer:
    """The board's drift layer: drift of ``pi`` from its baseline (default one without
    ``baseline``; a name or instant as ``--baseline`` takes) as of ``ctx.as_of``."""
    layer, _ = drift_with_analysis(session, ctx, pi, baseline, None)
    return layer


def drift_report(
    session: Session,
    ctx: ReportContext,
    pi: str,
    baseline: str | None = None,
    parse_time: Callable[[str], datetime | None] | None = None,
) -> DriftReport:
    """The drift report; ``parse_time`` reads a ``--baseline`` that is a time (None: names
    only)."""
    layer, analysis = drift_with_analysis(session, ctx, pi, baseline, parse_time)
    reader = StateReader(session, ctx)
    return DriftReport(
        build_header(session, ctx, reader), reader.train.tz.key, layer, findings(analysis)
    )


def drift_with_analysis(
    session: Session,
    ctx: ReportContext,
    pi: str,
    spec: str | None,
    parse_time: Callable[[str], datetime | None] | None,
    shared: Analysis | None = None,
) -> tuple[DriftLayer, Analysis]:
    """The drift layer and the analysis of the current side (for its hygiene findings);
    ``shared``: the current side's analysis when the caller already has it (the board)."""
    parse = parse_time or _no_time
    base = choose_baseline(session, ctx, pi, spec, parse)
    if base.at > ctx.as_of:
        raise BaselineChoiceError(
            f"the baseline ({base.at.isoformat()}) is after --as-of {ctx.as_of.isoformat()}; "
            "drift compares a later state with an earlier plan"
        )
    now, analysis = plan_with_analysis(session, ctx, pi, ctx.as_of, base.items.keys(), shared)
    train = load_train(session, ctx.train)
    layer = DriftLayer(
        pi=pi,
        baseline=BaselineInfo(base.name, "stored" if base.name else "reconstructed", base.at),
        features=tuple(_feature(train, pi, b, now) for b in _ordered(base.items.values())),
        added=tuple(
            AddedFeature(p.item, p.created_at is not None and p.created_at > base.at)
            for p in _ordered(now.items.values())
            if p.ref not in base.items
        ),
        dependencies_added=tuple(_added_dependencies(base, now)),
        turned_red=tuple(_turned_red(base, now)),
    )
    return layer, analysis


def _no_time(_text: str) -> datetime | None:
    return None


def _ordered(items: Iterable[PlannedItem]) -> list[PlannedItem]:
    return sorted(items, key=lambda p: (p.seq or 0, p.item.team or "", p.item.source, p.item.key))


def _feature(train: TrainInfo, pi: str, then: PlannedItem, now: Plan) -> FeatureDrift:
    current = now.known.get(then.ref)
    seq = then.seq or 0
    if current is None or current.item.outside_train:
        item = then.item if current is None else current.item
        return FeatureDrift(item, then.item.iteration or "", then.item.team, "left_train",
                            None, False, False)  # fmt: skip
    done = current.item.status_category == "done"
    moved: int | None = None
    if current.pi == pi and current.seq is not None:
        moved = current.seq - seq
        change = "as_planned" if moved == 0 else ("moved_later" if moved > 0 else "moved_earlier")
    elif current.pi is not None and _later_pi(train, current.pi, pi):
        change = "carried_over"
    else:
        change = "removed"
    on_time = done and change in ("as_planned", "moved_earlier")
    return FeatureDrift(current.item, then.item.iteration or "", then.item.team, change, moved,
                        done, on_time)  # fmt: skip


def _later_pi(train: TrainInfo, name: str, than: str) -> bool:
    starts = {pi.name: pi.start for pi in train.pis}
    return name in starts and than in starts and starts[name] > starts[than]


def _added_dependencies(base: Plan, now: Plan) -> list[DependencyChange]:
    found = [
        _change(dep, None)
        for key, dep in now.dependencies.items()
        if key not in base.dependencies and dep.created_at > base.at
    ]
    return sorted(found, key=lambda d: (d.created_at, d.blocked.key, d.blocker.key))


def _turned_red(base: Plan, now: Plan) -> list[DependencyChange]:
    found = [
        _change(dep, base.dependencies[key].health)
        for key, dep in now.dependencies.items()
        if dep.health == "red"
        and key in base.dependencies
        and base.dependencies[key].health == "green"
    ]
    return sorted(found, key=lambda d: (d.created_at, d.blocked.key, d.blocker.key))


def _change(dep: PlannedDependency, baseline_health: str | None) -> DependencyChange:
    return DependencyChange(dep.blocker, dep.blocked, dep.created_at, baseline_health, dep.health)


# -- the layer as JSON (the board and ``report drift`` share it) ---------------------------


def _dependency(d: DependencyChange) -> dict[str, Any]:
    out: dict[str, Any] = {
        "blocker": item_dict(d.blocker),
        "blocked": item_dict(d.blocked),
        "created_at": iso(d.created_at),
    }
    if d.baseline_health is not None:
        out["baseline_health"] = d.baseline_health
    out["health"] = d.health
    return out


def drift_layer_dict(layer: DriftLayer) -> dict[str, Any]:
    return {
        "pi": layer.pi,
        "baseline": {
            "name": layer.baseline.name,
            "kind": layer.baseline.kind,
            "at": iso(layer.baseline.at),
        },
        "summary": layer.summary(),
        "features": [
            {
                "item": item_dict(f.item),
                "baseline_iteration": f.baseline_iteration,
                "baseline_team": f.baseline_team,
                "change": f.change,
                "iterations_moved": f.iterations_moved,
                "done": f.done,
                "done_on_time": f.done_on_time,
            }
            for f in layer.features
        ],
        "added": [
            {"item": item_dict(a.item), "created_after_baseline": a.created_after_baseline}
            for a in layer.added
        ],
        "dependencies_added": [_dependency(d) for d in layer.dependencies_added],
        "turned_red": [_dependency(d) for d in layer.turned_red],
    }
