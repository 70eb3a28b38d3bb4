"""Generic access to any kind: server-side Tables (the columns kubectl prints), kept live by a
`TableWatcher` thread (list as Table, then watch as Table from the list's resourceVersion, on the watch
layer's one loop `ListWatch`), and single objects (get, their events, delete). Raw JSON through
`gotui.kube.client`; no Textual.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gotui.kube.client import finish, read_json, request
from gotui.kube.kinds import Kind
from gotui.sources.kube_source import ListWatch, WatchExpired, abort_response  # noqa: F401 - abort_response: re-exported

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                "application/json")
RowKey = tuple[str, str]  # (namespace or "", name)


def _json(resp: Any) -> Any:
    return read_json(resp) or {}


# -- tables -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableColumn:
    name: str
    type: str = "string"
    priority: int = 0


@dataclass
class TableRow:
    """One row: its cells as text, and the object's metadata (namespace, name, creation time, labels)."""

    namespace: str
    name: str
    cells: list[str]
    created: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    when: str = ""  # Events: when it last happened (lastTimestamp, eventTime...); others: created

    @property
    def key(self) -> RowKey:
        return (self.namespace, self.name)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def parse_table(doc: dict[str, Any]) -> tuple[list[TableColumn], list[TableRow], str]:
    """(columns, rows, resourceVersion) of a meta.k8s.io Table — or of a plain List, which gets
    kubectl's fallback columns Name and Age."""
    rv = str((doc.get("metadata") or {}).get("resourceVersion") or "")
    if doc.get("kind") != "Table":
        cols = [TableColumn("Name"), TableColumn("Age")]
        rows = []
        for item in doc.get("items") or []:
            meta = item.get("metadata") or {}
            rows.append(TableRow(meta.get("namespace") or "", meta.get("name") or "", [meta.get("name") or "", ""],
                                 meta.get("creationTimestamp") or "", meta.get("labels") or {}))
        return cols, rows, rv
    cols = [TableColumn(str(c.get("name") or ""), str(c.get("type") or "string"), int(c.get("priority") or 0))
            for c in doc.get("columnDefinitions") or []]
    return cols, [table_row(r) for r in doc.get("rows") or []], rv


def event_time(obj: dict[str, Any]) -> str:
    """When an Event (core/v1 or events.k8s.io/v1) last happened: lastTimestamp, series.lastObservedTime,
    eventTime, deprecatedLastTimestamp, then metadata.creationTimestamp."""
    series = obj.get("series") or {}
    for value in (obj.get("lastTimestamp"), series.get("lastObservedTime"), obj.get("eventTime"),
                  obj.get("deprecatedLastTimestamp"), (obj.get("metadata") or {}).get("creationTimestamp")):
        if value:
            return str(value)
    return ""


def table_row(row: dict[str, Any]) -> TableRow:
    obj = row.get("object") or {}
    meta = obj.get("metadata") or {}
    cells = [_cell(c) for c in row.get("cells") or []]
    name = meta.get("name") or (cells[0] if cells else "")
    created = meta.get("creationTimestamp") or ""
    when = event_time(obj) if obj.get("kind") == "Event" else created
    return TableRow(meta.get("namespace") or "", name, cells, created, meta.get("labels") or {}, when)


def include_object(kind: Kind) -> str:
    """What a Table row carries of the object: Events the whole object (their time is not metadata),
    every other kind its metadata."""
    return "Object" if kind.resource == "events" and kind.group in ("", "events.k8s.io") else "Metadata"


def list_table(api_client: Any, kind: Kind, namespace: str | None, timeout: float = 60.0
               ) -> tuple[list[TableColumn], list[TableRow], str]:
    """One list of `kind` as a server-side Table (all namespaces when `namespace` is None)."""
    resp = request(api_client, "GET", kind.path(namespace), [("includeObject", include_object(kind))],
                   accept=TABLE_ACCEPT, timeout=(5, timeout))
    return parse_table(_json(resp))


