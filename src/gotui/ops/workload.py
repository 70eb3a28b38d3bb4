"""Workload operations beyond Deployments' rollout maths: `kubectl set image`, restart and scale of
StatefulSets and DaemonSets, and `kubectl rollout status` for the three kinds.

Pure builders (Actions, patches, the status text) plus thin appliers through `KubeIO` that check the
safety rules first and return a `rollout.Outcome` (kubectl's message with the audit before/after).
The status texts are kubectl's (pkg/polymorphichelpers/rollout_status.go).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gotui.config import Settings
from gotui.ops import safety
from gotui.ops.actions import Action
from gotui.ops.cutover import context_flag
from gotui.ops.kube_io import JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, KubeIO, escape_pointer
from gotui.ops.rollout import Outcome, RolloutError, restart_patch, restarted_at, scale_patch

# resource (plural) -> the singular kubectl prints (`deployment.apps/NAME`, `deployment/NAME`)
SINGULAR = {"deployments": "deployment", "statefulsets": "statefulset", "daemonsets": "daemonset"}
RESTARTABLE = frozenset(SINGULAR)
SCALABLE = frozenset({"deployments", "statefulsets"})


def _singular(resource: str) -> str:
    if resource not in SINGULAR:
        raise RolloutError(f"{resource} is not a workload kind gotui changes")
    return SINGULAR[resource]


def containers_of(obj: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, name, image) of every container of the pod template: `containers`, then `initContainers`."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    out = []
    for fld in ("containers", "initContainers"):
        for c in spec.get(fld) or []:
            out.append((fld, str(c.get("name") or ""), str(c.get("image") or "")))
    return out


def set_image_action(resource: str, namespace: str, name: str, container: str, image: str,
                     context: str | None, current: str = "") -> Action:
    """`kubectl set image RESOURCE/NAME CONTAINER=IMAGE` (a new rollout)."""
    kind = _singular(resource)
    return Action("set-image", kind, name, namespace, context,
                  preview=f"kubectl{context_flag(context)} -n {namespace} set image {kind}/{name} {container}={image}",
                  reversible=True, detail=f"{container}: {current or '?'} → {image}",
                  rbac=("patch", resource, "apps"), params={"container": container, "image": image, "before": current})


def set_image_patch(obj: dict[str, Any], container: str, image: str) -> list[dict[str, Any]]:
    """A JSON patch replacing one container's image, guarded by a `test` of its name and old image (a
    concurrent edit fails as a conflict instead of changing another container)."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for fld in ("containers", "initContainers"):
        for i, c in enumerate(spec.get(fld) or []):
            if c.get("name") == container:
                base = f"/spec/template/spec/{escape_pointer(fld)}/{i}"
                return [{"op": "test", "path": f"{base}/name", "value": container},
                        {"op": "test", "path": f"{base}/image", "value": c.get("image")},
                        {"op": "replace", "path": f"{base}/image", "value": image}]
    raise RolloutError(f'unable to find container named "{container}"')


def set_image(io: KubeIO, settings: Settings, resource: str, namespace: str, name: str, container: str,
              image: str, context: str | None = None) -> Outcome:
    """Apply `kubectl set image`; before/after: the container's image."""
    kind = _singular(resource)
    safety.require_allowed(set_image_action(resource, namespace, name, container, image, context), settings)
    if not image.strip() or any(ch.isspace() for ch in image):
        raise RolloutError("the image must be one word (REPOSITORY[:TAG][@DIGEST])")
    obj = io.get(resource, namespace, name)
    if obj is None:
        raise RolloutError(f'{resource}.apps "{name}" not found')
    before = next((img for _, n, img in containers_of(obj) if n == container), None)
    if before == image:
        return Outcome(f"{kind}.apps/{name} image unchanged", {"container": container, "image": before},
                       {"container": container, "image": image})
    reply = io.patch(resource, namespace, name, set_image_patch(obj, container, image), JSON_PATCH)
    after = next((img for _, n, img in containers_of(reply) if n == container), image)
    return Outcome(f"{kind}.apps/{name} image updated", {"container": container, "image": before},
                   {"container": container, "image": after})


def restart_action(resource: str, namespace: str, name: str, context: str | None) -> Action:
    kind = _singular(resource)
    return Action("restart", kind, name, namespace, context,
                  preview=f"kubectl{context_flag(context)} -n {namespace} rollout restart {kind}/{name}",
                  reversible=False, detail="Every pod is replaced, as the update strategy says.",
                  rbac=("patch", resource, "apps"))


def restart(io: KubeIO, settings: Settings, resource: str, namespace: str, name: str,
            context: str | None = None, now: datetime | None = None) -> Outcome:
    """`kubectl rollout restart KIND/NAME` (the restartedAt template annotation, strategic merge); the
    only restart of gotui (`rollout.restart` and the Pods pane's restart come here)."""
    kind = _singular(resource)
    safety.require_allowed(restart_action(resource, namespace, name, context), settings)
    obj = io.get(resource, namespace, name)
    if obj is None:
        raise RolloutError(f'{resource}.apps "{name}" not found')
    if (obj.get("spec") or {}).get("paused"):
        raise RolloutError(f"{resource}/{name} can't restart paused {kind} (run rollout resume first)")
    reply = io.patch(resource, namespace, name, restart_patch(now), STRATEGIC_PATCH)
    return Outcome(f"{kind}.apps/{name} restarted", {"restartedAt": restarted_at(obj)},
                   {"restartedAt": restarted_at(reply)})


