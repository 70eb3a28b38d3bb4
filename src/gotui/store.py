"""ClusterStore: the thread-safe in-memory cache of Kubernetes objects fed by the Watchers.

Objects are the raw JSON dicts as the API sends them (camelCase), keyed by (kind, namespace, name).
Watcher threads write; the UI reads. Consumers learn what changed two ways:
- `take_dirty()` (one consumer, the KubeBridge) returns the kinds changed since the last call; the
  store calls `on_dirty()` when the first change after a take arrives, so the bridge can schedule one
  coalesced flush instead of polling;
- `changes_since(kind, seq)` returns the keys changed since a sequence number (or None: rebuild), so a
  pane with 10,000 rows recomputes only the rows that changed.
A kind can have a `derive` function (pods: the Pods pane's row): it runs in the writing thread, off the
UI loop, and `row`/`rows` return its results.
No Textual import.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable
from typing import Any

Key = tuple[str, str]  # (namespace, name)

_LOG_MAX = 50_000


def obj_key(obj: dict) -> Key:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


class ClusterStore:
    """Thread-safe cache of raw objects per kind."""

    def __init__(self, on_dirty: Callable[[], None] | None = None,
                 derive: dict[str, Callable[[dict], Any]] | None = None) -> None:
        self._lock = threading.RLock()
        self._objs: dict[str, dict[Key, dict]] = {}
        self._derive = dict(derive or {})
        self._rows: dict[str, dict[Key, Any]] = {}
        self._gen: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._seq = 0
        self._log: dict[str, list[tuple[int, Key]]] = {}
        self._floor: dict[str, int] = {}  # changes at or before this seq are not in the log
        self._synced: set[str] = set()
        self.on_dirty = on_dirty

    # -- reads ------------------------------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> dict | None:
        with self._lock:
            return self._objs.get(kind, {}).get((namespace or "", name))

    def list(self, kind: str, namespace: str | None = None) -> list[dict]:
        with self._lock:
            objs = self._objs.get(kind, {})
            if namespace is None:
                return list(objs.values())
            return [o for (ns, _), o in objs.items() if ns == namespace]

    def row(self, kind: str, key: Key) -> Any | None:
        """The derived row of one object (kinds with a `derive` function), or None."""
        with self._lock:
            return self._rows.get(kind, {}).get(key)

    def rows(self, kind: str) -> dict[Key, Any]:
        """Every derived row of `kind` by key (a copy)."""
        with self._lock:
            return dict(self._rows.get(kind, {}))

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._objs.get(kind, {}))

    def generation(self, kind: str) -> int:
        with self._lock:
            return self._gen.get(kind, 0)

    def synced(self, kind: str) -> bool:
        """True once the kind's first list has arrived."""
        with self._lock:
            return kind in self._synced

    @property
    def seq(self) -> int:
        with self._lock:
            return self._seq

    def changes_since(self, kind: str, seq: int) -> tuple[int, set[Key] | None]:
        """(current seq, keys of `kind` changed after `seq`), or (seq, None) when a rebuild is needed."""
        with self._lock:
            now = self._seq
            if seq < self._floor.get(kind, 0):
                return now, None
            log = self._log.get(kind, [])
            keys: set[Key] = set()
            for s, key in reversed(log):
                if s <= seq:
                    break
                keys.add(key)
            return now, keys

    def take_dirty(self) -> frozenset[str]:
        """The kinds changed since the last call (the bridge's coalescing point)."""
        with self._lock:
            dirty = frozenset(self._dirty)
            self._dirty.clear()
            return dirty

    # -- writes (from Watcher threads) ------------------------------------------------------------
    def _touch(self, kind: str, key: Key | None) -> None:
        self._seq += 1
        self._gen[kind] = self._gen.get(kind, 0) + 1
        if key is None:
            self._floor[kind] = self._seq
            self._log[kind] = []
        else:
            log = self._log.setdefault(kind, [])
            log.append((self._seq, key))
            if len(log) > _LOG_MAX:
                cut = len(log) // 2
                self._floor[kind] = log[cut - 1][0]
                del log[:cut]
        notify = not self._dirty
        self._dirty.add(kind)
        if notify and self.on_dirty is not None:
            self.on_dirty()

    def replace(self, kind: str, items: builtins.list[dict]) -> None:
        """Replace every object of `kind` (after a list): consumers rebuild."""
        new = {obj_key(o): o for o in items}
        derive = self._derive.get(kind)
        rows = {key: derive(o) for key, o in new.items()} if derive else None
        with self._lock:
            self._objs[kind] = new
            if rows is not None:
                self._rows[kind] = rows
            self._synced.add(kind)
            self._touch(kind, None)

    def upsert(self, kind: str, obj: dict) -> None:
        key = obj_key(obj)
        derive = self._derive.get(kind)
        row = derive(obj) if derive else None
        with self._lock:
            self._objs.setdefault(kind, {})[key] = obj
            if derive:
                self._rows.setdefault(kind, {})[key] = row
            self._touch(kind, key)

    def delete(self, kind: str, obj: dict) -> None:
        key = obj_key(obj)
        with self._lock:
            if self._objs.get(kind, {}).pop(key, None) is not None:
                self._rows.get(kind, {}).pop(key, None)
                self._touch(kind, key)

    def clear(self) -> None:
        """Forget everything (context or namespace switch)."""
        with self._lock:
            kinds = list(self._objs)
            self._objs.clear()
            self._rows.clear()
            self._synced.clear()
            for kind in kinds:
                self._touch(kind, None)
