"""Config sections that tune report rules: ``[dependencies]`` and ``[flow]``.

Checked by ``sync.config``'s loader like every section (unknown keys, wrong types); the values
a dataclass rejects here come back as one line naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass

SAME_ITERATION = ("amber", "red", "green")


@dataclass(frozen=True, slots=True)
class DependenciesConfig:
    """``same_iteration``: the health of a dependency whose ends share an iteration."""

    same_iteration: str = "amber"

    def __post_init__(self) -> None:
        if self.same_iteration not in SAME_ITERATION:
            raise ValueError(
                f"same_iteration: must be one of {', '.join(SAME_ITERATION)}, "
                f"got {self.same_iteration!r}"
            )


@dataclass(frozen=True, slots=True)
class FlowConfig:
    """The stalled rule: in progress, no meaningful activity for ``stalled_days``; changes by
    the ``bots`` accounts (tracker user names, logins or account ids) do not count."""

    stalled_days: float = 5.0
    bots: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.stalled_days <= 0:
            raise ValueError(f"stalled_days: must be more than 0, got {self.stalled_days}")
        if any(not bot.strip() for bot in self.bots):
            raise ValueError("bots: an empty account name matches nobody")
