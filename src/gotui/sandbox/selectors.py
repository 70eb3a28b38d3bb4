"""Label selectors (`a=b,c!=d,e in (x,y),f notin (z),g,!h`) and field selectors (`metadata.name=x`).

Parsing errors raise ApiError 400 BadRequest like the apiserver does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gotui.ops.selectors import SelectorError, parse_selector, selector_matches, split_top
from gotui.sandbox.errors import bad_request

Matcher = Callable[[dict], bool]

def _split_top(selector: str) -> list[str]:
    """Split on commas that are not inside parentheses (empty parts dropped)."""
    return [p for p in (s.strip() for s in split_top(selector)) if p]


def parse_label_selector(selector: str | None) -> Matcher | None:
    """A predicate on a labels dict, or None for an empty selector (the parser gotui itself uses)."""
    if not selector or not selector.strip():
        return None
    try:
        reqs = parse_selector(",".join(_split_top(selector)))
    except SelectorError as exc:
        raise bad_request(f"unable to parse requirement: {exc}") from None
    return lambda labels: selector_matches(reqs, labels)


def selector_from_match_labels(match_labels: dict[str, str] | None) -> str:
    """`a=b,c=d` from a matchLabels map."""
    return ",".join(f"{k}={v}" for k, v in sorted((match_labels or {}).items()))


def label_selector_string(selector: dict[str, Any] | None) -> str:
    """The string form of a LabelSelector (matchLabels and matchExpressions)."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = expr.get("operator")
        key = expr.get("key", "")
        values = ",".join(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def _get_path(obj: dict, path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


# Fields each resource supports in field selectors (besides metadata.name / metadata.namespace).
FIELD_SELECTABLE: dict[str, set[str]] = {
    "pods": {"status.phase", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
             "spec.serviceAccountName", "status.podIP", "status.nominatedNodeName", "spec.hostNetwork"},
    "events": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
               "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
               "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
    "secrets": {"type"},
    "namespaces": {"status.phase"},
    "replicasets": {"status.replicas"},
}


def _field_value(obj: dict, field: str) -> str:
    if field == "source":
        value = _get_path(obj, "source.component")
    else:
        value = _get_path(obj, field)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_field_selector(resource: str, selector: str | None) -> Matcher | None:
    """A predicate on a whole object, or None for an empty selector; unknown fields give 400."""
    if not selector or not selector.strip():
        return None
    reqs: list[Callable[[dict], bool]] = []
    allowed = {"metadata.name", "metadata.namespace"} | FIELD_SELECTABLE.get(resource, set())
    for part in _split_top(selector):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{part}'")
        field, op, value = m.groups()
        if field not in allowed:
            raise bad_request(f'field label not supported: {field}')
        reqs.append(_field_requirement(field, value, negate=op == "!="))
    return lambda o: all(r(o) for r in reqs)


def _field_requirement(field: str, value: str, *, negate: bool) -> Callable[[dict], bool]:
    if negate:
        return lambda o: _field_value(o, field) != value
    return lambda o: _field_value(o, field) == value


def name_from_field_selector(selector: str | None) -> str | None:
    """The name in a plain `metadata.name=NAME` selector (used to look up one object fast)."""
    if not selector:
        return None
    m = re.fullmatch(r"\s*metadata\.name\s*==?\s*([A-Za-z0-9_.-]+)\s*", selector)
    return m.group(1) if m else None
