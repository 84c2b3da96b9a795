"""The JQL subset the fake Jira understands, compiled to a predicate over a search row.

``project in (...)``/``=``, ``id``/``key in (...)``, ``updated``/``created`` with ``>= > <= < =``
against epoch-ms numbers *or* ``"yyyy-MM-dd HH:mm"`` / ``"yyyy/MM/dd HH:mm"`` / ``"yyyy-MM-dd"``
strings, which are read, like Jira, in the API user's timezone with minute precision;
``AND``/``OR``/parentheses; ``ORDER BY`` updated/created/key/id ASC|DESC.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


class JqlError(ValueError):
    pass


_TOKEN = re.compile(
    r'\s*(?:(?P<str>"[^"]*"|\'[^\']*\')|(?P<op>>=|<=|!=|>|<|=|\(|\)|,)|(?P<word>[\w.\-/:]+))'
)


def parse_jql(
    jql: str, tz: ZoneInfo, known_projects: set[str]
) -> tuple[Callable[[dict[str, Any]], bool], list[tuple[str, bool]]]:
    """Compile the subset into (predicate over a row, [(order field, ascending)])."""
    body, order = _split_order(jql)
    tokens = _tokens(body)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise JqlError("Error in the JQL Query: the query ended unexpectedly.")
        pos += 1
        return tokens[pos - 1]

    def expr() -> Callable[[dict[str, Any]], bool]:
        parts = [term()]
        while (peek() or "").upper() == "OR":
            take()
            parts.append(term())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def term() -> Callable[[dict[str, Any]], bool]:
        parts = [factor()]
        while (peek() or "").upper() == "AND":
            take()
            parts.append(factor())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def factor() -> Callable[[dict[str, Any]], bool]:
        if peek() == "(":
            take()
            inner = expr()
            if take() != ")":
                raise JqlError("Error in the JQL Query: expecting ')'.")
            return inner
        return clause()

    def clause() -> Callable[[dict[str, Any]], bool]:
        name = take().lower()
        name = {"issuekey": "key", "issue": "key"}.get(name, name)
        op = take().lower()
        negate = False
        if op == "not":
            negate, op = True, take().lower()
        if op == "in":
            if take() != "(":
                raise JqlError("Error in the JQL Query: expecting '(' after IN.")
            values = []
            while True:
                values.append(_unquote(take()))
                sep = take()
                if sep == ")":
                    break
                if sep != ",":
                    raise JqlError("Error in the JQL Query: expecting ',' or ')'.")
            return _membership(name, values, negate, known_projects)
        value = _unquote(take())
        if name in ("updated", "created"):
            moment = _date_literal(value, tz)
            return _compare(name, op, moment)
        if op in ("=", "!="):
            return _membership(name, [value], op == "!=", known_projects)
        raise JqlError(f"Error in the JQL Query: unsupported clause {name} {op}.")

    predicate = expr() if tokens else (lambda r: True)
    if pos != len(tokens):
        raise JqlError(f"Error in the JQL Query: unexpected {tokens[pos]!r}.")
    if not body.strip():
        raise JqlError(
            "Unbounded JQL queries are not allowed here. Please add a search restriction."
        )
    return predicate, order


def _split_order(jql: str) -> tuple[str, list[tuple[str, bool]]]:
    match = re.search(r"\border\s+by\b", jql, re.I)
    if not match:
        return jql, []
    order = []
    for part in jql[match.end() :].split(","):
        words = part.split()
        if not words:
            continue
        name = {"issuekey": "key"}.get(words[0].lower(), words[0].lower())
        if name not in ("updated", "created", "key", "id"):
            raise JqlError(f"Error in the JQL Query: cannot order by {words[0]}.")
        order.append((name, not (len(words) > 1 and words[1].upper() == "DESC")))
    return jql[: match.start()], order


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise JqlError(f"Error in the JQL Query: cannot read {text[pos : pos + 20]!r}.")
        tokens.append(match.group(match.lastgroup or "word"))
        pos = match.end()
    return tokens


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


def _date_literal(value: str, tz: ZoneInfo) -> int:
    """Epoch ms exactly; date strings in the user's timezone, minute precision (as Jira)."""
    if re.fullmatch(r"-?\d+", value):  # epoch ms, any size (Perceval asks "> 0")
        return int(value)
    for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            local = datetime.strptime(value, fmt)  # noqa: DTZ007 - zone applied below
        except ValueError:
            continue
        return int(local.replace(tzinfo=tz).timestamp() * 1000)
    raise JqlError(
        f"Error in the JQL Query: Date value '{value}' for field 'updated' is invalid. Valid "
        "formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'."
    )


def _compare(name: str, op: str, moment: int) -> Callable[[dict[str, Any]], bool]:
    ops: dict[str, Callable[[int, int], bool]] = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
    }
    if op not in ops:
        raise JqlError(f"Error in the JQL Query: unsupported operator {op!r}.")
    fn = ops[op]
    return lambda r: fn(r[name], moment)


def _membership(
    name: str, values: list[str], negate: bool, known_projects: set[str]
) -> Callable[[dict[str, Any]], bool]:
    if name == "project":
        for value in values:
            if value not in known_projects:
                raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
        wanted: set[Any] = set(values)
        return lambda r: (r["project"] in wanted) != negate
    if name == "id":
        ids = {int(v) for v in values}
        return lambda r: (r["id"] in ids) != negate
    if name == "key":
        keys = set(values)
        return lambda r: (r["key"] in keys) != negate
    raise JqlError(f"Error in the JQL Query: field '{name}' is not supported by the fake.")


def sort_key(row: dict[str, Any], order: list[tuple[str, bool]]) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, asc in order or [("key", False)]:
        value: Any = (row["project"], row["num"]) if name == "key" else row[name]
        if not asc:
            value = (-value[1],) if name == "key" else -value
        parts.append(value)
    return tuple(parts)
