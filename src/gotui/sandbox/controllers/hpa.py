"""HorizontalPodAutoscaler (autoscaling/v2) over a synthetic CPU load per Deployment.

Load model: each Deployment has a CPU *demand* in "percent of one pod's request" units; the average
utilization the HPA sees is demand / ready pods. In the `default` scenario the demand wanders slowly
(a seeded sine wave); in `quiet` it is constant. `set_cpu(ns, deploy, percent)` (the sandbox-only
endpoint POST /sandbox/v1/cpu) pins the demand so that the utilization at the current ready pod count
is `percent`; scaling out then lowers the utilization, as real load would.

Algorithm (pkg/controller/podautoscaler/horizontal.go, replica_calculator.go): ratio = utilization /
target; |ratio - 1| <= 0.1 -> no change; else desired = ceil(ratio x ready pods); scale up at most to
max(4, 2 x current) per pass; scale down takes the highest recommendation of the stabilization window;
clamp to [minReplicas, maxReplicas]; write the target's spec.replicas as /scale does.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .util import fast_copy, iso, pod_is_ready, selector_matches

if TYPE_CHECKING:
    from .manager import ControllerManager

TOLERANCE = 0.1
METRIC_TEXT = "cpu resource utilization (percentage of request)"


def desired_replicas(ready_pods: int, utilization: float, target: float, tolerance: float = TOLERANCE) -> int:
    """The HPA's raw recommendation: unchanged within tolerance, else ceil(ratio x ready pods)."""
    if ready_pods <= 0 or target <= 0:
        return ready_pods
    ratio = utilization / target
    if abs(ratio - 1.0) <= tolerance:
        return ready_pods
    return int(math.ceil(ratio * ready_pods - 1e-9))


def clamp_replicas(desired: int, current: int, min_replicas: int, max_replicas: int) -> tuple[int, str, str]:
    """Apply the scale-up rate limit and [min, max]; returns (replicas, ScalingLimited reason, message)."""
    up_limit = max(4, 2 * current)
    if desired > up_limit and up_limit < max_replicas:
        return up_limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
    if desired > max_replicas:
        return max_replicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
    if desired < min_replicas:
        return min_replicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


@dataclass
class Load:
    """Synthetic CPU demand of one Deployment (percent of one pod's request, summed over pods)."""

    base: float
    amplitude: float
    period: float
    phase: float
    pinned: float | None = None

    def demand(self, t: float, wander: bool) -> float:
        if self.pinned is not None:
            return self.pinned
        if not wander:
            return self.base
        return max(self.base * (1 + self.amplitude * math.sin(2 * math.pi * t / self.period + self.phase)), 0.0)


@dataclass
class HPAState:
    recommendations: list[tuple[float, int]] = field(default_factory=list)


