"""Node operations as kubectl does them: cordon / uncordon (spec.unschedulable) and drain (cordon, then
evict every pod on the node except DaemonSet-owned and mirror pods; delete them where the cluster serves
no eviction subresource, as `kubectl drain` falls back to). Refused in read-only mode."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gotui.config import Settings
from gotui.ops import safety
from gotui.ops.actions import Action

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


@dataclass(frozen=True)
class DrainPlan:
    """The pods a drain removes and the ones it leaves, with why."""

    evict: tuple[tuple[str, str], ...]  # (namespace, name)
    skipped: tuple[tuple[str, str, str], ...]  # (namespace, name, reason)


def drain_plan(node: str, pods: list[dict]) -> DrainPlan:
    """Which of `pods` a `kubectl drain --ignore-daemonsets --delete-emptydir-data` removes from `node`."""
    evict, skipped = [], []
    for pod in pods:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        if spec.get("nodeName") != node:
            continue
        key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            evict.append(key)  # finished pods are deleted by kubectl drain too
            continue
        if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
            skipped.append((*key, "mirror pod (static, managed by the kubelet)"))
        elif any(r.get("kind") == "DaemonSet" and r.get("controller") for r in meta.get("ownerReferences") or []):
            skipped.append((*key, "DaemonSet-managed (ignored)"))
        else:
            evict.append(key)
    return DrainPlan(tuple(sorted(evict)), tuple(sorted(skipped)))


def cordon_action(node: str, context: str | None, *, cordon: bool = True) -> Action:
    verb = "cordon" if cordon else "uncordon"
    return Action(
        verb=verb, kind="node", target=node, context=context,
        preview=f"kubectl {verb} {node} --context {context}",
        destructive=True, reversible=True,
        detail=("New pods are no longer scheduled onto it; running pods stay." if cordon
                else "New pods may be scheduled onto it again."),
        rbac=("patch", "nodes", ""),
    )


def drain_action(node: str, context: str | None, plan: DrainPlan | None = None) -> Action:
    detail = "Cordons the node, then evicts its pods (DaemonSet-managed and mirror pods stay)."
    if plan is not None:
        lines = [f"{len(plan.evict)} pod(s) will be evicted:"] + [f"  {ns}/{name}" for ns, name in plan.evict[:12]]
        if len(plan.evict) > 12:
            lines.append(f"  … and {len(plan.evict) - 12} more")
        if plan.skipped:
            lines.append(f"{len(plan.skipped)} stay: " + ", ".join(f"{n} ({why.split(' ')[0]})" for _, n, why in plan.skipped[:4]))
        detail = " ⏎ ".join(lines)  # the dialog's line break
    return Action(
        verb="drain", kind="node", target=node, context=context,
        preview=f"kubectl drain {node} --ignore-daemonsets --delete-emptydir-data --context {context}",
        destructive=True, reversible=False, detail=detail,
        rbac=("create", "pods/eviction", ""),
        params={"plan": plan} if plan is not None else {},
    )


def set_unschedulable(api_client: Any, action: Action, settings: Settings) -> str:
    """Cordon or uncordon the node named by `action`."""
    safety.require_allowed(action, settings)
    from gotui.kube.client import STRATEGIC_PATCH, finish, request

    cordon = action.verb in ("cordon", "drain")
    finish(request(api_client, "PATCH", f"/api/v1/nodes/{action.target}", body={"spec": {"unschedulable": True if cordon else None}},
            content_type=STRATEGIC_PATCH, timeout=15))
    return f"node/{action.target} {'cordoned' if cordon else 'uncordoned'}"


def node_pods(api_client: Any, node: str) -> list[dict]:
    """Every pod on `node`, all namespaces (a field selector on spec.nodeName), as raw JSON."""
    from gotui.kube.client import api_get, read_json

    data = read_json(api_get(api_client, "/api/v1/pods", [("fieldSelector", f"spec.nodeName={node}")], timeout=30))
    return list((data or {}).get("items") or [])


def plan_drain(api_client: Any, node: str, context: str | None) -> Action:
    """The drain Action with its pod list (read now, shown in the dialog)."""
    return drain_action(node, context, drain_plan(node, node_pods(api_client, node)))


def drain(api_client: Any, action: Action, settings: Settings) -> str:
    """Cordon, then evict (policy/v1 Eviction) each planned pod; delete instead when the cluster has no
    eviction subresource (404), as kubectl drain does. A PodDisruptionBudget refusal (429) is reported."""
    safety.require_allowed(action, settings)
    from kubernetes.client.exceptions import ApiException

    from gotui.kube.client import finish, request

    plan: DrainPlan = action.params.get("plan") or drain_plan(action.target, node_pods(api_client, action.target))
    set_unschedulable(api_client, action, settings)
    evicted, deleted, refused = 0, 0, []
    for ns, name in plan.evict:
        body: Any = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}}
        try:
            finish(request(api_client, "POST", f"/api/v1/namespaces/{ns}/pods/{name}/eviction", body=body,
                    timeout=15))
            evicted += 1
            continue
        except ApiException as exc:
            if exc.status == 429:
                refused.append(f"{ns}/{name}")
                continue
            if exc.status != 404:
                raise
        try:  # no eviction subresource (or the pod is gone already)
            finish(request(api_client, "DELETE", f"/api/v1/namespaces/{ns}/pods/{name}", timeout=15))
            deleted += 1
        except ApiException as exc:
            if exc.status != 404:
                raise
    out = f"node/{action.target} drained: {evicted} evicted, {deleted} deleted"
    if refused:
        out += f"; {len(refused)} refused by a disruption budget: {', '.join(refused[:5])}"
    return out
