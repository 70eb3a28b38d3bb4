"""Label selectors (`app=go-api,tier!=db,env in (a,b),!legacy`) parsed and matched client-side."""

from __future__ import annotations

import re
from dataclasses import dataclass


class SelectorError(ValueError):
    """The selector text is malformed; the message says where."""


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op == "=":
            return labels.get(self.key) == self.values[0]
        if self.op == "!=":
            return labels.get(self.key) != self.values[0]
        if self.op == "in":
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values  # notin


_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"[-A-Za-z0-9_.]*"
_SET = re.compile(rf"\s*({_KEY})\s+(in|notin)\s*\(([^)]*)\)\s*")
_EQ = re.compile(rf"\s*({_KEY})\s*(==|=|!=)\s*({_VALUE})\s*")
_EXISTS = re.compile(rf"\s*(!?)\s*({_KEY})\s*")


def split_top(text: str) -> list[str]:
    """Split a selector on the commas that are not inside parentheses."""
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_selector(text: str) -> tuple[Requirement, ...]:
    """Parse a label selector; raises SelectorError on bad input. Empty text selects everything."""
    reqs: list[Requirement] = []
    if not text.strip():
        return ()
    for part in split_top(text):
        if not part.strip():
            raise SelectorError(f"empty requirement in selector {text!r}")
        if m := _SET.fullmatch(part):
            values = tuple(v.strip() for v in m.group(3).split(",") if v.strip())
            reqs.append(Requirement(m.group(1), m.group(2), values))
        elif m := _EQ.fullmatch(part):
            reqs.append(Requirement(m.group(1), "!=" if m.group(2) == "!=" else "=", (m.group(3),)))
        elif m := _EXISTS.fullmatch(part):
            reqs.append(Requirement(m.group(2), "!exists" if m.group(1) else "exists"))
        else:
            raise SelectorError(f"cannot parse {part.strip()!r} in selector {text!r} (try app=web,tier!=db)")
    return tuple(reqs)


def selector_matches(reqs: tuple[Requirement, ...], labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return all(r.matches(labels) for r in reqs)


def match_labels_selector(selector: dict | None) -> tuple[Requirement, ...]:
    """A Kubernetes LabelSelector object ({matchLabels, matchExpressions}) as requirements."""
    if not selector:
        return ()
    reqs = [Requirement(k, "=", (v,)) for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}.get(expr.get("operator", ""), "")
        if op:
            reqs.append(Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    return tuple(reqs)
