"""DaemonSet controller: one pod per eligible node (the template's nodeSelector matches the node's labels
and the pod tolerates its NoSchedule/NoExecute taints; a cordoned node still runs it, as upstream, since
daemon pods tolerate `node.kubernetes.io/unschedulable`), RollingUpdate within maxUnavailable,
ControllerRevisions, and the status `kubectl rollout status` reads (desiredNumberScheduled, numberReady,
updatedNumberScheduled, numberAvailable, observedGeneration)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from . import revisions
from .replicaset import pod_from_template
from .util import int_or_percent, pod_is_ready, random_suffix

if TYPE_CHECKING:
    from .manager import ControllerManager

DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def _tolerates(tolerations: list[dict], taint: dict) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists" and (not t.get("key") or t.get("key") == taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def eligible(node: dict, pod_spec: dict) -> bool:
    """Whether a daemon pod with `pod_spec` belongs on `node`."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    tolerations = list(pod_spec.get("tolerations") or []) + DAEMON_TOLERATIONS
    return all(_tolerates(tolerations, t) for t in (node.get("spec") or {}).get("taints") or []
               if t.get("effect") in ("NoSchedule", "NoExecute"))


class DaemonSetController:
    """Creates, deletes and replaces the pods of DaemonSets; writes their status."""

    def __init__(self, mgr: ControllerManager) -> None:
        self.mgr = mgr
        self._namers: dict[tuple[str, str], random.Random] = {}

    def _new_name(self, ds: dict) -> str:
        ns, base = ds["metadata"].get("namespace", ""), ds["metadata"]["name"]
        rng = self._namers.setdefault((ns, base), random.Random(f"{self.mgr.seed}:ds:{ns}/{base}"))
        for _ in range(20):
            name = f"{base}-{random_suffix(rng)}"
            if self.mgr.store.get("pods", ns, name) is None:
                return name
        return f"{base}-{random_suffix(rng, 8)}"

    def _create(self, ds: dict, node: str, h: str) -> int:
        name = self._new_name(ds)
        pod = pod_from_template(ds, name, "DaemonSet")
        pod["metadata"]["labels"].update({"controller-revision-hash": h,
                                          "pod-template-generation": str(ds["metadata"].get("generation", 1))})
        spec = pod["spec"]
        spec["tolerations"] = [t for t in ((ds["spec"].get("template") or {}).get("spec") or {}).get("tolerations") or []]
        spec["tolerations"] += [t for t in DAEMON_TOLERATIONS if t not in spec["tolerations"]]
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
        spec["nodeName"] = node
        try:
            self.mgr.store.create("pods", pod)
        except Exception:  # noqa: BLE001 - retried on the next pass
            return 0
        self.mgr.events.record(ds, "Normal", "SuccessfulCreate", f"Created pod: {name}",
                               kind="DaemonSet", api_version="apps/v1")
        return 1

    def _delete(self, ds: dict, pod: dict) -> int:
        name = pod["metadata"]["name"]
        self.mgr.kubelet.delete_pod(pod["metadata"]["namespace"], name)
        self.mgr.events.record(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {name}",
                               kind="DaemonSet", api_version="apps/v1")
        return 1

    def reconcile(self, namespace: str, name: str) -> int:
        """Sync one DaemonSet; returns the writes made."""
        store = self.mgr.store
        ds = store.get("daemonsets", namespace, name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return 0
        spec = ds.get("spec") or {}
        pod_spec = (spec.get("template") or {}).get("spec") or {}
        _, h, writes = revisions.ensure(self.mgr, ds, "DaemonSet")
        nodes = {n["metadata"]["name"] for n in store.list("nodes")[0] if eligible(n, pod_spec)}
        by_node: dict[str, list[dict]] = {}
        for pod in self.mgr.pods_by_owner.get(ds["metadata"]["uid"], {}).values():
            by_node.setdefault((pod.get("spec") or {}).get("nodeName") or "", []).append(pod)
        for node in sorted(nodes):
            if not by_node.get(node):
                writes += self._create(ds, node, h)
        for node, pods in by_node.items():
            for pod in pods:
                if node not in nodes and not pod["metadata"].get("deletionTimestamp"):
                    writes += self._delete(ds, pod)  # no longer belongs there
        strategy = spec.get("updateStrategy") or {}
        if (strategy.get("type") or "RollingUpdate") == "RollingUpdate":
            max_unavailable = max(1, int_or_percent((strategy.get("rollingUpdate") or {}).get("maxUnavailable", 1),
                                                    len(nodes), True))
            live = [p for n in nodes for p in by_node.get(n, []) if not p["metadata"].get("deletionTimestamp")]
            unavailable = len(nodes) - sum(1 for p in live if pod_is_ready(p))
            budget = max_unavailable - unavailable
            for pod in (p for p in live if revisions.revision_of(p) != h):
                if pod_is_ready(pod):  # an old pod that serves: replaced only within maxUnavailable
                    if budget <= 0:
                        continue
                    budget -= 1
                writes += self._delete(ds, pod)
        return writes + self.update_status(ds, nodes, h)

    def update_status(self, ds: dict, nodes: set[str], h: str) -> int:
        """Recompute status from the pods; write it when it changed (0/1 writes)."""
        pods = [p for p in self.mgr.pods_by_owner.get(ds["metadata"]["uid"], {}).values()
                if not p["metadata"].get("deletionTimestamp")]
        on = [p for p in pods if (p.get("spec") or {}).get("nodeName") in nodes]
        ready = sum(1 for p in on if pod_is_ready(p))
        status = {"observedGeneration": ds["metadata"].get("generation", 1), "desiredNumberScheduled": len(nodes),
                  "currentNumberScheduled": len({p["spec"]["nodeName"] for p in on}),
                  "numberMisscheduled": len(pods) - len(on), "numberReady": ready,
                  "updatedNumberScheduled": sum(1 for p in on if revisions.revision_of(p) == h),
                  "numberAvailable": ready}
        old = ds.get("status") or {}
        unavailable = len(nodes) - ready
        if all(old.get(k) == v for k, v in status.items()) and old.get("numberUnavailable", 0) == unavailable:
            return 0
        new = dict(ds)
        new["status"] = {k: v for k, v in old.items() if k != "numberUnavailable"} | status
        if unavailable:
            new["status"]["numberUnavailable"] = unavailable
        self.mgr.store.update("daemonsets", new, check_rv=False)
        return 1
