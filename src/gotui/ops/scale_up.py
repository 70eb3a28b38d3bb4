"""The optional SCALE step of a cutover: bring the target colour up to the live colour's replica count.

Why: an HPA scales an idle colour down to its `minReplicas` (the sandbox's blue after a cutover to green;
Flagger issue 1209: green starting at HPA minReplicas gets 500s under load). PREFLIGHT then refuses the
switch (target replicas < live replicas), which blocks the one-key rollback during an incident. When the
operator allows it, SCALE patches the target Deployment's `/scale` to the live count and, if an HPA
targets it with a lower `minReplicas`, raises that minimum too (otherwise the HPA scales it straight back
down), recording the original minimum in the annotation `gotui.dev/min-replicas-before` on the HPA.
Everything SCALE changed can be restored (`restore_patches`), conditional on nobody having changed it since.

Pure builders and checks here; `gotui.ops.cutover.Cutover` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gotui.ops.actions import Action
from gotui.ops.bluegreen import BlueGreenApp, ColorState
from gotui.ops.kube_io import KubeIO, escape_pointer

ANN_MIN_BEFORE = "gotui.dev/min-replicas-before"
# (verb, group, resource, subresource) the SCALE step needs; the HPA one only when it raises the minimum.
RBAC_SCALE = ("patch", "apps", "deployments", "scale")
RBAC_HPA = ("patch", "autoscaling", "horizontalpodautoscalers", "")


@dataclass(frozen=True)
class ScalePlan:
    """What SCALE will change: the target's replicas and, maybe, its HPA's minReplicas."""

    color: str
    deployment: str
    replicas_from: int
    replicas_to: int
    hpa: str | None = None  # the HPA targeting the Deployment, if any
    hpa_min_from: int | None = None
    hpa_min_to: int | None = None  # None: the HPA's minimum is already high enough
    hpa_max: int | None = None

    @property
    def raises_hpa(self) -> bool:
        return self.hpa is not None and self.hpa_min_to is not None

    def describe(self) -> str:
        """`will first scale green 2 → 3 (and raise its HPA minReplicas 2 → 3)`."""
        text = f"will first scale {self.color} {self.replicas_from} → {self.replicas_to}"
        if self.raises_hpa:
            text += f" (and raise its HPA minReplicas {self.hpa_min_from} → {self.hpa_min_to})"
        return text

    def problem(self) -> str | None:
        """Why this plan cannot be carried out (None: it can)."""
        if self.hpa is not None and self.hpa_max is not None and self.replicas_to > self.hpa_max:
            return (f"the HPA {self.hpa} allows at most {self.hpa_max} replicas of {self.deployment}, fewer than "
                    f"the {self.replicas_to} the live colour runs: raise its maxReplicas first.")
        return None


def hpa_for(hpas: list[dict[str, Any]], namespace: str, deployment: str) -> dict[str, Any] | None:
    """The HPA whose scaleTargetRef is the Deployment `namespace/deployment`, if any."""
    for h in hpas:
        meta = h.get("metadata") or {}
        ref = (h.get("spec") or {}).get("scaleTargetRef") or {}
        if meta.get("namespace") == namespace and ref.get("kind") == "Deployment" and ref.get("name") == deployment:
            return h
    return None


def plan_scale_up(app: BlueGreenApp, to_color: str, hpas: list[dict[str, Any]]) -> ScalePlan | None:
    """The SCALE plan for a cutover of `app` to `to_color`; None when the target already has at least the
    live colour's replicas (or one of the two colours is missing, or the target is scaled to zero — that
    is a deliberate scale-down, refused by the other checks)."""
    target, live = app.colors.get(to_color), app.live
    if target is None or live is None or to_color == app.live_color:
        return None
    if target.replicas >= live.replicas or target.replicas == 0:
        return None
    want = live.replicas
    hpa = hpa_for(hpas, app.namespace, target.deployment)
    if hpa is None:
        return ScalePlan(to_color, target.deployment, target.replicas, want)
    spec = hpa.get("spec") or {}
    min_r = int(spec.get("minReplicas") or 1)
    max_r = int(spec.get("maxReplicas") or min_r)
    return ScalePlan(to_color, target.deployment, target.replicas, want, hpa=(hpa.get("metadata") or {}).get("name"),
                     hpa_min_from=min_r, hpa_min_to=want if min_r < want else None, hpa_max=max_r)


def scale_up_action(namespace: str, plan: ScalePlan, context: str | None) -> Action:
    """The Action of the SCALE step (checked by `safety` in the ops layer: read-only refuses it)."""
    preview = f"kubectl -n {namespace} scale deployment/{plan.deployment} --replicas={plan.replicas_to}"
    if plan.raises_hpa:
        preview += (f" && kubectl -n {namespace} patch hpa {plan.hpa} --type merge -p "
                    f"'{{\"spec\":{{\"minReplicas\":{plan.hpa_min_to}}}}}'")
    return Action("scale-up", "deployment", plan.deployment, namespace, context, preview=preview, reversible=True,
                  detail=plan.describe(), rbac=("patch", "deployments", "apps"),
                  params={"replicas": plan.replicas_to, "before": plan.replicas_from})


# -- patches ----------------------------------------------------------------------------------------


def hpa_raise_patch(hpa: dict[str, Any], plan: ScalePlan) -> tuple[list[dict[str, Any]], bool]:
    """(JSON patch raising the HPA's minReplicas, whether it adds the min-replicas-before annotation).

    Conditional on the minimum read at planning time; an annotation left by an earlier scale-up is kept
    (it holds the true original)."""
    assert plan.hpa_min_to is not None
    meta = hpa.get("metadata") or {}
    ann = meta.get("annotations")
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": "/spec/minReplicas", "value": plan.hpa_min_from},
        {"op": "replace", "path": "/spec/minReplicas", "value": plan.hpa_min_to},
    ]
    if ann and ANN_MIN_BEFORE in ann:
        return ops, False
    if isinstance(ann, dict):
        ops.append({"op": "add", "path": "/metadata/annotations/" + escape_pointer(ANN_MIN_BEFORE),
                    "value": str(plan.hpa_min_from)})
    else:
        ops.append({"op": "add", "path": "/metadata/annotations", "value": {ANN_MIN_BEFORE: str(plan.hpa_min_from)}})
    return ops, True


def hpa_restore_patch(plan: ScalePlan, annotated: bool) -> list[dict[str, Any]]:
    """Put the HPA's minReplicas back (only if it is still what SCALE set) and drop our annotation."""
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": "/spec/minReplicas", "value": plan.hpa_min_to},
        {"op": "replace", "path": "/spec/minReplicas", "value": plan.hpa_min_from},
    ]
    if annotated:
        ops.append({"op": "remove", "path": "/metadata/annotations/" + escape_pointer(ANN_MIN_BEFORE)})
    return ops


