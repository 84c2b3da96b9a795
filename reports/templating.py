"""The one Jinja2 set-up behind every report template (reports, PI reports, board, digest).

Templates come from the package; HTML is autoescaped (every tracker string is hostile input;
Markdown and text templates escape with their own filters); an undefined name is an error,
not an empty string. Callers cache the environment they build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


def environment(*, autoescape: bool, **filters: Callable[..., Any]) -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(filters)
    return env
