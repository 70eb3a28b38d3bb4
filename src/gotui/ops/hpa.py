"""HorizontalPodAutoscaler (autoscaling/v2) maths and text: metrics, conditions, the next desired
replica count by the HPA formula with its 10% tolerance, and the min/max edit operation."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, cast

from gotui.config import Settings
from gotui.ops import safety
from gotui.ops.actions import Action
from gotui.ops.kube_text import parse_time

TOLERANCE = 0.1


def next_desired(current_replicas: int, current_metric: float, target: float, min_r: int, max_r: int,
                 tolerance: float = TOLERANCE) -> int:
    """desired = ceil(current × metric / target), unchanged when |ratio − 1| <= tolerance, clamped."""
    if current_replicas <= 0:
        return max(min_r, 0) if current_replicas == 0 else min_r
    if target <= 0:
        return max(min_r, min(max_r, current_replicas))
    ratio = current_metric / target
    if abs(ratio - 1.0) <= tolerance:
        desired = current_replicas
    else:
        desired = math.ceil(ratio * current_replicas - 1e-9)
    return max(min_r, min(max_r, desired))


@dataclass(frozen=True)
class MetricView:
    name: str  # "cpu", "memory", or the metric's name
    current: float | None
    target: float | None
    unit: str  # "%" for utilization, "" for values

    @property
    def text(self) -> str:
        cur = "<unknown>" if self.current is None else f"{_num(self.current)}{self.unit}"
        tgt = "?" if self.target is None else f"{_num(self.target)}{self.unit}"
        return f"{self.name}: {cur}/{tgt}"


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _quantity(value: Any) -> float | None:
    """A Kubernetes quantity string (`250m`, `1`, `64Mi`) as a float."""
    if value is None:
        return None
    text = str(value)
    suffixes = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}
    for suf in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suf):
            try:
                return float(text[: -len(suf)]) * suffixes[suf]
            except ValueError:
                return None
    try:
        return float(text)
    except ValueError:
        return None


def _target_of(target: dict) -> tuple[float | None, str]:
    if target.get("averageUtilization") is not None:
        return float(target["averageUtilization"]), "%"
    for field in ("averageValue", "value"):
        if target.get(field) is not None:
            return _quantity(target[field]), ""
    return None, ""


def metrics(hpa: dict) -> list[MetricView]:
    """Each spec metric with its current value from status (`cpu: 75%/70%`)."""
    spec = hpa.get("spec") or {}
    status = hpa.get("status") or {}
    current_by_name: dict[tuple[str, str], dict] = {}
    for cm in status.get("currentMetrics") or []:
        mtype = cm.get("type", "")
        body = cm.get(_field(mtype)) or {}
        name = (body.get("name") or (body.get("metric") or {}).get("name") or "")
        current_by_name[(mtype, name)] = body.get("current") or {}
    out = []
    for m in spec.get("metrics") or []:
        mtype = m.get("type", "")
        body = m.get(_field(mtype)) or {}
        name = body.get("name") or (body.get("metric") or {}).get("name") or mtype.lower()
        target, unit = _target_of(body.get("target") or {})
        cur_body = current_by_name.get((mtype, name), {})
        if unit == "%":
            cur = cur_body.get("averageUtilization")
            current = float(cur) if cur is not None else None
        else:
            current = _quantity(cur_body.get("averageValue", cur_body.get("value")))
        out.append(MetricView(name, current, target, unit))
    return out


def _field(mtype: str) -> str:
    return {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
            "Object": "object", "External": "external"}.get(mtype, mtype[:1].lower() + mtype[1:])


@dataclass(frozen=True)
class HpaView:
    namespace: str
    name: str
    target_kind: str
    target_name: str
    min_replicas: int
    max_replicas: int
    current: int
    desired: int
    metrics: tuple[MetricView, ...]
    conditions: tuple[tuple[str, str, str, str], ...]  # (type, status, reason, message)
    last_scale: float | None
    next_desired: int | None
    min_before: int | None = None  # minReplicas before a gotui scale-up raised it (its annotation)

    @property
    def raised_from(self) -> int | None:
        """The minimum a gotui scale-up raised (its recorded old value) while it still differs, else None."""
        return self.min_before if self.min_before is not None and self.min_before != self.min_replicas else None

    @property
    def at_max(self) -> bool:
        return self.current >= self.max_replicas

    @property
    def limited(self) -> tuple[str, str] | None:
        """(reason, message) when ScalingLimited is True."""
        for ctype, status, reason, message in self.conditions:
            if ctype == "ScalingLimited" and status == "True":
                return reason, message
        return None

    @property
    def cpu(self) -> float | None:
        for m in self.metrics:
            if m.name == "cpu" and m.unit == "%":
                return m.current
        return None


def hpa_view(hpa: dict) -> HpaView:
    """Everything the HPA pane shows for one raw HPA."""
    meta = hpa.get("metadata") or {}
    spec = hpa.get("spec") or {}
    status = hpa.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    min_r = int(spec.get("minReplicas") or 1)
    max_r = int(spec.get("maxReplicas") or min_r)
    current = int(status.get("currentReplicas") or 0)
    ms = tuple(metrics(hpa))
    proposals = [
        next_desired(current, m.current, m.target, min_r, max_r)
        for m in ms
        if m.current is not None and m.target
    ]
    nxt = max(proposals) if proposals else None
    conds = tuple(
        (c.get("type", ""), c.get("status", ""), c.get("reason", ""), c.get("message", ""))
        for c in status.get("conditions") or []
    )
    return HpaView(
        namespace=meta.get("namespace") or "",
        name=meta.get("name") or "",
        target_kind=ref.get("kind", ""),
        target_name=ref.get("name", ""),
        min_replicas=min_r,
        max_replicas=max_r,
        current=current,
        desired=int(status.get("desiredReplicas") or 0),
        metrics=ms,
        conditions=conds,
        last_scale=parse_time(status.get("lastScaleTime")),
        next_desired=nxt,
        min_before=_min_before(meta),
    )


def _min_before(meta: dict) -> int | None:
    from gotui.ops.scale_up import ANN_MIN_BEFORE

    raw = (meta.get("annotations") or {}).get(ANN_MIN_BEFORE)
    try:
        value = int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
    return value if value is not None and value >= 1 else None


def validate_min_max(min_r: int, max_r: int) -> str | None:
    """An error message when min/max are not a valid pair, else None."""
    if min_r < 1:
        return "min replicas must be at least 1"
    if max_r < min_r:
        return f"max replicas ({max_r}) must be >= min replicas ({min_r})"
    if max_r > 1000:
        return "max replicas above 1000 is almost certainly a typo"
    return None


def edit_min_max_action(namespace: str, name: str, context: str | None, old: tuple[int, int],
                        new: tuple[int, int], *, min_before: int | None = None) -> Action:
    """Set min/max. With `min_before` (a gotui scale-up raised the minimum from it), the edit also drops
    that record: the operator has now decided the minimum."""
    from gotui.ops.scale_up import ANN_MIN_BEFORE

    body = _limits_body(new, ANN_MIN_BEFORE if min_before is not None else None)
    detail = f"min {old[0]} -> {new[0]}, max {old[1]} -> {new[1]}"
    if min_before is not None:
        detail += f" (min was {min_before} before gotui's scale-up; that record is dropped)"
    return Action(
        verb="scale-limits",
        kind="hpa",
        target=name,
        namespace=namespace,
        context=context,
        preview=f"kubectl --context {context} -n {namespace} patch hpa {name} --type merge -p '{json.dumps(body)}'",
        destructive=True,
        reversible=True,
        detail=detail,
        rbac=("patch", "horizontalpodautoscalers", "autoscaling"),
        params={"min": new[0], "max": new[1], "body": body},
    )


def _limits_body(new: tuple[int, int], drop_annotation: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"spec": {"minReplicas": new[0], "maxReplicas": new[1]}}
    if drop_annotation:
        body["metadata"] = {"annotations": {drop_annotation: None}}
    return body


def edit_min_max(api_client: Any, action: Action, settings: Settings) -> str:
    """Patch the HPA's minReplicas/maxReplicas (refused in read-only mode)."""
    safety.require_allowed(action, settings)
    min_r, max_r = int(action.params["min"]), int(action.params["max"])
    problem = validate_min_max(min_r, max_r)
    if problem:
        raise ValueError(problem)
    from gotui.kube.client import MERGE_PATCH, finish, request
    from gotui.sources.kube_wire import object_path

    body = action.params.get("body") or _limits_body((min_r, max_r), None)
    path = object_path("horizontalpodautoscalers", cast(str, action.namespace), action.target)
    finish(request(api_client, "PATCH", path, body=body, content_type=MERGE_PATCH, timeout=15))  # the preview's --type merge
    return f"HPA {action.namespace}/{action.target}: min {min_r}, max {max_r}"


# -- jump to the target's pods ------------------------------------------------------------------
def selector_text(selector: dict | None) -> str:
    """A LabelSelector ({matchLabels, matchExpressions}) as `-l` text (`app=x,tier in (a,b),!old`)."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
        if op in ("In", "NotIn"):
            parts.append(f"{key} {op.lower()} ({','.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