def replicas_restore_patch(plan: ScalePlan) -> list[dict[str, Any]]:
    """Put the Deployment's replicas back through /scale (only if still what SCALE set)."""
    return [{"op": "test", "path": "/spec/replicas", "value": plan.replicas_to},
            {"op": "replace", "path": "/spec/replicas", "value": plan.replicas_from}]


# -- checks -----------------------------------------------------------------------------------------


def not_ready_yet(state: ColorState | None, want: int) -> str | None:
    """What the scaled colour still lacks (None: its rollout is complete at >= `want` replicas and every
    pod of its current ReplicaSet is Ready)."""
    if state is None:
        return "the Deployment is gone"
    if state.replicas < want:
        return f"spec.replicas is {state.replicas}, not {want} (scaled back down by someone?)"
    if not state.rollout_complete:
        return (f"rollout not complete (updated {state.updated}/{state.replicas}, available {state.available}, "
                f"generation {state.observed_generation}/{state.generation})")
    if state.unready_pods:
        return f"{len(state.unready_pods)} pod(s) not Ready ({', '.join(state.unready_pods[:3])})"
    if state.ready < state.replicas:
        return f"{state.ready}/{state.replicas} pods Ready"
    return None


def rbac_denials(io: KubeIO, namespace: str, plan: ScalePlan) -> list[str]:
    """Ask the API (SelfSubjectAccessReview) whether SCALE's patches are allowed; the reasons they are not.

    A review that cannot be made is not a denial: the real request answers then."""
    wanted = [RBAC_SCALE] + ([RBAC_HPA] if plan.raises_hpa else [])
    denials: list[str] = []
    for verb, group, resource, sub in wanted:
        try:
            allowed, reason = io.access_review(verb, resource, group, namespace, sub)
        except Exception:  # noqa: BLE001 - KubeError, urllib3 errors…: let the real request answer
            continue
        if not allowed:
            what = f"{group}/{resource}" + (f"/{sub}" if sub else "")
            denials.append(f"RBAC: you may not {verb} {what} in {namespace}" + (f" ({reason})" if reason else ""))
    return denials