class TableWatcher(ListWatch):
    """List `kind` as a Table, then watch it as Tables, on the one list-then-watch loop (`ListWatch`:
    relist on 410 Gone or after a dropped connection, backoff, a kubeconfig problem ends it).
    `on_change()` is called from this thread after each batch and state change; the owner then calls
    `take()` for what changed. `state`: "listing", "live" or "error" (with `detail`)."""

    STATES = {"connecting": "listing", "connected": "live", "reconnecting": "error", "error": "error"}

    def __init__(self, api_client: Any, kind: Kind, namespace: str | None,
                 on_change: Callable[[], None], *, watch_timeout: int = 300) -> None:
        super().__init__(api_client, f"gotui-table-{kind.resource}", watch_timeout=watch_timeout)
        self.kind = kind
        self.namespace = namespace if kind.namespaced else None
        self.on_change = on_change
        self.columns: list[TableColumn] = []
        self.rows: dict[RowKey, TableRow] = {}
        self.state = "listing"
        self.listed_at = 0.0  # time.monotonic() when the first list reached `rows` (bench)
        self._reset = False
        self._changed: set[RowKey] = set()

    # -- the owner's side ---------------------------------------------------------------------------
    def take(self) -> tuple[bool, set[RowKey]]:
        """(a full reset happened, keys changed since the last take)."""
        with self._lock:
            out = (self._reset, self._changed)
            self._reset, self._changed = False, set()
        return out

    # -- the thread ---------------------------------------------------------------------------------
    def _set_state(self, state: str, detail: str = "") -> None:
        state = self.STATES.get(state, state)
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.on_change()

    def _list(self) -> None:
        cols, rows, rv = list_table(self.api_client, self.kind, self.namespace)
        with self._lock:
            self.columns = cols
            self.rows = {r.key: r for r in rows}
            self._reset, self._changed = True, set()
        if not self.listed_at:
            self.listed_at = time.monotonic()
        self.stats.lists += 1
        self.resource_version = rv or "0"
        self.on_change()

    def _watch(self) -> None:
        resp = self._open_watch(self.kind.path(self.namespace), [("includeObject", include_object(self.kind))], accept=TABLE_ACCEPT)
        if resp is not None:
            self._stream(resp, self._apply)

    def _apply(self, events: list[dict[str, Any]]) -> None:
        changed = False
        with self._lock:
            for event in events:
                etype, obj = event.get("type"), event.get("object") or {}
                if etype == "ERROR":
                    if obj.get("code") == 410:
                        raise WatchExpired(str(obj.get("message") or "expired"))
                    raise RuntimeError(f"watch error {obj.get('code')}: {obj.get('message', '')}")
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if etype != "BOOKMARK":
                    if obj.get("kind") == "Table":
                        cols, rows, _ = parse_table(obj)
                        if cols and not self.columns:
                            self.columns = cols
                    else:  # a server that watches plain objects: Name and Age only
                        meta = obj.get("metadata") or {}
                        rows = [TableRow(meta.get("namespace") or "", meta.get("name") or "",
                                         [meta.get("name") or ""] + [""] * max(0, len(self.columns) - 1),
                                         meta.get("creationTimestamp") or "", meta.get("labels") or {})]
                    for row in rows:
                        if etype == "DELETED":
                            self.rows.pop(row.key, None)
                        else:
                            self.rows[row.key] = row
                        self._changed.add(row.key)
                        changed = True
                if rv:
                    self.resource_version = rv
                self.stats.events += 1
        if changed:
            self.on_change()


# -- single objects ---------------------------------------------------------------------------------

def get_object(api_client: Any, kind: Kind, namespace: str | None, name: str, timeout: float = 15.0) -> dict:
    """The whole object as the API has it now."""
    return _json(request(api_client, "GET", kind.path(namespace, name), timeout=timeout))


def object_events(api_client: Any, kind: Kind, namespace: str | None, name: str, timeout: float = 15.0) -> list[dict]:
    """The core/v1 Events about one object, oldest first."""
    from gotui.clock import parse_epoch

    selector = f"involvedObject.name={name},involvedObject.kind={kind.kind}"
    path = f"/api/v1/namespaces/{namespace}/events" if namespace else "/api/v1/events"
    if namespace:
        selector += f",involvedObject.namespace={namespace}"
    doc = _json(request(api_client, "GET", path, [("fieldSelector", selector)], timeout=timeout))
    items = [e for e in doc.get("items") or [] if isinstance(e, dict)]

    def when(e: dict) -> float:
        t = e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp")
        return parse_epoch(t) or 0.0

    return sorted(items, key=when)


def delete_action(kind: Kind, namespace: str | None, name: str, context: str | None) -> Any:
    """The Action for deleting one object of any kind (checked by RBAC as `delete` on its resource)."""
    from gotui.ops.actions import Action

    ns_flag = f" -n {namespace}" if namespace else ""
    return Action(verb="delete", kind=kind.kind.lower() or kind.resource, target=name,
                  namespace=namespace or None, context=context,
                  preview=f"kubectl --context {context}{ns_flag} delete {kind.group_resource} {name}",
                  destructive=True, reversible=False, rbac=("delete", kind.resource, kind.group),
                  params={"resource": kind.group_resource})


def delete_object(api_client: Any, kind: Kind, action: Any, settings: Any) -> str:
    """Delete the object `action` names (refused in read-only mode, whoever calls)."""
    from gotui.ops import safety

    safety.require_allowed(action, settings)
    finish(request(api_client, "DELETE", kind.path(action.namespace, action.target), timeout=15))
    where = f"{action.namespace}/" if action.namespace else ""
    return f"Deleted {kind.kind.lower() or kind.resource} {where}{action.target}"


def edit_action(kind: Kind, namespace: str | None, name: str, context: str | None, diff: list[str],
                resource_version: str) -> Any:
    """The Action for replacing one object with its edited version (RBAC: `update` on its resource);
    `diff` (sanitized unified-diff lines) is shown in the dialog."""
    from gotui.ops.actions import Action

    ns_flag = f" -n {namespace}" if namespace else ""
    changed = sum(1 for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    return Action(verb="edit", kind=kind.kind.lower() or kind.resource, target=name,
                  namespace=namespace or None, context=context,
                  preview=f"kubectl --context {context}{ns_flag} edit {kind.group_resource} {name}",
                  destructive=True, reversible=True,
                  detail=f"replace at resourceVersion {resource_version} ({changed} changed lines)",
                  rbac=("update", kind.resource, kind.group),
                  params={"resource": kind.group_resource, "diff": diff, "resourceVersion": resource_version})


def replace_object(api_client: Any, kind: Kind, obj: dict, action: Any, settings: Any) -> dict:
    """PUT `obj` (it carries the resourceVersion it was read at: a change meanwhile is 409 Conflict);
    refused in read-only mode, whoever calls. Returns the object as stored. `fieldValidation=Strict`,
    as `kubectl edit` sends it: a field the kind does not have (a typo) is refused with the server's
    answer, where the API server's default would drop it with only a warning header."""
    from gotui.ops import safety

    safety.require_allowed(action, settings)
    return _json(request(api_client, "PUT", kind.path(action.namespace, action.target), [("fieldValidation", "Strict")],
                         body=obj, timeout=15))
