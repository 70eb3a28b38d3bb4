"""StatefulSet controller: pods NAME-0..N-1 (OrderedReady: one at a time, each Ready before the next;
Parallel: all at once), scale-down from the highest ordinal, RollingUpdate in reverse ordinal order
(one pod at a time, down to the partition), ControllerRevisions and the status `kubectl rollout status`
reads (readyReplicas, currentRevision/updateRevision, updatedReplicas, observedGeneration)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import revisions
from .kubelet import NODES
from .replicaset import pod_from_template
from .util import pod_is_ready

if TYPE_CHECKING:
    from .manager import ControllerManager


def ordinal(sts_name: str, pod_name: str) -> int | None:
    """The ordinal of `NAME-3`, None when the pod name is not NAME-<int>."""
    prefix = sts_name + "-"
    rest = pod_name[len(prefix):] if pod_name.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


class StatefulSetController:
    """Creates, deletes and replaces the pods of StatefulSets; writes their status."""

    def __init__(self, mgr: ControllerManager) -> None:
        self.mgr = mgr

    def _node_for(self, index: int) -> str:
        """Ordinal `index` goes to the schedulable nodes in turn (a scheduler of its own, so StatefulSet
        pods never shift the kubelet's round-robin placement of the other pods)."""
        store = self.mgr.store
        ok = [n for n in NODES if not ((store.get("nodes", "", n) or {}).get("spec") or {}).get("unschedulable")]
        pool = ok or NODES
        return pool[index % len(pool)]

    def _create(self, sts: dict, index: int, revision: str) -> int:
        meta, spec = sts["metadata"], sts.get("spec") or {}
        name = f"{meta['name']}-{index}"
        pod = pod_from_template(sts, name, "StatefulSet")
        pmeta, pspec = pod["metadata"], pod["spec"]
        pmeta.pop("generateName", None)
        pmeta["labels"].update({"controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name,
                                "apps.kubernetes.io/pod-index": str(index)})
        pspec["hostname"] = name
        if spec.get("serviceName"):
            pspec["subdomain"] = spec["serviceName"]
        pspec["nodeName"] = self._node_for(index)
        try:
            self.mgr.store.create("pods", pod)
        except Exception:  # noqa: BLE001 - the old pod of that ordinal is still going: next pass
            return 0
        self.mgr.events.record(sts, "Normal", "SuccessfulCreate",
                               f"create Pod {name} in StatefulSet {meta['name']} successful",
                               kind="StatefulSet", api_version="apps/v1")
        return 1

    def _delete(self, sts: dict, pod: dict) -> int:
        name = pod["metadata"]["name"]
        self.mgr.kubelet.delete_pod(pod["metadata"]["namespace"], name)
        self.mgr.events.record(sts, "Normal", "SuccessfulDelete",
                               f"delete Pod {name} in StatefulSet {sts['metadata']['name']} successful",
                               kind="StatefulSet", api_version="apps/v1")
        return 1

    def reconcile(self, namespace: str, name: str) -> int:
        """Sync one StatefulSet; returns the writes made."""
        store = self.mgr.store
        sts = store.get("statefulsets", namespace, name)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return 0
        spec, status = sts.get("spec") or {}, sts.get("status") or {}
        update_rev, _, writes = revisions.ensure(self.mgr, sts, "StatefulSet")
        current_rev = status.get("currentRevision") or update_rev
        want = int(spec.get("replicas", 1) or 0)
        strategy = spec.get("updateStrategy") or {}
        rolling = (strategy.get("type") or "RollingUpdate") == "RollingUpdate"
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0) if rolling else want
        parallel = spec.get("podManagementPolicy") == "Parallel"
        pods: dict[int, dict] = {}
        for owned in self.mgr.pods_by_owner.get(sts["metadata"]["uid"], {}).values():
            i = ordinal(name, owned["metadata"]["name"])
            if i is not None:
                pods[i] = owned
        terminating = any(p["metadata"].get("deletionTimestamp") for p in pods.values())
        settled = True
        for i in range(want):
            pod = pods.get(i)
            if pod is None:
                settled = False
                writes += self._create(sts, i, update_rev if i >= partition else current_rev)
            elif pod["metadata"].get("deletionTimestamp") or not pod_is_ready(pod):
                settled = False
            else:
                continue
            if not parallel:
                break
        if settled or parallel:
            condemned = sorted((i for i in pods if i >= want), reverse=True)
            live = [i for i in condemned if not pods[i]["metadata"].get("deletionTimestamp")]
            if live and (parallel or not terminating):
                for i in live if parallel else live[:1]:
                    writes += self._delete(sts, pods[i])
            elif not condemned and settled and rolling and not terminating:
                for i in range(want - 1, partition - 1, -1):  # reverse ordinal order
                    if i in pods and revisions.revision_of(pods[i]) != update_rev:
                        writes += self._delete(sts, pods[i])
                        break
        return writes + self.update_status(sts, update_rev, current_rev)

    def update_status(self, sts: dict, update_rev: str, current_rev: str) -> int:
        """Recompute status from the pods; write it when it changed (0/1 writes)."""
        pods = [p for p in self.mgr.pods_by_owner.get(sts["metadata"]["uid"], {}).values()
                if not p["metadata"].get("deletionTimestamp")]
        replicas = len(pods)
        ready = sum(1 for p in pods if pod_is_ready(p))
        current = sum(1 for p in pods if revisions.revision_of(p) == current_rev)
        updated = sum(1 for p in pods if revisions.revision_of(p) == update_rev)
        spec = sts.get("spec") or {}
        rolling = ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"
        if rolling and updated == replicas and ready == replicas == int(spec.get("replicas", 1) or 0):
            current_rev, current = update_rev, updated
        status = {"observedGeneration": sts["metadata"].get("generation", 1), "replicas": replicas,
                  "readyReplicas": ready, "currentReplicas": current, "updatedReplicas": updated,
                  "availableReplicas": ready, "currentRevision": current_rev, "updateRevision": update_rev,
                  "collisionCount": 0}
        old = sts.get("status") or {}
        if all(old.get(k) == v for k, v in status.items()):
            return 0
        new = dict(sts)
        new["status"] = {**old, **status}
        self.mgr.store.update("statefulsets", new, check_rv=False)
        return 1
