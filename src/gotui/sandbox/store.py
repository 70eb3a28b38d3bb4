"""The sandbox's in-memory object store: one global resourceVersion, watch history, subscribers.

Objects are plain JSON dicts in wire form. `get`/`list` return the STORED dicts: treat them as
read-only; to change one, deep-copy it, modify it and call `update` / `update_status`. Every write
stores a private copy, serializes it once (the cached bytes are joined for list responses and watch
events) and bumps the global resourceVersion.

Pod deletion: `delete("pods", ns, name)` without `force` on a scheduled (spec.nodeName set), not yet
finished pod is graceful: it sets metadata.deletionTimestamp and deletionGracePeriodSeconds (a MODIFIED
event; kubectl shows "Terminating") and schedules the final removal after
`min(grace, store.pod_termination_seconds)` seconds (default 1 s) on the running event loop. The kubelet
simulation may remove it earlier with `delete(..., force=True)`; a second delete of a terminating pod is
a no-op unless forced or given grace 0. Without a running event loop the deletion is immediate.

Garbage collection: deleting an object also deletes (background propagation) every object whose
metadata.ownerReferences name its uid, unless propagation is "Orphan"; deleting a namespace deletes
everything in it.

Watch history: the last `history_size` events (default 20,000) of EACH resource are kept; a watch
from an older resourceVersion gets 410 Expired. `compact()` drops the history (like an etcd compaction) so tests can
provoke 410.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
import random
import time
import uuid
import weakref
from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from gotui.sandbox import errors
from gotui.sandbox.errors import ApiError
from gotui.sandbox.resources import RESOURCES, REVIEWS, STORED
from gotui.sandbox.selectors import name_from_field_selector, parse_field_selector, parse_label_selector
from gotui.sandbox.validation import apply_defaults, validate

log = logging.getLogger(__name__)

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - optional speed-up
    _orjson = None  # type: ignore[assignment]

Subscriber = Callable[[str, str, dict], None]
_GEN_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_OWNER_RESOURCES = ("controllerrevisions", "replicasets", "pods", "endpointslices", "endpoints", "horizontalpodautoscalers",
                    "configmaps", "secrets", "services", "deployments", "statefulsets", "daemonsets")
_OWNER_RESOURCE_SET = frozenset(_OWNER_RESOURCES)


class HistoryEvent(NamedTuple):
    """One committed write, as kept for watch replay."""

    rv: int
    resource: str
    type: str
    namespace: str
    data: bytes  # the serialized object after the write (the final object for DELETED)
    old_labels: dict | None  # labels before the write (for selector transitions), None on create


class Snapshot:
    """A resource as it was at `rv`, for a chunked list: the keys then, and each object then (the live
    maps, except where a write since has replaced or deleted it: that version is kept here)."""

    __slots__ = ("keys", "rv", "_objs", "_data", "_kept", "__weakref__")

    def __init__(self, keys: list[tuple[str, str]], objs: dict, data: dict, rv: int) -> None:
        self.keys, self.rv = keys, rv
        self._objs, self._data = objs, data
        self._kept: dict[tuple[str, str], tuple[dict, bytes]] = {}

    def keep(self, key: tuple[str, str], entry: tuple[Any, Any]) -> None:
        """A write replaces or deletes `key`: keep the version this snapshot saw (the first one only)."""
        if key not in self._kept:
            self._kept[key] = entry

    def entry(self, key: tuple[str, str]) -> tuple[dict, bytes]:
        """(object, cached bytes) of `key` as it was at `rv` (a key of `keys`)."""
        kept = self._kept.get(key)
        return kept if kept is not None else (self._objs[key], self._data[key])


def dumps(obj: Any) -> bytes:
    """Compact JSON bytes (what the store caches and the server sends); orjson when installed (a
    150,000-pod scenario spends most of its creation time serializing); the same JSON either way (floats may be spelled differently: 1e20, 1e+20)."""
    if _orjson is not None:
        try:
            # a copy of exactly its length: orjson's bytes keep their whole growth buffer (measured:
            # 7.9 KB of memory for a 2.4 KB pod, 825 MB more at 150,000 pods); the copy is ~1 us
            return memoryview(_orjson.dumps(obj, option=_orjson.OPT_NON_STR_KEYS)).tobytes()
        except TypeError:  # e.g. an integer beyond 64 bits: the standard encoder says what is wrong
            pass
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def fast_copy(value: Any) -> Any:
    """Deep copy of JSON-like data (dicts/lists copied, tuples become lists; strings and numbers shared,
    which keeps memory low: equal keys and values are one object across all stored versions)."""
    t = type(value)
    if t is dict:
        return {k: fast_copy(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [fast_copy(v) for v in value]
    return value


def format_time(ts: float) -> str:
    """RFC 3339 UTC with second precision, like metav1.Time."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ObjectStore:
    """In-memory Kubernetes object store (see module doc for the semantics)."""

    def __init__(self, *, seed: int = 0, clock: Callable[[], float] = time.time, history_size: int = 20_000,
                 pod_termination_seconds: float = 1.0):
        self.clock = clock
        self.pod_termination_seconds = pod_termination_seconds
        self._rng = random.Random(seed)
        self._objects: dict[str, dict[tuple[str, str], dict]] = {r: {} for r in STORED}
        self._data: dict[str, dict[tuple[str, str], bytes]] = {r: {} for r in STORED}
        self._sorted: dict[str, list[tuple[str, str]] | None] = {r: None for r in STORED}
        # owner uid -> the (resource, key) of objects whose ownerReferences name it (garbage collection
        # without scanning every object on each delete)
        self._dependents: dict[str, set[tuple[str, tuple[str, str]]]] = {}
        self._rv = 0
        # one history per resource (like the apiserver's per-resource watch cache), so a busy resource
        # (pods) does not expire the resourceVersions of quiet ones (HPAs)
        self._history_size = history_size
        self._history: dict[str, deque[HistoryEvent]] = {r: deque(maxlen=history_size) for r in STORED}
        self._floor: dict[str, int] = {r: 0 for r in STORED}  # history[r] holds every r event with rv > floor
        self._subscribers: list[Subscriber] = []
        self._listeners: list[Callable[[HistoryEvent, dict], None]] = []
        self._ip_counter = 10
        self._now_cache: tuple[int, str] = (-1, "")
        self.compacted_rv = 0  # continue tokens of lists older than this get 410 (see paging.py)
        self._pending_deletes: dict[str, asyncio.TimerHandle] = {}
        self._snapshots: dict[str, weakref.WeakSet[Snapshot]] = {}  # open list snapshots, per resource

    # --- reading ---------------------------------------------------------------------------------

    @property
    def resource_version(self) -> str:
        """The current global resourceVersion."""
        return str(self._rv)

    def oldest_resource_version(self, resource: str = "pods") -> int:
        """Watches of `resource` from a resourceVersion lower than this get 410 Expired."""
        self._check(resource)
        return self._floor[resource]

    def now(self) -> str:
        """The current time in RFC 3339."""
        t = self.clock()
        if int(t) != self._now_cache[0]:
            self._now_cache = (int(t), format_time(t))
        return self._now_cache[1]

    def _check(self, resource: str) -> None:
        if resource not in self._objects:
            if resource in RESOURCES and resource not in REVIEWS:  # a custom resource registered since
                self._objects[resource], self._data[resource], self._sorted[resource] = {}, {}, None
                self._history[resource] = deque(maxlen=self._history_size)
                self._floor[resource] = self._rv
                return
            raise ApiError(404, "NotFound", f"the server could not find the requested resource ({resource})")

    def drop_resource(self, resource: str) -> None:
        """Delete every object of a custom resource (its CRD is gone): DELETED events, then forget it."""
        if resource not in self._objects:
            return
        for key in list(self._objects[resource]):
            if resource in RESOURCES:
                try:
                    self.delete(resource, key[0], key[1], force=True)
                except ApiError:
                    pass
        for table in (self._objects, self._data, self._sorted, self._history, self._floor):
            table.pop(resource, None)  # type: ignore[attr-defined]

    def get(self, resource: str, namespace: str, name: str) -> dict | None:
        """The stored object or None (read-only)."""
        self._check(resource)
        if not RESOURCES[resource].namespaced:
            namespace = ""
        return self._objects[resource].get((namespace or "", name))

    def get_data(self, resource: str, namespace: str, name: str) -> bytes | None:
        """The cached JSON bytes of a stored object."""
        if not RESOURCES[resource].namespaced:
            namespace = ""
        return self._data[resource].get((namespace or "", name))

    def _keys(self, resource: str) -> list[tuple[str, str]]:
        keys = self._sorted[resource]
        if keys is None:
            keys = self._sorted[resource] = sorted(self._objects[resource])
        return keys

    def list_entries(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
                     field_selector: str | None = None) -> tuple[list[tuple[dict, bytes]], str]:
        """(object, cached bytes) pairs matching, sorted by namespace/name, and the list resourceVersion."""
        self._check(resource)
        labels = parse_label_selector(label_selector)
        fields = parse_field_selector(resource, field_selector)
        objs, data = self._objects[resource], self._data[resource]
        if not RESOURCES[resource].namespaced:
            namespace = None
        only_name = name_from_field_selector(field_selector)
        if only_name is not None and namespace:
            keys = [(namespace, only_name)] if (namespace, only_name) in objs else []
        else:
            keys = self._keys(resource)
        out = []
        for key in keys:
            if namespace and key[0] != namespace:
                continue
            obj = objs[key]
            if labels is not None and not labels(obj["metadata"].get("labels") or {}):
                continue
            if fields is not None and not fields(obj):
                continue
            out.append((obj, data[key]))
        return out, str(self._rv)

    def snapshot(self, resource: str) -> Snapshot:
        """The state of `resource` now, for a chunked list to read its later pages from: its sorted keys
        (a copy) and each object as it is now. The object maps are not copied (two copies of 150,000
        entries paused the API ~100 ms, touching every object): a write keeps the version it replaces
        aside for each snapshot open on its resource (copy on write)."""
        self._check(resource)
        snap = Snapshot(builtins.list(self._keys(resource)), self._objects[resource], self._data[resource], self._rv)
        self._snapshots.setdefault(resource, weakref.WeakSet()).add(snap)
        return snap

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[dict], str]:
        """Matching stored objects (read-only) sorted by namespace/name, and the list resourceVersion."""
        entries, rv = self.list_entries(resource, namespace, label_selector, field_selector)
        return [o for o, _ in entries], rv

    def count(self, resource: str) -> int:
        """How many objects of a resource exist."""
        return len(self._objects.get(resource, ()))

    # --- subscriptions ---------------------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(event_type, resource, obj)` after every committed write; returns an unsubscriber."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def add_listener(self, callback: Callable[[HistoryEvent, dict], None]) -> Callable[[], None]:
        """Low-level hook for watches: `callback(history_event, obj)` for every write, before subscribers."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def history_since(self, rv: int, resource: str) -> builtins.list[HistoryEvent]:
        """Events of `resource` with resourceVersion > rv; 410 Expired if some were already dropped."""
        self._check(resource)
        floor = self._floor[resource]
        if rv < floor:
            raise errors.expired(f"too old resource version: {rv} ({floor + 1})")
        if rv >= self._rv:
            return []
        hist = self._history[resource]
        # events are in rv order: walk back from the end
        out: list[HistoryEvent] = []
        for ev in reversed(hist):
            if ev.rv <= rv:
                break
            out.append(ev)
        out.reverse()
        return out

    def compact(self) -> int:
        """Drop all watch history (like an etcd compaction); returns the new oldest usable resourceVersion."""
        for resource, hist in self._history.items():
            hist.clear()
            self._floor[resource] = self._rv
        self.compacted_rv = self._rv
        return self._rv

    # --- writing ---------------------------------------------------------------------------------

    def _next_ip(self) -> str:
        self._ip_counter += 1
        n = self._ip_counter
        return f"10.96.{(n // 250) % 250}.{n % 250 + 1}"

    def new_uid(self) -> str:
        """A deterministic (per seed) random UUID."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _commit(self, event_type: str, resource: str, key: tuple[str, str], obj: dict,
                old: dict | None) -> dict:
        rv = self._rv + 1
        obj["metadata"]["resourceVersion"] = str(rv)
        try:
            data = dumps(obj)
        except (TypeError, ValueError) as exc:
            raise errors.bad_request(f"object is not serializable: {exc}") from None
        self._rv = rv
        if resource in _OWNER_RESOURCE_SET:
            self._index_owners(resource, key, old, None if event_type == "DELETED" else obj)

        open_snaps = self._snapshots.get(resource)
        if open_snaps:
            before = (self._objects[resource].get(key), self._data[resource].get(key))
            if before[0] is not None:
                for snap in open_snaps:
                    snap.keep(key, before)
        keys = self._sorted[resource]
        if event_type == "DELETED":
            if self._objects[resource].pop(key, None) is not None and keys is not None:
                # keep the sorted key list instead of sorting 150,000 keys again on the next list
                i = bisect_left(keys, key)
                if i < len(keys) and keys[i] == key:
                    del keys[i]
                else:
                    self._sorted[resource] = None
            self._data[resource].pop(key, None)
        else:
            if key not in self._objects[resource] and keys is not None:
                insort(keys, key)
            self._objects[resource][key] = obj
            self._data[resource][key] = data
        hist = self._history[resource]
        if hist.maxlen is not None and len(hist) == hist.maxlen:
            self._floor[resource] = hist[0].rv
        old_labels = (old["metadata"].get("labels") or {}) if old is not None else None
        ev = HistoryEvent(self._rv, resource, event_type, key[0], data, old_labels)
        hist.append(ev)
        for listener in list(self._listeners):
            try:
                listener(ev, obj)
            except Exception:  # a broken watcher must not break writes
                log.exception("watch listener failed")
        for sub in list(self._subscribers):
            try:
                sub(event_type, resource, obj)
            except Exception:
                log.exception("store subscriber failed")
        if resource == "customresourcedefinitions":  # serve (or stop serving) the custom resource
            from gotui.sandbox import crds

            crds.removed(self, obj) if event_type == "DELETED" else crds.established(obj)
        return obj

    def _private(self, obj: Any) -> dict:
        if not isinstance(obj, dict):
            raise errors.bad_request("the body of the request was in an unknown format: expected an object")
        return fast_copy(obj)

    def create(self, resource: str, obj: dict, *, adopt: bool = False) -> dict:
        """Store a new object: uid, creationTimestamp, resourceVersion, generation=1, namespace; 409 if it exists.

        `adopt=True` stores `obj` itself instead of a private copy (the simulated controllers' bulk
        pod creation: the caller built it fresh and never touches it again)."""
        self._check(resource)
        info = RESOURCES[resource]
        obj = obj if adopt and isinstance(obj, dict) else self._private(obj)
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            meta = obj["metadata"] = {}
        if info.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        ns = meta.get("namespace", "")
        if not meta.get("name") and isinstance(meta.get("generateName"), str) and meta["generateName"]:
            for _ in range(100):
                name = meta["generateName"] + "".join(self._rng.choice(_GEN_ALPHABET) for _ in range(5))
                if (ns, name) not in self._objects[resource]:
                    meta["name"] = name
                    break
        validate(resource, obj)
        key = (ns, meta["name"])
        if key in self._objects[resource]:
            raise errors.already_exists(resource, meta["name"])
        obj["kind"] = info.kind
        obj["apiVersion"] = info.api_version
        meta["uid"] = self.new_uid()
        meta.setdefault("creationTimestamp", self.now())
        if not meta.get("creationTimestamp"):
            meta["creationTimestamp"] = self.now()
        meta["generation"] = 1
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(k, None)
        apply_defaults(resource, obj, None, self._next_ip)
        return self._commit("ADDED", resource, key, obj, None)

    def update(self, resource: str, obj: dict, *, check_rv: bool = True) -> dict:
        """Replace an object (status included); 409 on a stale resourceVersion; generation+1 when spec changed.

        An update that changes nothing is not written (no new resourceVersion, no event)."""
        self._check(resource)
        info = RESOURCES[resource]
        obj = self._private(obj)
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise errors.invalid(resource, info.kind, "", [("FieldValueRequired", "Required value: name is required",
                                                            "metadata.name")])
        ns = (meta.get("namespace") or "default") if info.namespaced else ""
        key = (ns, meta["name"])
        existing = self._objects[resource].get(key)
        if existing is None:
            raise errors.not_found(resource, meta["name"])
        old_meta = existing["metadata"]
        if check_rv and meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise errors.conflict(resource, meta["name"])
        validate(resource, obj)
        obj["kind"] = info.kind
        obj["apiVersion"] = info.api_version
        if info.namespaced:
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if k in old_meta:
                meta[k] = old_meta[k]
            else:
                meta.pop(k, None)
        apply_defaults(resource, obj, existing, self._next_ip)
        generation = old_meta.get("generation", 1)
        if obj.get("spec") != existing.get("spec"):
            generation += 1
        meta["generation"] = generation
        meta["resourceVersion"] = old_meta["resourceVersion"]
        if obj == existing:
            return existing
        return self._commit("MODIFIED", resource, key, obj, existing)

    def update_status(self, resource: str, obj: dict, *, check_rv: bool = False) -> dict:
        """Replace only `status` of the stored object (generation unchanged); 409 on stale RV if check_rv."""
        self._check(resource)
        info = RESOURCES[resource]
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(meta, dict) or not meta.get("name"):
            raise errors.bad_request("name is required")
        ns = (meta.get("namespace") or "default") if info.namespaced else ""
        existing = self._objects[resource].get((ns, meta["name"]))
        if existing is None:
            raise errors.not_found(resource, meta["name"])
        if check_rv and meta.get("resourceVersion") and meta["resourceVersion"] != existing["metadata"]["resourceVersion"]:
            raise errors.conflict(resource, meta["name"])
        new = fast_copy(existing)
        status = fast_copy(obj.get("status"))
        if status is None:
            new.pop("status", None)
        else:
            new["status"] = status
        apply_defaults(resource, new, existing, self._next_ip)
        if new == existing:
            return existing
        return self._commit("MODIFIED", resource, (ns, meta["name"]), new, existing)

    def delete(self, resource: str, namespace: str, name: str, *, force: bool = False,
               grace_period_seconds: int | None = None, propagation: str | None = None,
               uid: str | None = None, resource_version: str | None = None) -> dict:
        """Delete an object and return its final state (graceful for running pods, see module doc)."""
        self._check(resource)
        info = RESOURCES[resource]
        ns = (namespace or "default") if info.namespaced else ""
        key = (ns, name)
        existing = self._objects[resource].get(key)
        if existing is None:
            raise errors.not_found(resource, name)
        if uid and existing["metadata"].get("uid") != uid:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {info.group_resource} "{name}": '
                           f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                           f"{existing['metadata'].get('uid')}", {"name": name, "kind": resource})
        if resource_version and existing["metadata"].get("resourceVersion") != resource_version:
            raise errors.conflict(resource, name)
        if resource == "pods" and not force and grace_period_seconds != 0:
            phase = (existing.get("status") or {}).get("phase")
            scheduled = bool((existing.get("spec") or {}).get("nodeName"))
            if scheduled and phase not in ("Succeeded", "Failed"):
                return self._graceful_pod_delete(existing, key, grace_period_seconds)
        self._cancel_pending(resource, key)
        final = fast_copy(existing)
        final["metadata"].setdefault("deletionTimestamp", self.now())
        final["metadata"].setdefault("deletionGracePeriodSeconds", 0)
        result = self._commit("DELETED", resource, key, final, existing)
        if propagation != "Orphan":
            self._collect_garbage(resource, ns, existing)
        return result

    def _graceful_pod_delete(self, existing: dict, key: tuple[str, str], grace: int | None) -> dict:
        if existing["metadata"].get("deletionTimestamp"):
            return existing
        if grace is None:
            grace = (existing.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
        new = fast_copy(existing)
        new["metadata"]["deletionTimestamp"] = format_time(self.clock() + grace)
        new["metadata"]["deletionGracePeriodSeconds"] = grace
        obj = self._commit("MODIFIED", "pods", key, new, existing)
        delay = min(float(grace), self.pod_termination_seconds)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self.delete("pods", key[0], key[1], force=True)
        uid = new["metadata"]["uid"]
        handle = loop.call_later(delay, self._finish_pod_delete, key, uid)
        self._pending_deletes[f"pods/{key[0]}/{key[1]}"] = handle
        return obj

    def _finish_pod_delete(self, key: tuple[str, str], uid: str) -> None:
        self._pending_deletes.pop(f"pods/{key[0]}/{key[1]}", None)
        current = self._objects["pods"].get(key)
        if current is not None and current["metadata"].get("uid") == uid:
            try:
                self.delete("pods", key[0], key[1], force=True)
            except ApiError:
                pass

    def _cancel_pending(self, resource: str, key: tuple[str, str]) -> None:
        handle = self._pending_deletes.pop(f"{resource}/{key[0]}/{key[1]}", None)
        if handle is not None:
            handle.cancel()

    def _index_owners(self, resource: str, key: tuple[str, str], old: dict | None, new: dict | None) -> None:
        def uids(obj: dict | None) -> set[str]:
            refs = (obj or {}).get("metadata", {}).get("ownerReferences") or []
            return {ref["uid"] for ref in refs if isinstance(ref, dict) and isinstance(ref.get("uid"), str)}

        before, after = uids(old), uids(new)
        entry = (resource, key)
        for uid in before - after:
            deps = self._dependents.get(uid)
            if deps is not None:
                deps.discard(entry)
                if not deps:
                    del self._dependents[uid]
        for uid in after - before:
            self._dependents.setdefault(uid, set()).add(entry)

    def _collect_garbage(self, resource: str, ns: str, owner: dict) -> None:
        if resource == "namespaces":
            name = owner["metadata"]["name"]
            for res in list(self._objects):
                if res not in RESOURCES or not RESOURCES[res].namespaced:
                    continue
                for key in [k for k in self._objects[res] if k[0] == name]:
                    if key in self._objects[res]:
                        self.delete(res, key[0], key[1], force=True)
            return
        uid = owner["metadata"].get("uid")
        if resource not in ("deployments", "replicasets", "services", "pods", "horizontalpodautoscalers",
                            "secrets", "configmaps", "statefulsets", "daemonsets"):
            return
        found = self._dependents.get(uid) if isinstance(uid, str) else None
        dependents = sorted(found or (), key=lambda entry: (_OWNER_RESOURCES.index(entry[0]), entry[1]))
        for res, key in dependents:
            if key[0] == ns and key in self._objects[res]:
                try:
                    self.delete(res, key[0], key[1])
                except ApiError:
                    pass

    def close(self) -> None:
        """Cancel scheduled pod removals."""
        for handle in self._pending_deletes.values():
            handle.cancel()
        self._pending_deletes.clear()
