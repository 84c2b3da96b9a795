"""The GitHub connector: the class the engine drives, composed of the layers above."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, ClassVar

from connectors.base import (
    Census,
    Page,
    SyncRequest,
)
from connectors.github.settings import (
    GitHubSettings,
)
from connectors.github.sweep import (
    DependencySweep,
)


class GitHubConnector(DependencySweep):
    """Yields pages of GitHub records; see the package docstring for how it reads."""

    kind: ClassVar[str] = "github"
    Settings: ClassVar[type[Any]] = GitHubSettings

    # -- the Protocol -------------------------------------------------------------------------

    def pages(self, request: SyncRequest) -> Iterator[Page]:
        self._connect()
        self._memo = dict(request.memo)
        self._reread = set()
        seen: set[str] = set()  # issues listed this run: not "vanished" for the sweep
        full_walk = request.since is None and request.until is None
        pages: Iterator[Page] = self._walk(request, seen, request.census and full_walk)
        if request.census and not full_walk:
            pages = itertools.chain(pages, self._census_walk())
        last: Page | None = None
        for page in pages:  # held back one page: the last census page says "complete"
            if last is not None:
                yield last
            last = page
        if request.census:
            if last is not None and last.census is not None:
                last.census = Census(last.census.tracker_ids, complete=True)
            else:
                if last is not None:
                    yield last
                last = Page(census=Census((), complete=True))
        if last is not None:
            yield last
        if request.mode == "incremental":  # the open lists every sync, the full sweep on time
            yield from self._sweep(request, seen, full=self._sweep_due(request, full_walk))
