"""ReplicaSet controller: keeps `spec.replicas` Pods per ReplicaSet and reports its status."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .util import fast_copy, owner_ref, pod_is_ready, random_suffix

if TYPE_CHECKING:
    from .manager import ControllerManager


def _qos_class(containers: list[dict]) -> str:
    """Pod QoS class from container requests/limits (Guaranteed, Burstable or BestEffort)."""
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or (req.get(r, lim.get(r)) != lim.get(r)):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def default_container(c: dict) -> dict:
    """Apply the API server's container defaults."""
    c = dict(c)
    image = str(c.get("image") or "")
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    c.setdefault("imagePullPolicy", "Always" if tag == "latest" else "IfNotPresent")
    c.setdefault("resources", {})
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    ports = []
    for p in c.get("ports") or []:
        p = dict(p)
        p.setdefault("protocol", "TCP")
        ports.append(p)
    if ports:
        c["ports"] = ports
    return c


def pod_from_template(rs: dict, name: str, owner_kind: str = "ReplicaSet") -> dict:
    """A new Pod for the workload `rs` (a ReplicaSet unless `owner_kind` says otherwise), with the API
    server's defaults filled in."""
    tmpl = fast_copy(rs["spec"].get("template") or {})
    tmeta = tmpl.get("metadata") or {}
    spec = tmpl.get("spec") or {}
    rs_meta = rs["metadata"]
    containers = [default_container(c) for c in spec.get("containers") or []]
    spec["containers"] = containers
    if spec.get("initContainers"):
        spec["initContainers"] = [default_container(c) for c in spec["initContainers"]]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("tolerations", [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
    ])
    meta = {
        "name": name,
        "generateName": rs_meta["name"] + "-",
        "namespace": rs_meta.get("namespace"),
        "labels": dict(tmeta.get("labels") or {}),
        "ownerReferences": [owner_ref(rs, owner_kind, "apps/v1")],
    }
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": _qos_class(containers)},
    }


def _deletion_rank(pod: dict) -> tuple:
    """Which pods a scale-down removes first: unscheduled, pending, not ready, then the newest."""
    st = pod.get("status") or {}
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(st.get("phase") or "Pending", 0)
    restarts = sum(cs.get("restartCount", 0) for cs in st.get("containerStatuses") or [])
    return (
        1 if (pod.get("spec") or {}).get("nodeName") else 0,
        phase_rank,
        1 if pod_is_ready(pod) else 0,
        -restarts,
    )


class ReplicaSetController:
    """Creates and deletes Pods for ReplicaSets; writes ReplicaSet status."""

    def __init__(self, mgr: ControllerManager) -> None:
        self.mgr = mgr
        # big scenarios: (rs uid, generation) -> a pod built from the template once; its pods share
        # the read-only spec parts (containers, tolerations), which keeps 150,000 pods in memory
        self._proto: tuple[tuple[str, int], dict] | None = None
        # Pod names come from a generator per ReplicaSet, not the shared RNG: the order controllers draw
        # from that depends on timing, and the same seed must give the same pod names on a loaded machine.
        self._namers: dict[tuple[str | None, str], random.Random] = {}

    def _fast_pod(self, rs: dict, name: str) -> dict:
        key = (rs["metadata"]["uid"], rs["metadata"].get("generation", 1))
        if self._proto is None or self._proto[0] != key:
            self._proto = (key, pod_from_template(rs, ""))
        proto = self._proto[1]
        meta = dict(proto["metadata"])
        meta["name"] = name
        meta["labels"] = dict(meta["labels"])
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": dict(proto["spec"]),
                "status": dict(proto["status"])}

    def reconcile(self, namespace: str, name: str, budget: int) -> tuple[int, bool]:
        """Sync one ReplicaSet; returns (writes used, done). `done` False means call again later."""
        store = self.mgr.store
        rs = store.get("replicasets", namespace, name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            return 0, True
        uid = rs["metadata"]["uid"]
        owned = self.mgr.pods_by_owner.get(uid, {})
        active = [p for p in owned.values() if not p["metadata"].get("deletionTimestamp")
                  and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        want = int((rs.get("spec") or {}).get("replicas", 1) or 0)
        writes = 0
        done = True
        diff = want - len(active)
        if diff > 0:
            n = min(diff, max(budget, 1))
            for _ in range(n):
                pod_name = self._new_name(rs)
                fast = self.mgr.kubelet.fast_start
                pod = self._fast_pod(rs, pod_name) if fast else pod_from_template(rs, pod_name)
                try:
                    if fast:  # big scenarios: created running, one write
                        created = self.mgr.kubelet.create_running(pod)
                    else:
                        created = store.create("pods", pod)
                except Exception:  # noqa: BLE001 - name clash or invalid: retry next tick
                    done = False
                    continue
                writes += 1
                active.append(created)
                self.mgr.events.record(rs, "Normal", "SuccessfulCreate", f"Created pod: {pod_name}",
                                       kind="ReplicaSet", api_version="apps/v1")
            if n < diff:
                done = False
        elif diff < 0:
            # newest first among equals: sort by creation descending, then stable by rank
            victims = sorted(active, key=lambda p: p["metadata"].get("creationTimestamp") or "", reverse=True)
            victims.sort(key=_deletion_rank)
            to_delete = victims[: min(-diff, max(budget, 1))]
            for pod in to_delete:
                pmeta = pod["metadata"]
                self.mgr.kubelet.delete_pod(pmeta["namespace"], pmeta["name"])
                writes += 1
                self.mgr.events.record(rs, "Normal", "SuccessfulDelete", f"Deleted pod: {pmeta['name']}",
                                       kind="ReplicaSet", api_version="apps/v1")
            if len(to_delete) < -diff:
                done = False
        writes += self.update_status(rs)
        return writes, done

    def _new_name(self, rs: dict) -> str:
        base = rs["metadata"]["name"]
        ns = rs["metadata"].get("namespace")
        rng = self._namers.get((ns, base))
        if rng is None:
            rng = self._namers[(ns, base)] = random.Random(f"{self.mgr.seed}:{ns}/{base}")
        for _ in range(20):
            name = f"{base}-{random_suffix(rng)}"
            if self.mgr.store.get("pods", ns, name) is None:
                return name
        return f"{base}-{random_suffix(rng, 8)}"

    def update_status(self, rs: dict) -> int:
        """Recompute status from the pods; write it when it changed. Returns writes made (0/1)."""
        uid = rs["metadata"]["uid"]
        owned = self.mgr.pods_by_owner.get(uid, {})
        selector_labels = ((rs.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        replicas = ready = labeled = 0
        for p in owned.values():
            if p["metadata"].get("deletionTimestamp"):
                continue
            replicas += 1
            labels = p["metadata"].get("labels") or {}
            if all(labels.get(k) == v for k, v in selector_labels.items()):
                labeled += 1
            if pod_is_ready(p):
                ready += 1
        status = {
            "replicas": replicas,
            "fullyLabeledReplicas": labeled,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        old = rs.get("status") or {}
        if all(old.get(k) == v for k, v in status.items()):
            return 0
        new = dict(rs)
        new["status"] = {**old, **status}
        self.mgr.store.update("replicasets", new, check_rv=False)
        return 1
