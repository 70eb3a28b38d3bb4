"""Deployment rollout history, undo, restart and scale — as kubectl computes them.

History: the ReplicaSets controlled by the Deployment, by `deployment.kubernetes.io/revision`
(kubectl pkg/polymorphichelpers/history.go). Undo: the JSON patch kubectl's rollback.go sends (the
revision's pod template minus `pod-template-hash`, and the RS annotations minus the skipped ones plus the
Deployment's own skipped ones). Restart: the `kubectl.kubernetes.io/restartedAt` template annotation.
Pure builders here; `undo`, `restart` and `scale` apply them through `KubeIO` after the safety check and
return an `Outcome`: kubectl's message, carrying the audit line's before/after (`audit_fields`).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gotui.config import Settings
from gotui.ops import safety
from gotui.ops.actions import Action
from gotui.ops.bluegreen import REVISION_ANN, images_of, owned_replicasets, parse_time, strip_hash
from gotui.ops.cutover import context_flag
from gotui.ops.kube_io import JSON_PATCH, MERGE_PATCH, KubeIO

CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
# kubectl rollback.go annotationsToSkip
ANNOTATIONS_TO_SKIP = frozenset({
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
})


class RolloutError(Exception):
    """An undo/restart that cannot be done; the message says why (as kubectl would)."""


class Outcome(str):
    """What an operation prints (kubectl's message), carrying the audit line's `before` and `after`."""

    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def __new__(cls, message: str, before: dict[str, Any] | None = None,
                after: dict[str, Any] | None = None) -> Outcome:
        obj = super().__new__(cls, message)
        obj.before, obj.after = before, after
        return obj


def audit_fields(result: Any, error: BaseException | None) -> dict[str, Any] | None:
    """The `audit_fields` hook of `app.gate.perform`: before/after of an `Outcome` (None: the plain line)."""
    if error is None and isinstance(result, Outcome):
        return {"before": result.before, "after": result.after}
    return None


@dataclass
class Revision:
    number: int
    replicaset: str
    images: list[str]
    change_cause: str
    created: datetime | None
    replicas: int
    ready: int
    template: dict[str, Any]
    annotations: dict[str, str]


def revision_of(obj: dict[str, Any]) -> int:
    """The revision number annotated on a ReplicaSet or Deployment (0 when absent or malformed)."""
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANN, "")
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0


def history(deployment: dict[str, Any], replicasets: list[dict[str, Any]]) -> list[Revision]:
    """Revisions of `deployment`, oldest first (one per controlled ReplicaSet with a revision)."""
    out: list[Revision] = []
    for rs in owned_replicasets(deployment, replicasets):
        number = revision_of(rs)
        if number <= 0:
            continue
        meta = rs.get("metadata") or {}
        ann = meta.get("annotations") or {}
        template = (rs.get("spec") or {}).get("template") or {}
        out.append(Revision(
            number=number,
            replicaset=meta.get("name", ""),
            images=images_of(template),
            change_cause=ann.get(CHANGE_CAUSE, ""),
            created=parse_time(meta.get("creationTimestamp")),
            replicas=int((rs.get("spec") or {}).get("replicas") or 0),
            ready=int((rs.get("status") or {}).get("readyReplicas") or 0),
            template=template,
            annotations=dict(ann),
        ))
    return sorted(out, key=lambda r: r.number)


def history_table(revisions: list[Revision]) -> str:
    """The text `kubectl rollout history` prints for these revisions."""
    lines = ["REVISION  CHANGE-CAUSE"]
    for r in revisions:
        lines.append(f"{r.number:<9} {r.change_cause or '<none>'}")
    return "\n".join(lines)


def pick_revision(revisions: list[Revision], to_revision: int = 0) -> Revision:
    """kubectl's `deploymentRevision`: 0 means the previous one (second highest)."""
    if not revisions:
        raise RolloutError("no rollout history found")
    ordered = sorted(revisions, key=lambda r: r.number)
    if to_revision == 0:
        if len(ordered) < 2:
            raise RolloutError("no rollout history found")
        return ordered[-2]
    for r in ordered:
        if r.number == to_revision:
            return r
    raise RolloutError(f"unable to find specified revision {to_revision} in history")


def undo_patch(deployment: dict[str, Any], revision: Revision) -> list[dict[str, Any]] | None:
    """The JSON patch `kubectl rollout undo --to-revision=N` sends; None when nothing would change."""
    if (deployment.get("spec") or {}).get("paused"):
        raise RolloutError("you cannot rollback a paused deployment; resume it first with "
                           "'kubectl rollout resume' and try again")
    current = strip_hash((deployment.get("spec") or {}).get("template") or {})
    target = strip_hash(revision.template)
    if current == target:
        return None
    template = copy.deepcopy(revision.template)
    labels = (template.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop("pod-template-hash", None)
    dep_ann = (deployment.get("metadata") or {}).get("annotations") or {}
    annotations = {k: v for k, v in dep_ann.items() if k in ANNOTATIONS_TO_SKIP}
    for k, v in revision.annotations.items():
        if k not in ANNOTATIONS_TO_SKIP:
            annotations[k] = v
    return [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]


def restart_patch(now: datetime | None = None) -> dict[str, Any]:
    """The strategic-merge patch of `kubectl rollout restart` (restartedAt = now, RFC3339)."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}


def scale_patch(replicas: int) -> dict[str, Any]:
    """The merge patch `kubectl scale` sends to the /scale subresource."""
    if replicas < 0:
        raise RolloutError("replicas must be 0 or more")
    return {"spec": {"replicas": int(replicas)}}


# -- actions ----------------------------------------------------------------------------------------


def undo_action(namespace: str, deployment: str, revision: int, context: str | None, detail: str = "") -> Action:
    return Action("undo", "deployment", deployment, namespace, context,
                  preview=f"kubectl{context_flag(context)} -n {namespace} rollout undo deployment/{deployment} "
                          f"--to-revision={revision}",
                  reversible=True, detail=detail or f"Roll {deployment} back to the template of revision {revision}.",
                  rbac=("patch", "deployments", "apps"), params={"revision": revision})


def restart_action(namespace: str, deployment: str, context: str | None) -> Action:
    """The restart Action of a Deployment (`workload.restart_action`)."""
    from gotui.ops import workload

    return workload.restart_action("deployments", namespace, deployment, context)


def hpa_scale_note(hpa: dict[str, Any] | None, replicas: int) -> str:
    """What an HPA targeting the Deployment will do to a manual scale to `replicas` ("" without one):
    k9s users scale and see it undone (k9s #3680)."""
    if hpa is None:
        return ""
    name = (hpa.get("metadata") or {}).get("name", "?")
    spec = hpa.get("spec") or {}
    lo = int(spec.get("minReplicas") or 1)
    hi = int(spec.get("maxReplicas") or lo)
    if replicas == 0:
        return f"⚠ HPA {name} stops scaling it while it has 0 replicas (it resumes when scaled up)."
    where = ("below its minimum" if replicas < lo else "above its maximum" if replicas > hi
             else "within its range, then it follows the load")
    return (f"⚠ HPA {name} manages it (min {lo}, max {hi}): {replicas} is {where}; the HPA will set the "
            "replicas itself. To change the range, edit the HPA (HPA pane, e).")


def scale_action(namespace: str, deployment: str, replicas: int, context: str | None, current: int | None = None,
                 detail: str = "", hpa: dict[str, Any] | None = None) -> Action:
    now = f" (now {current})" if current is not None else ""
    note = hpa_scale_note(hpa, replicas)
    text = detail or f"Set replicas to {replicas}{now}."
    return Action("scale", "deployment", deployment, namespace, context,
                  preview=f"kubectl{context_flag(context)} -n {namespace} scale deployment/{deployment} --replicas={replicas}",
                  reversible=True, detail=f"{text} {note}" if note else text,
                  rbac=("patch", "deployments", "apps"), params={"replicas": replicas, "before": current})


def template_state(deployment: dict[str, Any]) -> dict[str, Any]:
    """The audit view of a Deployment's pod template: revision number and images."""
    template = (deployment.get("spec") or {}).get("template") or {}
    return {"revision": revision_of(deployment) or None, "images": images_of(template)}


def undo(io: KubeIO, settings: Settings, namespace: str, name: str, to_revision: int = 0,
         context: str | None = None, *, settle_s: float = 5.0) -> Outcome:
    """`kubectl rollout undo deployment/NAME --to-revision=N`; returns kubectl's message with the revision
    and images before and after (the controller renumbers the reused revision: waited for up to
    `settle_s`, else the after revision is None)."""
    safety.require_allowed(undo_action(namespace, name, to_revision, context), settings)
    dep = io.get("deployments", namespace, name)
    if dep is None:
        raise RolloutError(f'deployments.apps "{name}" not found')
    rs = io.list("replicasets", namespace)
    rev = pick_revision(history(dep, rs), to_revision)
    before = template_state(dep)
    patch = undo_patch(dep, rev)
    if patch is None:
        return Outcome(f"deployment.apps/{name} skipped rollback (current template already matches revision "
                       f"{rev.number})", before, dict(before))
    reply = io.patch("deployments", namespace, name, patch, JSON_PATCH)
    after = dict(template_state(reply), revision=None, to_revision=rev.number)
    deadline = time.monotonic() + settle_s
    while True:
        number = revision_of(reply)
        if number and number != before["revision"]:
            after["revision"] = number
            break
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
        reply = io.get("deployments", namespace, name) or reply
    return Outcome(f"deployment.apps/{name} rolled back", before, after)


def restart(io: KubeIO, settings: Settings, namespace: str, name: str, context: str | None = None,
            now: datetime | None = None) -> Outcome:
    """`kubectl rollout restart deployment/NAME`; before/after: the restartedAt template annotation
    (`workload.restart`, the one restart implementation)."""
    from gotui.ops import workload

    return workload.restart(io, settings, "deployments", namespace, name, context, now)


def restarted_at(deployment: dict[str, Any]) -> str | None:
    """The `kubectl.kubernetes.io/restartedAt` annotation of the pod template (None: never restarted)."""
    meta = ((deployment.get("spec") or {}).get("template") or {}).get("metadata") or {}
    return (meta.get("annotations") or {}).get(RESTARTED_AT)


def scale(io: KubeIO, settings: Settings, namespace: str, name: str, replicas: int,
          context: str | None = None) -> Outcome:
    """`kubectl scale deployment/NAME --replicas=N` (merge patch of the scale subresource); before/after:
    the replicas as read just before and as the server answered."""
    safety.require_allowed(scale_action(namespace, name, replicas, context), settings)
    dep = io.get("deployments", namespace, name)
    if dep is None:
        raise RolloutError(f'deployments.apps "{name}" not found')
    reply = io.patch("deployments", namespace, name, scale_patch(replicas), MERGE_PATCH, sub="scale")
    return Outcome(f"deployment.apps/{name} scaled to {replicas}",
                   {"replicas": (dep.get("spec") or {}).get("replicas")},
                   {"replicas": (reply.get("spec") or {}).get("replicas", replicas)})
