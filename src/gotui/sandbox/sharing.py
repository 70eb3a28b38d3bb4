"""Pods that share their repeated sub-trees: the store's memory at 150,000 pods.

Pods of one ReplicaSet carry the same containers, tolerations, labels and owner reference; pods
started in the same second carry equal conditions. The store keeps each such sub-tree once, keyed by
its JSON text, and every pod holding an equal one points at that instance. Safe because stored
objects are read-only (every change is a new version through the store: see store.py and
tests/sandbox/test_controllers_unit.py::test_stored_objects_are_never_changed_in_place).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

TREE_CAP = 200_000  # distinct sub-trees kept; past it the table starts again (stored pods keep theirs)
_META_SHARED = ("labels", "ownerReferences", "annotations")
_STATUS_UNIQUE = frozenset({"hostIP", "hostIPs", "podIP", "podIPs", "startTime", "phase", "qosClass"})


class SubtreeSharer:
    """Replaces a pod's repeated sub-trees by one shared instance each (in place, on the store's private
    copy, before it is stored)."""

    def __init__(self, dumps: Callable[[Any], bytes], cap: int = TREE_CAP) -> None:
        self._dumps = dumps
        self._trees: dict[bytes, Any] = {}
        self.cap = cap

    def __len__(self) -> int:
        return len(self._trees)

    def shared(self, value: Any) -> Any:
        """The one kept instance equal to `value` (a dict or list), or `value` itself, kept from now on."""
        if not value or type(value) not in (dict, list):
            return value
        text = self._dumps(value)
        found = self._trees.get(text)
        if found is None:
            if len(self._trees) >= self.cap:
                self._trees.clear()
            found = self._trees[text] = value
        return found

    def share_pod(self, pod: dict) -> None:
        share = self.shared
        meta = pod.get("metadata")
        if type(meta) is dict:
            for k in _META_SHARED:
                if k in meta:
                    meta[k] = share(meta[k])
        spec = pod.get("spec")
        if type(spec) is dict:
            for k, v in spec.items():
                if type(v) in (dict, list):
                    spec[k] = share(v)
        status = pod.get("status")
        if type(status) is dict:
            for k, v in status.items():
                if k in _STATUS_UNIQUE or type(v) is not list:
                    continue
                items = []
                for item in v:
                    if type(item) is dict and "containerID" in item:  # one container's status: unique id
                        item = {f: share(x) if type(x) in (dict, list) else x for f, x in item.items()}
                        items.append(item)
                    else:
                        items.append(share(item))
                status[k] = share(items) if k == "conditions" else items