class HPAController:
    """Runs the HPA algorithm for every HPA every `interval` seconds."""

    def __init__(self, mgr: ControllerManager, *, interval: float = 2.0, downscale_window: float = 20.0) -> None:
        self.mgr = mgr
        self.interval = interval
        self.downscale_window = downscale_window
        self.wander = True
        self.loads: dict[tuple[str, str], Load] = {}
        self.states: dict[str, HPAState] = {}

    # ---- load ---------------------------------------------------------------------------------
    def load_for(self, namespace: str, deployment: str, replicas: int = 3) -> Load:
        key = (namespace, deployment)
        load = self.loads.get(key)
        if load is None:
            rng = random.Random(f"{self.mgr.seed}:{namespace}/{deployment}")
            util = 55 + rng.random() * 8 if self.wander else 55.0  # % at the initial size: no scaling at first
            load = Load(base=util * max(replicas, 1), amplitude=0.2 + rng.random() * 0.15,
                        period=90 + rng.random() * 120, phase=rng.random() * 2 * math.pi)
            self.loads[key] = load
        return load

    def set_cpu(self, namespace: str, deployment: str, percent: float) -> dict:
        """Pin a Deployment's CPU so its current average utilization is `percent`."""
        dep = self.mgr.store.get("deployments", namespace, deployment)
        ready = self._ready_pods(dep) if dep is not None else 0
        if ready <= 0:
            ready = int(((dep or {}).get("spec") or {}).get("replicas") or 1)
        load = self.load_for(namespace, deployment, ready)
        load.pinned = float(percent) * ready
        return {"namespace": namespace, "deployment": deployment, "percent": float(percent), "readyPods": ready,
                "demand": load.pinned}

    def utilization(self, namespace: str, deployment: str, ready: int) -> float:
        """Current average CPU utilization (percent of request) of a Deployment's ready pods."""
        dep = self.mgr.store.get("deployments", namespace, deployment)
        replicas = int(((dep or {}).get("spec") or {}).get("replicas") or 1)
        load = self.load_for(namespace, deployment, replicas)
        t = self.mgr.clock() - self.mgr.started_at
        return load.demand(t, self.wander) / max(ready, 1)

    def _ready_pods(self, dep: dict) -> int:
        selector = (dep.get("spec") or {}).get("selector")
        pods = self.mgr.pods_in(dep["metadata"].get("namespace", ""))
        return sum(1 for p in pods if selector_matches(selector, p["metadata"].get("labels")) and pod_is_ready(p))

    # ---- reconcile ----------------------------------------------------------------------------
    def run_once(self) -> int:
        """One pass over all HPAs; returns writes made."""
        hpas, _ = self.mgr.store.list("horizontalpodautoscalers")
        writes = 0
        for hpa in hpas:
            try:
                writes += self.reconcile(hpa)
            except Exception:  # noqa: BLE001
                self.mgr.log_exception(f"hpa {hpa['metadata'].get('name')}")
        return writes

    def reconcile(self, hpa: dict) -> int:
        now = self.mgr.clock()
        meta, spec = hpa["metadata"], hpa.get("spec") or {}
        ns = meta.get("namespace")
        ref = spec.get("scaleTargetRef") or {}
        min_r = int(spec.get("minReplicas") or 1)
        max_r = int(spec.get("maxReplicas") or 1)
        target = self._target_utilization(spec)
        old_status = hpa.get("status") or {}
        conds = [dict(c) for c in old_status.get("conditions") or []]
        dep = self.mgr.store.get("deployments", ns, ref.get("name", "")) if ref.get("kind") == "Deployment" else None
        status = {k: v for k, v in old_status.items() if k in ("lastScaleTime",)}
        status["observedGeneration"] = meta.get("generation", 1)
        writes = 0
        if dep is None:
            conds = _cond(conds, "AbleToScale", "False", "FailedGetScale",
                          f'the HPA controller was unable to get the target\'s current scale: deployments.apps '
                          f'"{ref.get("name")}" not found', now)
            status.update(currentReplicas=0, desiredReplicas=0, conditions=conds)
            return self._write(hpa, status)
        current = int((dep.get("spec") or {}).get("replicas") or 0)
        ready = self._ready_pods(dep)
        status["currentReplicas"] = current
        if current == 0 and min_r > 0:
            conds = _cond(conds, "ScalingActive", "False", "ScalingDisabled",
                          "scaling is disabled since the replica count of the target is zero", now)
            status.update(desiredReplicas=0, conditions=conds)
            return self._write(hpa, status)
        if target is None or ready == 0:
            conds = _cond(conds, "AbleToScale", "True", "SucceededGetScale",
                          "the HPA controller was able to get the target's current scale", now)
            conds = _cond(conds, "ScalingActive", "False", "FailedGetResourceMetric",
                          "the HPA was unable to compute the replica count: did not receive metrics for "
                          "targeted pods (pods might be unready)", now)
            desired = min(max(current, min_r), max_r)
            status.update(desiredReplicas=desired, conditions=conds)
            if desired != current:
                writes += self._scale(dep, hpa, current, desired, now, status, "")
            return writes + self._write(hpa, status)
        util = self.utilization(ns, dep["metadata"]["name"], ready)
        raw = desired_replicas(ready, util, target)
        unready = max(current - ready, 0)
        if raw > ready and unready:
            # scale up: unready pods count as 0 % usage; a flip or a landing in tolerance means no change
            ratio = (util * ready / (ready + unready)) / target
            if ratio <= 1.0 + TOLERANCE:
                raw = ready
        if raw == ready:
            raw = current  # within tolerance: keep the current scale
        # scale-down stabilization: the highest recommendation inside the window
        st = self.states.get(meta.get("uid", ""))
        if st is None:  # start as if the current size had been recommended (no scale-down right away)
            st = self.states[meta.get("uid", "")] = HPAState([(now, current)])
        st.recommendations = [(t, r) for t, r in st.recommendations if now - t <= self.downscale_window]
        st.recommendations.append((now, raw))
        stabilized = raw
        able = ("ReadyForNewScale", "recommended size matches current size")
        if raw < current:
            stabilized = max(r for _, r in st.recommendations)
            if stabilized > raw:
                able = ("ScaleDownStabilized",
                        "recent recommendations were higher than current one, applying the highest recent "
                        "recommendation")
        desired, limited_reason, limited_msg = clamp_replicas(stabilized, current, min_r, max_r)
        conds = _cond(conds, "ScalingActive", "True", "ValidMetricFound",
                      f"the HPA was able to successfully calculate a replica count from {METRIC_TEXT}", now)
        conds = _cond(conds, "ScalingLimited", "False" if limited_reason == "DesiredWithinRange" else "True",
                      limited_reason, limited_msg, now)
        request_m = _cpu_request_millis(dep)
        status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": int(round(util)),
            "averageValue": f"{int(round(util * request_m / 100))}m",
        }}}]
        status["desiredReplicas"] = desired
        if desired != current:
            reason = f"{METRIC_TEXT} above target" if desired > current else "All metrics below target"
            writes += self._scale(dep, hpa, current, desired, now, status, reason)
            able = ("SucceededRescale", f"the HPA controller was able to update the target scale to {desired}")
        conds = _cond(conds, "AbleToScale", "True", able[0], able[1], now)
        # upstream order: AbleToScale, ScalingActive, ScalingLimited
        order = {"AbleToScale": 0, "ScalingActive": 1, "ScalingLimited": 2}
        conds.sort(key=lambda c: order.get(c.get("type", ""), 9))
        status["conditions"] = conds
        return writes + self._write(hpa, status)

    @staticmethod
    def _target_utilization(spec: dict) -> float | None:
        for m in spec.get("metrics") or []:
            if m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu":
                t = (m["resource"].get("target") or {})
                if t.get("averageUtilization") is not None:
                    return float(t["averageUtilization"])
        if not spec.get("metrics"):
            return 80.0  # the autoscaling/v1 default
        return None

    def _scale(self, dep: dict, hpa: dict, current: int, desired: int, now: float, status: dict, reason: str) -> int:
        obj = fast_copy(dep)
        obj["spec"]["replicas"] = desired
        self.mgr.store.update("deployments", obj, check_rv=False)
        status["lastScaleTime"] = iso(now)
        status["currentReplicas"] = current
        msg = f"New size: {desired}; reason: {reason}" if reason else f"New size: {desired}; reason: Current number of replicas below Spec.MinReplicas"
        self.mgr.events.record(hpa, "Normal", "SuccessfulRescale", msg, kind="HorizontalPodAutoscaler",
                               api_version="autoscaling/v2")
        return 1

    def _write(self, hpa: dict, status: dict) -> int:
        if (hpa.get("status") or {}) == status:
            return 0
        obj = fast_copy(hpa)
        obj["status"] = status
        self.mgr.store.update_status("horizontalpodautoscalers", obj)
        return 1


def _cond(conds: list[dict], ctype: str, status: str, reason: str, message: str, now: float) -> list[dict]:
    old = next((c for c in conds if c.get("type") == ctype), None)
    new = {"type": ctype, "status": status, "lastTransitionTime": iso(now), "reason": reason, "message": message}
    if old is not None and old.get("status") == status:
        new["lastTransitionTime"] = old.get("lastTransitionTime", new["lastTransitionTime"])
    out = [new if c.get("type") == ctype else c for c in conds]
    if old is None:
        out.append(new)
    return out


def _cpu_request_millis(dep: dict) -> int:
    total = 0
    for c in (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []:
        q = str(((c.get("resources") or {}).get("requests") or {}).get("cpu") or "")
        if q.endswith("m"):
            total += int(float(q[:-1] or 0))
        elif q:
            try:
                total += int(float(q) * 1000)
            except ValueError:
                pass
    return total or 100
