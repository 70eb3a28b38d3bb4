"""ResourceView: any kind discovery lists, as the API server's Table (the columns `kubectl get`
prints), live (a TableWatcher thread: list, then watch as Tables), virtualized (10,000 rows paint like
30). `/` filters (text, `!text` inverse, `-l k=v` labels), `o`/`O` sort (`s`/`S` too where `s` is not
scale), Enter/`d` describe (fields
and events), `y` YAML (Secrets masked until `x`), `e` edit (ui/object_edit.py), ctrl+d delete through the app's action gate (`Space` marks
rows: ctrl+d and `R` then act on all marked after one dialog, see ui/resource_marks.py),
Esc goes back. Events (`:ev`) come newest first (lastTimestamp, eventTime, then creation), Warning rows
marked `!` and in yellow. Workloads have their actions (ui/workload_actions.py): Deployments
`u` undo, `s` scale, `R` restart, `i` set image; StatefulSets `s` `R` `i`; DaemonSets `R` `i`. It lives in the main switcher beside the four panes; `:KIND` shows it.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from typing import TYPE_CHECKING, Any, cast

from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from gotui import clock
from gotui.kube.kinds import Kind
from gotui.kube.resources import RowKey, TableColumn, TableRow, TableWatcher
from gotui.ops.sanitize import safe_text
from gotui.ui.kube_table import Cell, Column, VirtualTable
from gotui.ui.marks import MARK
from gotui.ui.messages import KubeStateChanged
from gotui.ui.object_edit import ObjectEditor
from gotui.ui.panes.base import Pane
from gotui.ui.resource_marks import ResourceMarks
from gotui.ui.workload_actions import WorkloadActions, supports

if TYPE_CHECKING:
    from gotui.ui.kube_bridge import KubeBridge

FLUSH_INTERVAL = 0.1
NEWEST = "when"  # the sort "column" of Events: when each last happened, newest first
WARNING_MARK = "! "  # before TYPE of Warning events (shows without colour)
MAX_WIDTH = 40
_NUMERIC = {"integer", "number"}


class ResourceView(Pane):
    """The generic view (see module docstring). Not one of `app.panes`: shown by ui/navigation."""

    PANE_ID = "resource"
    TITLE = "Resource"
    BINDINGS = [
        Binding("d", "describe", "Describe", id="resource.describe"),
        Binding("y", "yaml", "YAML", id="resource.yaml"),
        Binding("e", "edit", "Edit", tooltip="edit the YAML in $KUBE_EDITOR / $EDITOR, diff, confirm", id="resource.edit"),
        Binding("ctrl+d", "delete", "Delete", id="resource.delete"),
        Binding("u", "workload('undo')", "Undo revision", tooltip="Deployments: roll back to a revision", id="resource.undo"),
        Binding("s", "workload('scale')", "Scale", tooltip="Deployments, StatefulSets", id="resource.scale"),
        Binding("R", "workload('restart')", "Restart", tooltip="Deployments, StatefulSets, DaemonSets", id="resource.restart"),
        Binding("i", "workload('set_image')", "Set image", tooltip="Deployments, StatefulSets, DaemonSets", id="resource.set_image"),
        Binding("o", "sort_next", "Sort", show=False, id="resource.sort"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="resource.sort_reverse"),
        Binding("s", "sort_next_s", "Sort (kinds that do not scale)", show=False, id="resource.sort_s"),
        Binding("S", "sort_reverse", "Reverse sort", show=False, id="resource.sort_reverse_s"),
        Binding("space", "mark", "Mark", tooltip="ctrl+d / R act on every marked row; Esc clears", id="resource.mark"),
        Binding("escape", "back", "Back / clear marks", id="resource.back"),
        Binding("c", "app.node('cordon')", "Cordon", show=False, id="resource.node_cordon"),
        Binding("u", "app.node('uncordon')", "Uncordon", show=False, id="resource.node_uncordon"),
        Binding("R", "app.node('drain')", "Drain", show=False, id="resource.node_drain"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind: Kind | None = None
        self.watcher: TableWatcher | None = None
        self.columns: list[TableColumn] = []
        self.rows: dict[RowKey, TableRow] = {}
        self.shown: list[RowKey] = []
        self.sort_column: str | None = None
        self.sort_reverse = False
        self._where: tuple[Any, str | None] = (None, None)
        self._flush_pending = False
        self._last_flush = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ctx: contextvars.Context | None = None
        self.shown_at = 0.0  # time.monotonic() when the first list was on screen (bench)
        self.opened_at = 0.0
        self.workload = WorkloadActions(self)
        self.marking = ResourceMarks(self)
        self.editor = ObjectEditor(self)

    def compose_main(self) -> ComposeResult:
        table = VirtualTable([Column("name", "NAME", 20, flex=True)], self._cells, id="resource-table",
                             classes="pane-main")
        table.empty_text = "listing…"
        yield table
        line = Static("", id="rollout-status")
        line.display = False
        yield line

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#resource-table", VirtualTable)

    @property
    def bridge(self) -> KubeBridge | None:
        return self.gotui_app.services.get("kube")

    def on_mount(self) -> None:
        self.query_one("#pane-details").display = False  # the table takes the whole view

    # -- lifecycle ------------------------------------------------------------------------------
    def show_kind(self, kind: Kind) -> None:
        """Show `kind` (restarts the watch when the kind, the client or the namespace changed)."""
        bridge = self.bridge
        where = (getattr(bridge, "api_client", None), getattr(bridge, "namespace", None))
        if self.kind == kind and self.watcher is not None and not self.watcher.stopped and where == self._where:
            return
        self.stop_watch()
        if self.kind != kind:
            self.marking.marks.clear()
            self.workload.stop()
            self.query_one("#rollout-status").display = False
            self.filter_text = ""
            bar = self.query_one("#pane-filter")
            bar.value = ""  # type: ignore[attr-defined]
            bar.display = False
            self.sort_column, self.sort_reverse = (NEWEST if _is_events(kind) else None), False
        self.kind = kind
        self.rows, self.shown, self.columns = {}, [], []
        self.table.set_keys([])
        self.table.empty_text = "listing…"
        self.opened_at, self.shown_at = time.monotonic(), 0.0
        if bridge is not None and self not in bridge.listeners:
            bridge.listeners.append(self)
        self._start(bridge)

    def _start(self, bridge: KubeBridge | None) -> None:
        kind = self.kind
        if kind is None:
            return
        if bridge is None or bridge.api_client is None:
            self._where = (None, None)
            self.set_status("not connected to a cluster", "error")
            return
        self._loop = asyncio.get_running_loop()
        self._ctx = contextvars.copy_context()
        self._where = (bridge.api_client, bridge.namespace)
        self.watcher = TableWatcher(bridge.api_client, kind, bridge.namespace, self._dirty_from_thread)
        self.watcher.start()
        self._update_status()

    def stop_watch(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def on_unmount(self) -> None:
        self.stop_watch()

    def on_hide(self) -> None:
        if not self.display:
            self.stop_watch()  # a view not shown holds no watch open
            self.workload.stop()  # nor follows a rollout

    def on_kube_state_changed(self, message: KubeStateChanged) -> None:
        bridge = self.bridge
        if bridge is None or self.kind is None or not self.display:
            return
        where = (bridge.api_client, bridge.namespace)
        if message.state == "connected" and where != self._where:
            self.show_kind(self.kind)  # new context or namespace: watch there

    def action_refresh(self) -> None:
        if self.kind is not None:
            self.stop_watch()
            self.show_kind(self.kind)

    def action_back(self) -> None:
        if not self.marking.clear():  # Esc clears the marks first
            self.gotui_app.navigator.back()

    def action_mark(self) -> None:
        self.marking.toggle()

    # -- data -----------------------------------------------------------------------------------
    def _dirty_from_thread(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._schedule_flush, context=self._ctx)
            except RuntimeError:
                pass

    def _schedule_flush(self) -> None:
        if self._flush_pending:
            return
        self._flush_pending = True
        delay = max(0.0, self._last_flush + FLUSH_INTERVAL - time.monotonic())
        if delay <= 0:
            self.call_later(self._flush)
        else:
            self.set_timer(delay, self._flush, name="resource-flush")

    def _flush(self) -> None:
        self._flush_pending = False
        self._last_flush = time.monotonic()
        watcher = self.watcher
        if watcher is None:
            return
        reset, changed = watcher.take()
        with watcher._lock:  # noqa: SLF001 - a consistent copy of what changed
            if reset:
                self.rows = dict(watcher.rows)
                self.columns = list(watcher.columns)
            else:
                for key in changed:
                    row = watcher.rows.get(key)
                    if row is None:
                        self.rows.pop(key, None)
                    else:
                        self.rows[key] = row
        if reset:
            self.table.set_columns(self._table_columns())
            self.table.empty_text = f"no {self.kind.resource if self.kind else 'objects'}"
            self._reorder()
            self.table.invalidate()
            if not self.shown_at:
                self.shown_at = time.monotonic()
        elif changed:
            self._reorder()
            self.table.invalidate(changed)
        if self.marking.marks:
            self.marking.marks.keep(self.rows)  # marks of rows that are gone go too
            if not self.marking.marks:
                self.table.set_columns(self._table_columns())
        self._update_status()

    @property
    def all_namespaces(self) -> bool:
        return bool(self.kind and self.kind.namespaced and self.watcher is not None and self.watcher.namespace is None)

    def _table_columns(self) -> list[Column]:
        sample = list(self.rows.values())[:300]
        out = [Column("mark", MARK, 1)] if self.marking.marks else []
        if self.all_namespaces:
            width = max([9] + [len(r.namespace) for r in sample])
            out.append(Column("ns", "NAMESPACE", min(width, 20)))
        for i, col in enumerate(self.columns):
            if col.priority:
                continue
            width = max([len(col.name)] + [len(r.cells[i]) for r in sample if i < len(r.cells)])
            if col.name == "Type" and _is_events(self.kind):
                width += len(WARNING_MARK)
            out.append(Column(f"c{i}", col.name.upper(), min(width, MAX_WIDTH), flex=(col.name == "Name")))
        if self.sort_column is None:
            self.sort_column = next((c.key for c in out if c.label == "NAME"), None)
        self.table.sort_column, self.table.sort_reverse = self.sort_column, self.sort_reverse
        return out

    def _matches(self, row: TableRow, text: str) -> bool:
        if text.startswith("-l "):
            for part in text[3:].split(","):
                k, _, v = part.strip().partition("=")
                if k and (k not in row.labels or (v and row.labels.get(k) != v)):
                    return False
            return True
        invert = text.startswith("!")
        needle = text[1:] if invert else text
        hay = " ".join([row.namespace, *row.cells]).lower()
        return (needle.lower() in hay) != invert

    def _reorder(self) -> None:
        text = self.filter_text.strip()
        rows = list(self.rows.values()) if not text else [r for r in self.rows.values() if self._matches(r, text)]
        col = self.sort_column
        if col == NEWEST:  # Events: the newest first
            rows.sort(key=lambda r: (r.when or r.created, r.namespace, r.name), reverse=not self.sort_reverse)
        elif col == "ns":
            rows.sort(key=lambda r: (r.namespace, r.name), reverse=self.sort_reverse)
        elif col is not None and col.startswith("c"):
            i = int(col[1:])
            ctype = self.columns[i].type if i < len(self.columns) else "string"
            name = self.columns[i].name if i < len(self.columns) else ""
            if name == "Age":
                rows.sort(key=lambda r: r.created, reverse=not self.sort_reverse)
            elif ctype in _NUMERIC:
                rows.sort(key=lambda r: _number(r.cells[i] if i < len(r.cells) else ""), reverse=self.sort_reverse)
            else:
                rows.sort(key=lambda r: ((r.cells[i] if i < len(r.cells) else ""), r.namespace), reverse=self.sort_reverse)
        self.shown = [r.key for r in rows]
        self.table.set_keys(self.shown)

    def _cells(self, key: object) -> list[Cell]:
        row = self.rows.get(cast("RowKey", key))
        if row is None:
            return []
        out: list[Cell] = []
        now = clock.timestamp()
        warning = _is_events(self.kind) and self._cell_of(row, "Type") == "Warning"
        for c in self.table.columns:
            if c.key == "mark":
                out.append((MARK, _MARKED) if row.key in self.marking.marks else ("", None))
                continue
            if c.key == "ns":
                out.append((safe_text(row.namespace, 80), None))
                continue
            i = int(c.key[1:])
            value = row.cells[i] if i < len(row.cells) else ""
            if c.label == "AGE" and row.created:
                created = clock.parse_epoch(row.created)
                if created is not None:
                    value = clock.human_duration(max(0.0, now - created))
            elif c.label == "LAST SEEN" and row.when and "(" not in value:
                seen = clock.parse_epoch(row.when)
                if seen is not None:
                    value = clock.human_duration(max(0.0, now - seen))
            style = _STATUS_STYLE.get(value) if c.label in ("STATUS", "TYPE") else None
            if warning:  # Warning events: a marker that reads without colour, and the row in yellow
                if c.label == "TYPE":
                    value, style = WARNING_MARK + value, _WARNING_TYPE
                else:
                    style = _WARNING_ROW
            elif c.label == "TYPE" and _is_events(self.kind):
                value = " " * len(WARNING_MARK) + value
            out.append((safe_text(value, 200), style))
        return out

    def _cell_of(self, row: TableRow, column: str) -> str:
        """The row's cell of the column named `column` ("" without one)."""
        i = next((n for n, c in enumerate(self.columns) if c.name == column), None)
        return row.cells[i] if i is not None and i < len(row.cells) else ""

    def _update_status(self) -> None:
        kind, watcher = self.kind, self.watcher
        if kind is None:
            return
        where = "cluster" if not kind.namespaced else (
            "all namespaces" if watcher is not None and watcher.namespace is None else f"ns {safe_text(watcher.namespace if watcher else '-')}")
        parts = [f"{kind.kind} ({kind.group_resource})", f"{len(self.shown)}/{len(self.rows)}", where]
        if self.filter_text:
            parts.append(f"filter: {safe_text(self.filter_text, 40)}")
        if self.marking.marks:
            parts.append(self.marking.marks.status())
        if self.sort_column == NEWEST:
            parts.append("oldest first" if self.sort_reverse else "newest first")
        elif self.sort_column:
            label = next((c.label for c in self.table.columns if c.key == self.sort_column), self.sort_column)
            parts.append(f"sort: {label.lower()}{' (rev)' if self.sort_reverse else ''}")
        severity = "info"
        if watcher is not None and watcher.state == "error":
            parts.insert(0, f"error: {watcher.detail}")
            severity = "error"
        elif watcher is not None and watcher.state == "listing":
            parts.insert(0, "listing…")
        parts.append("Esc back")
        self.set_status(" · ".join(parts), severity)

    # -- filter and sort -----------------------------------------------------------------------
    def apply_filter(self, text: str) -> None:
        self._reorder()
        self._update_status()

    def _set_sort(self, column: str | None, reverse: bool) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self.table.sort_column, self.table.sort_reverse = column, reverse
        self._reorder()
        self.table.refresh()
        self._update_status()

    def action_sort_next(self) -> None:
        keys = [c.key for c in self.table.columns if c.key != "mark"]
        if not keys:
            return
        i = keys.index(self.sort_column) if self.sort_column in keys else -1
        self._set_sort(keys[(i + 1) % len(keys)], False)

    def action_sort_reverse(self) -> None:
        self._set_sort(self.sort_column, not self.sort_reverse)

    def action_sort_next_s(self) -> None:
        self.action_sort_next()

    # -- workload actions (ui/workload_actions.py) -------------------------------------------------
    def _workload_kind(self) -> str | None:
        kind = self.kind
        return kind.resource if kind is not None and kind.group == "apps" else None

    def action_workload(self, verb: str) -> None:
        if verb == "restart" and self.marking.restart():
            return
        getattr(self.workload, verb)()

    # -- the selected object ---------------------------------------------------------------------
    def copy_value(self) -> str | None:
        key = self.table.cursor_key
        return key[1] if isinstance(key, tuple) else None

    def selected(self) -> tuple[str | None, str] | None:
        key = self.table.cursor_key
        if not isinstance(key, tuple) or self.kind is None:
            return None
        return (key[0] or None, key[1])

    def on_virtual_table_selected(self, message: VirtualTable.Selected) -> None:
        message.stop()
        self.action_describe()

    def _fetch(self, what: str, work: Any) -> None:
        bridge, sel, kind = self.bridge, self.selected(), self.kind
        if bridge is None or bridge.api_client is None or sel is None or kind is None:
            self.notify("Nothing selected.", severity="warning", timeout=3)
            return
        client = bridge.api_client

        def run() -> None:
            from gotui.ops.kube_text import kube_error

            try:
                result = work(client, kind, sel[0], sel[1])
            except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
                self.app.call_from_thread(self.notify, kube_error(exc), title=what, severity="error")
                return
            self.app.call_from_thread(result)

        self.run_worker(run, thread=True, exit_on_error=False, group="resource-fetch", exclusive=True, name=what)

    def action_describe(self) -> None:
        def work(client: Any, kind: Kind, ns: str | None, name: str) -> Any:
            from gotui.kube.resources import get_object, object_events
            from gotui.ui.resource_describe import ResourceDescribeScreen, describe_object

            obj = get_object(client, kind, ns, name)
            try:
                evs = object_events(client, kind, ns, name)
            except Exception:  # noqa: BLE001 - events are extra: the object is still described
                evs = []
            body = describe_object(obj, evs, clock.timestamp())
            title = f"describe {kind.kind.lower()} {ns + '/' if ns else ''}{name}"
            return lambda: self.app.push_screen(ResourceDescribeScreen(safe_text(title, 120), body))

        self._fetch("describe", work)

    def action_yaml(self) -> None:
        def work(client: Any, kind: Kind, ns: str | None, name: str) -> Any:
            from gotui.kube.resources import get_object
            from gotui.ui.yaml_view import YamlScreen

            obj = get_object(client, kind, ns, name)
            return lambda: self.app.push_screen(YamlScreen(obj))

        self._fetch("YAML", work)

    def action_edit(self) -> None:
        sel, kind = self.selected(), self.kind
        if sel is None or kind is None:
            self.notify("Nothing selected.", severity="warning", timeout=3)
            return
        self.editor.edit(kind, sel[0], sel[1])

    # -- delete -----------------------------------------------------------------------------------
    def _delete_action(self) -> Any:
        from gotui.kube.resources import delete_action

        sel, kind, bridge = self.selected(), self.kind, self.bridge
        if sel is None or kind is None:
            return None
        return delete_action(kind, sel[0], sel[1], bridge.context if bridge else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "workload":
            return (supports(self._workload_kind(), str(parameters[0]) if parameters else "")
                    and not self.gotui_app.settings.readonly)
        if action == "edit":
            return not self.gotui_app.settings.readonly and (self.kind is None or self.kind.can("update"))
        if action == "sort_next_s":
            return not supports(self._workload_kind(), "scale")
        if action == "delete":
            if self.gotui_app.settings.readonly or (self.kind is not None and not self.kind.can("delete")):
                return False
            bridge, act = self.bridge, self._delete_action()
            if bridge is not None and act is not None and bridge.rbac_denied(act):
                return None
        return True

    def on_key(self, event: events.Key) -> None:
        if event.key == "ctrl+d" and not self.gotui_app.settings.readonly:
            bridge, act = self.bridge, self._delete_action()
            reason = bridge.rbac_denied(act) if bridge is not None and act is not None else None
            if reason:
                event.stop()
                self.notify(reason, title="Not allowed", severity="error")

    def action_delete(self) -> None:
        if self.marking.delete():
            return
        action, bridge, kind = self._delete_action(), self.bridge, self.kind
        if action is None or bridge is None or kind is None:
            self.notify("Nothing selected.", severity="warning", timeout=3)
            return
        from gotui.kube.resources import delete_object

        client, settings = bridge.api_client, self.gotui_app.settings
        self.gotui_app.gate.perform(action, lambda: delete_object(client, kind, action, settings))


def _is_events(kind: Kind | None) -> bool:
    return kind is not None and kind.resource == "events" and kind.group in ("", "events.k8s.io")


def _number(text: str) -> float:
    try:
        return float(text.split()[0].rstrip("%")) if text else float("-inf")
    except (ValueError, IndexError):
        return float("-inf")


_MARKED = Style(bold=True, reverse=True)
_WARNING_TYPE = Style(color="yellow", bold=True, reverse=True)
_WARNING_ROW = Style(color="yellow")
_STATUS_STYLE = {
    "Running": Style(color="green"), "Active": Style(color="green"), "Bound": Style(color="green"),
    "Pending": Style(color="yellow"), "Terminating": Style(color="yellow"), "Warning": Style(color="yellow"),
    "Failed": Style(color="red", bold=True), "CrashLoopBackOff": Style(color="red", bold=True),
    "Error": Style(color="red", bold=True),
}