def scale_action(resource: str, namespace: str, name: str, replicas: int, context: str | None,
                 current: int | None = None) -> Action:
    kind = _singular(resource)
    if resource not in SCALABLE:
        raise RolloutError(f"a {kind} has no replicas to scale")
    now = f" (now {current})" if current is not None else ""
    return Action("scale", kind, name, namespace, context,
                  preview=f"kubectl{context_flag(context)} -n {namespace} scale {kind}/{name} --replicas={replicas}",
                  reversible=True, detail=f"Set replicas to {replicas}{now}.",
                  rbac=("patch", resource, "apps"), params={"replicas": replicas, "before": current})


def scale(io: KubeIO, settings: Settings, resource: str, namespace: str, name: str, replicas: int,
          context: str | None = None) -> Outcome:
    """`kubectl scale KIND/NAME --replicas=N` through the scale subresource."""
    kind = _singular(resource)
    safety.require_allowed(scale_action(resource, namespace, name, replicas, context), settings)
    obj = io.get(resource, namespace, name)
    if obj is None:
        raise RolloutError(f'{resource}.apps "{name}" not found')
    reply = io.patch(resource, namespace, name, scale_patch(replicas), MERGE_PATCH, sub="scale")
    return Outcome(f"{kind}.apps/{name} scaled to {replicas}",
                   {"replicas": (obj.get("spec") or {}).get("replicas")},
                   {"replicas": (reply.get("spec") or {}).get("replicas", replicas)})


def rollout_status(resource: str, obj: dict[str, Any]) -> tuple[str, bool]:
    """kubectl's `rollout status` line for the object and whether the rollout is complete. Raises
    `RolloutError` when it can never complete as things are (progress deadline exceeded, OnDelete)."""
    meta, spec, st = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    name = meta.get("name", "?")
    if int(meta.get("generation") or 0) > int(st.get("observedGeneration") or 0):
        return "Waiting for rollout spec update to be observed...", False
    if resource == "deployments":
        for cond in st.get("conditions") or []:
            if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
                raise RolloutError(f'deployment "{name}" exceeded its progress deadline')
        want = spec.get("replicas")
        updated, total = int(st.get("updatedReplicas") or 0), int(st.get("replicas") or 0)
        available = int(st.get("availableReplicas") or 0)
        prefix = f'Waiting for deployment "{name}" rollout to finish: '
        if want is not None and updated < int(want):
            return f"{prefix}{updated} out of {want} new replicas have been updated...", False
        if total > updated:
            return f"{prefix}{total - updated} old replicas are pending termination...", False
        if available < updated:
            return f"{prefix}{available} of {updated} updated replicas are available...", False
        return f'deployment "{name}" successfully rolled out', True
    if resource == "statefulsets":
        if ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") != "RollingUpdate":
            raise RolloutError("rollout status is only available for RollingUpdate strategy type")
        want, ready = spec.get("replicas"), int(st.get("readyReplicas") or 0)
        if want is not None and ready < int(want):
            return f"Waiting for {int(want) - ready} pods to be ready...", False
        rolling = (spec.get("updateStrategy") or {}).get("rollingUpdate")
        if isinstance(rolling, dict):  # kubectl: any rollingUpdate (partition defaults to 0) is "partitioned"
            partition = int(rolling.get("partition") or 0)
            updated = int(st.get("updatedReplicas") or 0)
            if want is not None and updated < int(want) - partition:
                return (f"Waiting for partitioned roll out to finish: {updated} out of "
                        f"{int(want) - partition} new pods have been updated..."), False
            return f"partitioned roll out complete: {updated} new pods have been updated...", True
        if st.get("updateRevision") != st.get("currentRevision"):
            return (f"waiting for statefulset rolling update to complete {int(st.get('updatedReplicas') or 0)} "
                    f"pods at revision {st.get('updateRevision')}..."), False
        return (f"statefulset rolling update complete {int(st.get('currentReplicas') or 0)} pods at revision "
                f"{st.get('currentRevision')}..."), True
    if resource == "daemonsets":
        if ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") != "RollingUpdate":
            raise RolloutError("rollout status is only available for RollingUpdate strategy type")
        desired = int(st.get("desiredNumberScheduled") or 0)
        updated, available = int(st.get("updatedNumberScheduled") or 0), int(st.get("numberAvailable") or 0)
        prefix = f'Waiting for daemon set "{name}" rollout to finish: '
        if updated < desired:
            return f"{prefix}{updated} out of {desired} new pods have been updated...", False
        if available < desired:
            return f"{prefix}{available} of {desired} updated pods are available...", False
        return f'daemon set "{name}" successfully rolled out', True
    raise RolloutError(f"no rollout status for {resource}")


def replica_counts(obj: dict[str, Any]) -> str:
    """`updated/ready/available of desired` for the status line."""
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    if "desiredNumberScheduled" in st:
        return (f"updated {st.get('updatedNumberScheduled') or 0} · ready {st.get('numberReady') or 0} · "
                f"available {st.get('numberAvailable') or 0} of {st.get('desiredNumberScheduled') or 0}")
    return (f"updated {st.get('updatedReplicas') or 0} · ready {st.get('readyReplicas') or 0} · "
            f"available {st.get('availableReplicas') or 0} of {spec.get('replicas', '?')}")
