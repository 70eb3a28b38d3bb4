"""v1 Events for what the simulated controllers do, aggregated like the real event recorder.

Repeats of the same (object, type, reason, message) bump `count` and `lastTimestamp` of one Event
instead of creating a new one. The number of Events the recorder keeps is bounded: the oldest it made
are deleted once `max_events` is exceeded.
"""

from __future__ import annotations

import itertools
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .util import fast_copy, iso

KIND_BY_RESOURCE = {
    "pods": ("Pod", "v1"),
    "services": ("Service", "v1"),
    "deployments": ("Deployment", "apps/v1"),
    "replicasets": ("ReplicaSet", "apps/v1"),
    "horizontalpodautoscalers": ("HorizontalPodAutoscaler", "autoscaling/v2"),
    "endpoints": ("Endpoints", "v1"),
    "namespaces": ("Namespace", "v1"),
}

# Which component reports which reason (source.component).
COMPONENT_BY_REASON = {
    "Scheduled": "default-scheduler",
    "ScalingReplicaSet": "deployment-controller",
    "SuccessfulCreate": "replicaset-controller",
    "SuccessfulDelete": "replicaset-controller",
    "SuccessfulRescale": "horizontal-pod-autoscaler",
}


class EventRecorder:
    """Creates and aggregates Events in a store; keeps at most `max_events` of its own."""

    def __init__(self, store: Any, *, clock: Callable[[], float] = time.time, max_events: int = 1000) -> None:
        self.store = store
        self.clock = clock
        self.max_events = max_events
        self.enabled = True
        self.pod_events = True  # kubelet/replicaset per-pod events (off for the big scenario)
        self._keys: OrderedDict[tuple, tuple[str, str]] = OrderedDict()
        self._seq = itertools.count(1)
        self.dropped = 0

    def record(self, involved: dict, etype: str, reason: str, message: str, *, kind: str | None = None,
               api_version: str | None = None, host: str | None = None, field_path: str | None = None,
               component: str | None = None) -> dict | None:
        """Record one Event about `involved` (Normal/Warning); returns the stored Event or None."""
        if not self.enabled:
            return None
        meta = involved.get("metadata") or {}
        kind = kind or involved.get("kind") or "Pod"
        api_version = api_version or involved.get("apiVersion") or "v1"
        if not self.pod_events and kind == "Pod":
            self.dropped += 1
            return None
        if not self.pod_events and reason in ("SuccessfulCreate", "SuccessfulDelete"):
            self.dropped += 1
            return None
        ns = meta.get("namespace") or "default"
        key = (ns, kind, meta.get("name"), meta.get("uid"), etype, reason, message, field_path)
        now = self.clock()
        existing_ref = self._keys.get(key)
        if existing_ref is not None:
            existing = self.store.get("events", *existing_ref)
            if existing is not None:
                ev = fast_copy(existing)
                ev["count"] = int(ev.get("count") or 1) + 1
                ev["lastTimestamp"] = iso(now)
                ev["metadata"].pop("managedFields", None)
                self._keys.move_to_end(key)
                try:
                    return self.store.update("events", ev, check_rv=False)
                except Exception:  # noqa: BLE001 - an event must never break a controller
                    return None
            self._keys.pop(key, None)
        component = component or COMPONENT_BY_REASON.get(reason) or ("kubelet" if kind == "Pod" else "controller")
        involved_ref = {
            "apiVersion": api_version,
            "kind": kind,
            "name": meta.get("name"),
            "namespace": ns,
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        if field_path:
            involved_ref["fieldPath"] = field_path
        source: dict = {"component": component}
        if host and component == "kubelet":
            source["host"] = host
        name = f"{meta.get('name')}.{int(now * 1e9) + next(self._seq):x}"
        ev = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved_ref,
            "reason": reason,
            "message": message,
            "type": etype,
            "count": 1,
            "firstTimestamp": iso(now),
            "lastTimestamp": iso(now),
            "eventTime": None,
            "source": source,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
        try:
            stored = self.store.create("events", ev)
        except Exception:  # noqa: BLE001
            return None
        self._keys[key] = (ns, name)
        while len(self._keys) > self.max_events:
            _, (ons, oname) = self._keys.popitem(last=False)
            try:
                self.store.delete("events", ons, oname)
            except Exception:  # noqa: BLE001 - already gone
                pass
        return stored


_RECORDERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def recorder_for(store: Any, *, clock: Callable[[], float] = time.time) -> EventRecorder:
    """The EventRecorder attached to `store` (one per store)."""
    rec = _RECORDERS.get(store)
    if rec is None:
        rec = EventRecorder(store, clock=clock)
        _RECORDERS[store] = rec
    return rec


def record_event(store: Any, involved_obj: dict, type: str, reason: str, message: str, **kw: Any) -> dict | None:  # noqa: A002
    """Record an Event about `involved_obj` in `store` (contract helper; aggregates repeats)."""
    return recorder_for(store).record(involved_obj, type, reason, message, **kw)
