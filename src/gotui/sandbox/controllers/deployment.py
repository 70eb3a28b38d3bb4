"""Deployment controller: one ReplicaSet per pod template, revisions, rolling updates, status.

Follows k8s.io/kubernetes pkg/controller/deployment (sync.go, rolling.go, recreate.go, util/) closely
enough for `kubectl rollout status|history|undo|restart` to behave as on a real cluster.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gotui.clock import parse_epoch

from .util import (
    fast_copy,
    get_condition,
    int_or_percent,
    iso,
    normalize_template,
    owner_ref,
    template_hash,
)

if TYPE_CHECKING:
    from .manager import ControllerManager

NORMALIZED_KEPT = 20_000
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
# deployment_util.go annotationsToSkip: never copied from a Deployment to its ReplicaSets.
SKIP_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}


# ---- pure rolling-update maths (unit tested) ---------------------------------------------------

def resolve_fenceposts(max_surge: object, max_unavailable: object, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as numbers: surge rounds up, unavailable down; both 0 -> unavailable 1."""
    surge = int_or_percent("25%" if max_surge is None else max_surge, desired, round_up=True)
    unavailable = int_or_percent("25%" if max_unavailable is None else max_unavailable, desired, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def new_rs_scale_up(desired: int, max_surge: int, new_replicas: int, total_replicas: int) -> int:
    """The replica count the new ReplicaSet may go to now (rolling.go NewRSNewReplicas)."""
    if new_replicas >= desired:
        return desired
    max_total = desired + max_surge
    if total_replicas >= max_total:
        return new_replicas
    scale_up = min(max_total - total_replicas, desired - new_replicas)
    return new_replicas + scale_up


def old_rs_scale_down_budget(desired: int, max_unavailable: int, all_replicas: int, new_replicas: int,
                             new_available: int) -> int:
    """How many old pods may be removed now (rolling.go reconcileOldReplicaSets maxScaledDown)."""
    min_available = desired - max_unavailable
    new_unavailable = new_replicas - new_available
    return max(all_replicas - min_available - new_unavailable, 0)


def old_rs_available_scale_down(desired: int, max_unavailable: int, total_available: int) -> int:
    """How many available old pods may go while keeping minAvailable (scaleDownOldReplicaSetsForRollingUpdate)."""
    return max(total_available - (desired - max_unavailable), 0)


@dataclass
class RSInfo:
    obj: dict
    revision: int

    @property
    def name(self) -> str:
        return self.obj["metadata"]["name"]

    @property
    def replicas(self) -> int:
        return int((self.obj.get("spec") or {}).get("replicas") or 0)

    @property
    def available(self) -> int:
        return int((self.obj.get("status") or {}).get("availableReplicas") or 0)


def _revision(rs: dict) -> int:
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


class DeploymentController:
    """Reconciles Deployments into ReplicaSets and writes Deployment status."""

    def __init__(self, mgr: ControllerManager) -> None:
        self.mgr = mgr
        # id(stored template) -> (template, normalized): stored objects are never changed in place, and
        # holding the template keeps its id from being reused; the oldest entry goes once it holds
        # NORMALIZED_KEPT (one at a time: clearing 20,000 at once stalled the API 81 ms at 150,000 pods)
        self._normalized: OrderedDict[int, tuple[dict | None, dict]] = OrderedDict()

    def _same_template(self, a: dict | None, b: dict | None) -> bool:
        """templates_equal for STORED templates, normalizing each one once."""
        return self._normal(a) == self._normal(b)

    def _normal(self, template: dict | None) -> dict:
        hit = self._normalized.get(id(template))
        if hit is not None and hit[0] is template:
            return hit[1]
        if len(self._normalized) >= NORMALIZED_KEPT:
            self._normalized.popitem(last=False)
        normal = normalize_template(template)
        self._normalized[id(template)] = (template, normal)
        return normal

    def _owned_replicasets(self, dep: dict) -> list[RSInfo]:
        uid = dep["metadata"]["uid"]
        out = []
        for key in self.mgr.rs_by_owner.get(uid, ()):
            rs = self.mgr.store.get("replicasets", *key)
            if rs is not None and not rs["metadata"].get("deletionTimestamp"):
                out.append(RSInfo(rs, _revision(rs)))
        return out

    def reconcile(self, namespace: str, name: str) -> int:
        """Sync one Deployment; returns the number of writes made."""
        dep = self.mgr.store.get("deployments", namespace, name)
        if dep is None or dep["metadata"].get("deletionTimestamp"):
            return 0
        spec = dep.get("spec") or {}
        writes = 0
        rss = self._owned_replicasets(dep)
        new = next((r for r in rss if self._same_template(r.obj["spec"].get("template"), spec.get("template"))), None)
        olds = [r for r in rss if r is not new]
        desired = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
        strategy = spec.get("strategy") or {}
        ru = strategy.get("rollingUpdate") or {}
        surge, unavailable = resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), desired)
        if strategy.get("type") == "Recreate":
            surge, unavailable = 0, desired
        max_old_rev = max((r.revision for r in olds), default=0)
        created_new = False
        if spec.get("paused"):
            writes += self._write_status(dep, rss, new, desired, unavailable, created_new=False)
            return writes
        if new is None:
            if strategy.get("type") == "Recreate":
                initial = 0 if any(r.replicas for r in olds) else desired
            else:
                total = sum(r.replicas for r in olds)
                initial = new_rs_scale_up(desired, surge, 0, total)
            new = self._create_rs(dep, max_old_rev + 1, initial)
            if new is None:
                return writes
            writes += 1
            created_new = True
            rss.append(new)
        else:
            writes += self._sync_rs_annotations(dep, new, max_old_rev, desired, surge)
        # scale
        if strategy.get("type") == "Recreate":
            if new.replicas != desired:
                active_old = [r for r in olds if r.replicas > 0]
                for r in active_old:
                    writes += self._scale_rs(dep, r, 0)
                old_pods = sum(int((r.obj.get("status") or {}).get("replicas") or 0) for r in olds)
                if not active_old and old_pods == 0:
                    writes += self._scale_rs(dep, new, desired)
        else:
            total = sum(r.replicas for r in rss)
            target = new_rs_scale_up(desired, surge, new.replicas, total)
            if new.replicas > desired:
                target = desired
            if target != new.replicas:
                writes += self._scale_rs(dep, new, target)
            writes += self._scale_down_olds(dep, new, olds, desired, unavailable)
        writes += self._cleanup(dep, olds)
        dep = self.mgr.store.get("deployments", namespace, name) or dep
        rss = self._owned_replicasets(dep)
        new = next((r for r in rss if self._same_template(r.obj["spec"].get("template"), spec.get("template"))), None)
        writes += self._write_status(dep, rss, new, desired, unavailable, created_new=created_new)
        return writes

    # ---- ReplicaSets --------------------------------------------------------------------------
    def _rs_annotations(self, dep: dict, revision: int, desired: int, surge: int, existing: dict | None) -> dict:
        ann = dict(existing or {})
        for k, v in ((dep["metadata"].get("annotations")) or {}).items():
            if k not in SKIP_ANNOTATIONS and not k.startswith("deployment.kubernetes.io/"):
                ann[k] = v
        ann[REVISION] = str(revision)
        ann[DESIRED_REPLICAS] = str(desired)
        ann[MAX_REPLICAS] = str(desired + surge)
        return ann

    def _create_rs(self, dep: dict, revision: int, replicas: int) -> RSInfo | None:
        meta, spec = dep["metadata"], dep["spec"]
        template = fast_copy(spec.get("template") or {})
        for collision in range(5):
            h = template_hash(spec.get("template") or {}, collision)
            tmeta = template.setdefault("metadata", {})
            tmeta["labels"] = {**(tmeta.get("labels") or {}), "pod-template-hash": h}
            selector = fast_copy(spec.get("selector") or {})
            selector["matchLabels"] = {**(selector.get("matchLabels") or {}), "pod-template-hash": h}
            desired = int(spec.get("replicas", 1) or 0)
            surge, _ = resolve_fenceposts(((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge"),
                                          None, desired)
            rs = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{meta['name']}-{h}",
                    "namespace": meta.get("namespace"),
                    "labels": dict(tmeta["labels"]),
                    "annotations": self._rs_annotations(dep, revision, desired, surge, None),
                    "ownerReferences": [owner_ref(dep, "Deployment", "apps/v1")],
                },
                "spec": {
                    "replicas": replicas,
                    "minReadySeconds": spec.get("minReadySeconds", 0),
                    "selector": selector,
                    "template": template,
                },
                "status": {"replicas": 0},
            }
            try:
                stored = self.mgr.store.create("replicasets", rs)
            except Exception as exc:  # noqa: BLE001
                if getattr(exc, "code", None) == 409:
                    continue
                self.mgr.log_exception(f"create rs for {meta['name']}")
                return None
            self.mgr.note_rs(stored)
            self.mgr.events.record(dep, "Normal", "ScalingReplicaSet",
                                   f"Scaled up replica set {stored['metadata']['name']} from 0 to {replicas}",
                                   kind="Deployment", api_version="apps/v1")
            return RSInfo(stored, revision)
        return None

    def _sync_rs_annotations(self, dep: dict, new: RSInfo, max_old_rev: int, desired: int, surge: int) -> int:
        ann_old = (new.obj["metadata"].get("annotations")) or {}
        revision = new.revision
        history = ann_old.get(REVISION_HISTORY, "")
        if revision <= max_old_rev:  # an old template came back (undo): it becomes the newest revision
            history = ",".join(x for x in [history, str(revision)] if x)
            revision = max_old_rev + 1
        ann = self._rs_annotations(dep, revision, desired, surge, ann_old)
        if history:
            ann[REVISION_HISTORY] = history
        if ann == ann_old:
            return 0
        obj = fast_copy(new.obj)
        obj["metadata"]["annotations"] = ann
        stored = self.mgr.store.update("replicasets", obj, check_rv=False)
        new.obj, new.revision = stored, revision
        return 1

    def _scale_rs(self, dep: dict, rs: RSInfo, replicas: int) -> int:
        old = rs.replicas
        if old == replicas:
            return 0
        obj = fast_copy(rs.obj)
        obj["spec"]["replicas"] = replicas
        desired = int((dep.get("spec") or {}).get("replicas", 1) or 0)
        ann = obj["metadata"].setdefault("annotations", {})
        ann[DESIRED_REPLICAS] = str(desired)
        stored = self.mgr.store.update("replicasets", obj, check_rv=False)
        rs.obj = stored
        verb = "up" if replicas > old else "down"
        self.mgr.events.record(dep, "Normal", "ScalingReplicaSet",
                               f"Scaled {verb} replica set {rs.name} from {old} to {replicas}",
                               kind="Deployment", api_version="apps/v1")
        return 1

    def _scale_down_olds(self, dep: dict, new: RSInfo, olds: list[RSInfo], desired: int, unavailable: int) -> int:
        active = [r for r in olds if r.replicas > 0]
        if not active:
            return 0
        all_replicas = sum(r.replicas for r in active) + new.replicas
        budget = old_rs_scale_down_budget(desired, unavailable, all_replicas, new.replicas, new.available)
        if budget <= 0:
            return 0
        writes = 0
        active.sort(key=lambda r: r.revision)
        # first remove unhealthy old pods (cleanupUnhealthyReplicas)
        for r in active:
            if budget <= 0:
                break
            unhealthy = r.replicas - r.available
            if unhealthy <= 0:
                continue
            n = min(unhealthy, budget)
            writes += self._scale_rs(dep, r, r.replicas - n)
            budget -= n
        # then available old pods while keeping minAvailable
        total_available = sum(r.available for r in active) + new.available
        can_go = min(old_rs_available_scale_down(desired, unavailable, total_available), budget)
        for r in active:
            if can_go <= 0:
                break
            if r.replicas == 0:
                continue
            n = min(r.replicas, can_go)
            writes += self._scale_rs(dep, r, r.replicas - n)
            can_go -= n
        return writes

    def _cleanup(self, dep: dict, olds: list[RSInfo]) -> int:
        limit = (dep.get("spec") or {}).get("revisionHistoryLimit", 10)
        if limit is None:
            return 0
        dead = sorted((r for r in olds if r.replicas == 0
                       and not int((r.obj.get("status") or {}).get("replicas") or 0)), key=lambda r: r.revision)
        writes = 0
        while len(dead) > int(limit):
            r = dead.pop(0)
            try:
                self.mgr.store.delete("replicasets", r.obj["metadata"]["namespace"], r.name)
                writes += 1
            except Exception:  # noqa: BLE001
                pass
        return writes

    # ---- status -------------------------------------------------------------------------------
    def _write_status(self, dep: dict, rss: list[RSInfo], new: RSInfo | None, desired: int, unavailable: int,
                      *, created_new: bool) -> int:
        now = self.mgr.clock()
        meta, spec = dep["metadata"], dep.get("spec") or {}
        old_status = dep.get("status") or {}
        replicas = sum(int((r.obj.get("status") or {}).get("replicas") or 0) for r in rss)
        ready = sum(int((r.obj.get("status") or {}).get("readyReplicas") or 0) for r in rss)
        available = sum(r.available for r in rss)
        updated = int((new.obj.get("status") or {}).get("replicas") or 0) if new else 0
        status = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": replicas,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": available,
            "unavailableReplicas": max(desired - available, 0),
        }
        conds = [dict(c) for c in old_status.get("conditions") or []]
        if available >= desired - unavailable:
            av = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
        else:
            av = ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
        conds = self._set(conds, "Available", *av, now)
        new_name = new.name if new else ""
        complete = (new is not None and updated == desired and replicas == desired and available >= desired
                    and int(new.replicas) == desired)
        prog = get_condition({"status": {"conditions": conds}}, "Progressing")
        if spec.get("paused"):
            conds = self._set(conds, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now)
        elif complete:
            conds = self._set(conds, "Progressing", "True", "NewReplicaSetAvailable",
                              f'ReplicaSet "{new_name}" has successfully progressed.', now)
        elif created_new:
            conds = self._set(conds, "Progressing", "True", "NewReplicaSetCreated",
                              f'Created new replica set "{new_name}"', now, force_update=True)
        else:
            progressed = (updated != old_status.get("updatedReplicas") or available != old_status.get("availableReplicas")
                          or ready != old_status.get("readyReplicas") or replicas != old_status.get("replicas"))
            deadline = spec.get("progressDeadlineSeconds")
            last = parse_epoch(prog.get("lastUpdateTime")) if prog else None
            if (prog and not progressed and deadline is not None and last is not None and now - last > float(deadline)
                    and prog.get("reason") != "NewReplicaSetAvailable"):
                conds = self._set(conds, "Progressing", "False", "ProgressDeadlineExceeded",
                                  f'ReplicaSet "{new_name}" has timed out progressing.', now)
            elif not (prog and prog.get("reason") == "ProgressDeadlineExceeded" and not progressed):
                conds = self._set(conds, "Progressing", "True", "ReplicaSetUpdated",
                                  f'ReplicaSet "{new_name}" is progressing.', now, force_update=progressed)
        status["conditions"] = conds
        if old_status.get("collisionCount") is not None:
            status["collisionCount"] = old_status["collisionCount"]
        writes = 0
        # mirror the new RS revision (and change-cause) on the Deployment
        if new is not None:
            ann = dict(meta.get("annotations") or {})
            rev = str(new.revision)
            if ann.get(REVISION) != rev:
                ann[REVISION] = rev
                obj = fast_copy(dep)
                obj["metadata"]["annotations"] = ann
                dep = self.mgr.store.update("deployments", obj, check_rv=False)
                writes += 1
        if status == old_status:
            return writes
        obj = fast_copy(dep)
        obj["status"] = status
        self.mgr.store.update_status("deployments", obj)
        return writes + 1

    @staticmethod
    def _set(conds: list[dict], ctype: str, status: str, reason: str, message: str, now: float, *,
             force_update: bool = False) -> list[dict]:
        old = next((c for c in conds if c.get("type") == ctype), None)
        stamp = iso(now)
        new = {"type": ctype, "status": status, "lastUpdateTime": stamp, "lastTransitionTime": stamp,
               "reason": reason, "message": message}
        if old is not None:
            if old.get("status") == status:
                new["lastTransitionTime"] = old.get("lastTransitionTime", stamp)
            if old.get("reason") == reason and old.get("message") == message and not force_update:
                new["lastUpdateTime"] = old.get("lastUpdateTime", stamp)
        out = [new if c.get("type") == ctype else c for c in conds]
        if old is None:
            out.append(new)
        return out
