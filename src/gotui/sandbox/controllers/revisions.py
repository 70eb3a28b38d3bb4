"""ControllerRevisions of StatefulSets and DaemonSets: one per pod template, numbered like the upstream
history (k8s.io/kubernetes/pkg/controller/history): a template that comes back gets the next number."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .util import fast_copy, owner_ref, template_hash

if TYPE_CHECKING:
    from .manager import ControllerManager

HASH_LABEL = "controller.kubernetes.io/hash"


def owned_revisions(mgr: ControllerManager, owner: dict) -> list[dict]:
    """The ControllerRevisions `owner` controls, oldest revision first."""
    meta = owner["metadata"]
    out = [cr for cr in mgr.store.list("controllerrevisions", meta.get("namespace"))[0]
           if any(ref.get("uid") == meta["uid"] and ref.get("controller")
                  for ref in cr["metadata"].get("ownerReferences") or [])]
    return sorted(out, key=lambda cr: int(cr.get("revision") or 0))


def ensure(mgr: ControllerManager, owner: dict, kind: str) -> tuple[str, str, int]:
    """(revision name, template hash, writes) of the owner's current template, creating its
    ControllerRevision (or renumbering an old one that came back) and pruning beyond revisionHistoryLimit."""
    meta, spec = owner["metadata"], owner.get("spec") or {}
    template = spec.get("template") or {}
    h = template_hash(template)
    name = f"{meta['name']}-{h}"
    revs = owned_revisions(mgr, owner)
    top = max((int(cr.get("revision") or 0) for cr in revs), default=0)
    mine = next((cr for cr in revs if cr["metadata"]["name"] == name), None)
    writes = 0
    if mine is None:
        labels = dict(((template.get("metadata") or {}).get("labels")) or {})
        labels[HASH_LABEL] = h
        data_template = fast_copy(template)
        data_template["$patch"] = "replace"
        try:
            mgr.store.create("controllerrevisions", {
                "apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": name, "namespace": meta.get("namespace"), "labels": labels,
                             "ownerReferences": [owner_ref(owner, kind, "apps/v1")]},
                "data": {"spec": {"template": data_template}}, "revision": top + 1})
            writes += 1
        except Exception:  # noqa: BLE001 - exists already (a race with a delete): next pass
            pass
    elif int(mine.get("revision") or 0) < top:
        new = fast_copy(mine)
        new["revision"] = top + 1
        mgr.store.update("controllerrevisions", new, check_rv=False)
        writes += 1
    limit = int(spec.get("revisionHistoryLimit", 10) or 0)
    in_use = {name, str((owner.get("status") or {}).get("currentRevision") or "")}
    old = [cr for cr in owned_revisions(mgr, owner) if cr["metadata"]["name"] not in in_use]
    for cr in old[: max(0, len(old) - limit)]:
        try:
            mgr.store.delete("controllerrevisions", meta.get("namespace", ""), cr["metadata"]["name"])
            writes += 1
        except Exception:  # noqa: BLE001 - gone already
            pass
    return name, h, writes


def revision_of(pod: dict[str, Any]) -> str:
    """The `controller-revision-hash` label of a pod."""
    return ((pod.get("metadata") or {}).get("labels") or {}).get("controller-revision-hash", "")
