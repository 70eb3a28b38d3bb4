"""The Pods pane: live from the watch cache, virtualized (10,000 pods render like 30), filter as you
type (`go-api`, `-l app=go-api`, `status:crash`), sort by any column (o/O), describe/events/YAML, `e` edit, logs,
delete pod and restart the owning Deployment through the action gate; `s` a shell in the pod
(ui/kube_exec.py), `F` port-forward and `f` the forwards (ui/port_forwards.py). `Space` marks pods (a
marker column), `Esc` clears: ctrl+d deletes every marked pod, `R` restarts their Deployments, after one
dialog, one audit line per object (ui/marks.py)."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding

from gotui import clock
from gotui.ops.kube_exec import exec_action
from gotui.ops.pods import (
    BAD,
    COLUMNS,
    HEALTH_SYMBOL,
    OK,
    WARN,
    PodFilter,
    PodRow,
    by_name,
    delete_pod,
    delete_pod_action,
    owning_deployment,
    parse_filter,
    pod_row,
    restart_deployment,
    restart_deployment_action,
)
from gotui.ops.port_forward import Forward, container_ports, forward_action
from gotui.ops.row_index import SortedIndex
from gotui.ops.sanitize import safe_text
from gotui.ui.kube_table import Cell, Column, VirtualTable
from gotui.ui.marks import MARK, Marks, perform_each
from gotui.ui.messages import KubeChanged, KubeStateChanged
from gotui.ui.object_edit import POD_KIND, ObjectEditor
from gotui.ui.panes.base import Pane
from gotui.ui.pod_details import describe_pod, pod_events

if TYPE_CHECKING:
    from gotui.ui.kube_bridge import KubeBridge

_STYLE = {OK: Style(color="green"), WARN: Style(color="yellow"), BAD: Style(color="red", bold=True)}
_WIDTHS = {"namespace": 10, "name": 24, "ready": 5, "status": 19, "restarts": 13, "age": 6, "node": 10, "ip": 11, "image": 14}
_LABELS = {"namespace": "NAMESPACE", "name": "NAME", "ready": "READY", "status": "STATUS", "restarts": "RESTARTS",
           "age": "AGE", "node": "NODE", "ip": "IP", "image": "IMAGE"}
MUTATING = {"delete_pod", "restart_deployment"}
FREEZE_ROWS = 2000  # an index of at least this many rows is gc.freeze()d when built
_MARKED = Style(bold=True, reverse=True)
# Refused in read-only mode too (as k9s does): a shell can change anything in the container, a forward
# opens the pod's port to this machine.
STREAMS = {"shell", "port_forward"}


def _hay(row: PodRow) -> str:
    return row.hay or f"{row.name}\n{row.status}".lower()


class PodsPane(Pane):
    PANE_ID = "pods"
    TITLE = "Pods"
    BINDINGS = [
        Binding("l", "logs", "Logs", id="pods.logs"),
        Binding("ctrl+d", "delete_pod", "Delete", id="pods.delete"),
        Binding("R", "restart_deployment", "Restart deploy", id="pods.restart"),
        Binding("d", "describe", "Describe", id="pods.describe"),
        Binding("y", "yaml", "YAML", id="pods.yaml"),
        Binding("e", "edit", "Edit", show=False, tooltip="edit the pod's YAML in $KUBE_EDITOR / $EDITOR, diff, confirm", id="pods.edit"),
        Binding("s", "shell", "Shell", id="pods.shell"),
        Binding("F", "port_forward", "Port-forward", id="pods.port_forward"),
        Binding("f", "port_forwards", "Forwards", show=False, id="pods.forwards"),
        Binding("o", "sort_next", "Sort", show=False, id="pods.sort"),
        Binding("O", "sort_reverse", "Reverse sort", show=False, id="pods.sort_reverse"),
        Binding("c", "pick_context", "Context", id="kube.context"),
        Binding("n", "pick_namespace", "Namespace", id="kube.namespace"),
        Binding("space", "mark", "Mark", show=False, tooltip="ctrl+d / R act on every marked pod", id="pods.mark"),
        Binding("escape", "clear_marks", "Clear marks", show=False, id="pods.clear_marks"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], PodRow] = {}
        self.shown: Sequence[tuple[str, str]] = []
        self._index = SortedIndex(self._sort_key, tag=_hay)
        self._bad = 0  # rows failing (kept as rows change)
        self._version = 0  # bumps when rows join, leave, move or change name/status (kept matches are stale)
        # free-word filters typed lately -> (state, their matches as (keys, hays)): typing on narrows the
        # last one, erasing goes back to one (valid while the rows' order and texts stay as they were)
        self._matched: dict[PodFilter, tuple[tuple[int, str, bool], tuple[list[tuple[str, str]], list[str]]]] = {}
        self._last_filter: PodFilter | None = None
        self.filter = PodFilter()
        self.sort_column = "name"
        self.sort_reverse = False
        self._seq = -1
        self._all_ns = False
        self._details_key: tuple[str, str] | None = None
        self._details_pending = False
        self.batches = 0
        self.marks = Marks()
        self.stream_note = ""  # how the last shell ended / the last forward started
        self.editor = ObjectEditor(self)

    # -- layout --------------------------------------------------------------------------------
    def compose_main(self) -> ComposeResult:
        table = VirtualTable(self._columns(), self._cells, id="pods-table", classes="pane-main")
        table.sort_column = self.sort_column
        table.empty_text = "no pods (yet)"
        yield table

    @property
    def table(self) -> VirtualTable:
        return self.query_one("#pods-table", VirtualTable)

    @property
    def bridge(self) -> KubeBridge | None:
        return self.gotui_app.services.get("kube")

    def _columns(self) -> list[Column]:
        keys = [c for c in COLUMNS if c != "namespace" or self._all_ns]
        marker = [Column("mark", MARK, 1)] if self.marks else []
        return marker + [Column(k, _LABELS[k], _WIDTHS[k], flex=(k == "name")) for k in keys]

    def on_resize(self, event: events.Resize) -> None:
        self.table.set_columns(self._columns())

    def start(self) -> None:
        self.set_status("connecting to Kubernetes…")
        self.set_interval(10, self._tick_ages, name="pods-ages")

    def _tick_ages(self) -> None:
        if self.display and self.rows and self.is_on_screen:
            self.table.invalidate()  # ages and "last restart … ago" move on

    def on_unmount(self) -> None:
        bridge = self.bridge
        if bridge is not None:
            bridge.stop()

    # -- data ----------------------------------------------------------------------------------
    def on_kube_changed(self, message: KubeChanged) -> None:
        changed: set | None = set()
        if "pods" in message.kinds:
            changed = self.refresh_rows()
        key = self._details_key
        if key and ("events" in message.kinds or changed is None or key in changed):
            self._details_later()

    def rbac_changed(self) -> None:
        """RBAC answers arrived: show or disable the actions accordingly."""
        self.refresh_bindings()
        self._update_status()

    def on_kube_state_changed(self, message: KubeStateChanged) -> None:
        bridge = self.bridge
        all_ns = bool(bridge and bridge.context and bridge.namespace is None)
        if all_ns != self._all_ns:
            self._all_ns = all_ns
            self.table.set_columns(self._columns())
        self.refresh_bindings()
        self._update_status()

    def refresh_rows(self, *, rebuild: bool = False) -> set[tuple[str, str]] | None:
        """Apply the store's changes since last time: each changed row moves in the sorted index
        (bisect), the filtered list is redone only when a row joined, left or moved. Returns the
        keys changed (None: every row was rebuilt)."""
        bridge = self.bridge
        if bridge is None:
            return set()
        store = bridge.store
        seq, keys = store.changes_since("pods", -1 if rebuild else self._seq)
        self._seq, self.batches = seq, self.batches + 1
        if keys is None or rebuild:
            self._version += 1
            self.rows = store.rows("pods")
            if len(self.rows) < store.count("pods"):  # a store without a pods row function
                self.rows = {r.key: r for r in map(pod_row, store.list("pods"))}
            self._bad = sum(1 for r in self.rows.values() if r.health == BAD)
            self._index = SortedIndex(self._sort_key, self.rows.values(), tag=_hay)
            self._keep_marks()
            self._reorder(resort=False)
            self.table.invalidate()
            self._update_status()
            return None
        moved = False  # a row joined, left or changed place in the shown list
        reshaped = False  # a row joined, left, moved in the sort order or changed its name/status text
        flt = self.filter
        for key in keys:
            old = self.rows.get(key)
            new = store.row("pods", key)
            if new is None and old is None:
                continue
            if new is None:
                obj = store.get("pods", *key)
                new = pod_row(obj) if obj is not None else None
            if old is not None:
                self._bad -= old.health == BAD
            if new is None:
                del self.rows[key]
                self._index.remove(old)
                moved = reshaped = True
                continue
            self.rows[key] = new
            self._bad += new.health == BAD
            if old is None:
                self._index.add(new)
                moved = reshaped = True
            else:
                place = self._index.update(old, new)
                reshaped |= place or old.hay != new.hay
                moved |= place or (not flt.empty and flt.matches(old) != flt.matches(new))
        if reshaped:
            self._version += 1  # the matches kept for free-word filters are stale
            self._keep_marks()
        if moved:
            self._reorder(resort=False)
        self.table.invalidate(keys)
        self._update_status()
        return keys

    def _keep_marks(self) -> None:
        """Marks of pods that are gone go too (and the marker column with the last of them)."""
        if self.marks:
            self.marks.keep(self.rows)
            if not self.marks:
                self.table.set_columns(self._columns())

    def _sort_key(self, row: PodRow) -> Any:
        return row.sort_key(self.sort_column)

    def _reorder(self, *, resort: bool = True) -> None:
        """Show the rows in sort order through the filter (`resort`: the sort column changed)."""
        if resort:
            self._index = SortedIndex(self._sort_key, self.rows.values(), tag=_hay)
            if len(self._index) >= FREEZE_ROWS:
                # the index's 150,000 sort keys are long-lived and acyclic: out of the cyclic GC's sight,
                # or a full pass walks them during a keystroke (51 ms of a filter key, measured)
                gc.freeze()
        flt = self.filter
        if flt.empty:
            self.shown = cast("Sequence[tuple[str, str]]", self._index.view(self.sort_reverse))
        else:
            state = self._state()
            if any(s != state for s, _ in self._matched.values()):
                self._matched.clear()
            found = self._matched.get(flt) if flt.words_only else None
            last = self._matched.get(self._last_filter) if self._last_filter is not None else None
            if found is not None:
                matched = found[1]  # erased back to a filter already typed: its matches as they were
            elif last is not None and flt.narrows(self._last_filter):  # type: ignore[arg-type]
                matched = flt.select(*last[1], self.rows)  # typing on: look at the last matches only
            else:
                keys, hays = self._index.keys, self._index.tags
                if self.sort_reverse:
                    keys, hays = keys[::-1], hays[::-1]
                matched = flt.select(keys, hays, self.rows)
            if flt.words_only:
                self._matched[flt] = (state, matched)
                while len(self._matched) > 8:
                    del self._matched[next(iter(self._matched))]
            self.shown = matched[0]
            if len(self.shown) >= FREEZE_ROWS:
                # a full GC pass walks every list it can see, touching each row key they hold: 150,000
                # of them took a filter keystroke 40-60 ms (measured); these lists hold no cycles
                gc.freeze()
        self._last_filter = flt
        self.table.set_keys(self.shown)

    def _state(self) -> tuple[int, str, bool]:
        """What the last filter's matches depend on besides the filter: the rows and their order."""
        return (self._version, self.sort_column, self.sort_reverse)

    def _cells(self, key: object) -> list[Cell]:
        row = self.rows.get(cast("tuple[str, str]", key))
        if row is None:
            return []
        now = clock.timestamp()
        style = _STYLE[row.health]
        values = {
            "namespace": (safe_text(row.namespace, 80), None),
            "name": (safe_text(row.name, 120), None),
            "ready": (row.ready, style if row.health != OK else None),
            "status": (f"{HEALTH_SYMBOL[row.health]} {safe_text(row.status, 60)}", style),
            "restarts": (row.restarts_text(now), Style(color="yellow") if row.restarts else None),
            "age": (row.age_text(now), None),
            "node": (safe_text(row.node, 80), None),
            "ip": (safe_text(row.ip, 40), None),
            "image": (safe_text(row.image, 120), None),
            "mark": (MARK, _MARKED) if row.key in self.marks else ("", None),
        }
        return [values[c.key] for c in self.table.columns]

    def _update_status(self) -> None:
        bridge = self.bridge
        if bridge is None:
            return
        state, detail = bridge.kind_state("pods")
        if bridge.state == "error" and not self.rows:
            self.set_status(bridge.detail, "error")
            return
        if state == "error":
            self.set_status(f"cannot list pods: {detail}{self.mark_stale(bool(self.rows))}", "error")
            return
        where = "all namespaces" if bridge.namespace is None and bridge.context else f"ns {bridge.namespace or '-'}"
        parts = [f"{len(self.shown)}/{len(self.rows)} pods", where]
        if self._bad:
            parts.append(f"✗ {self._bad} failing")
        if self.filter.error:
            parts.append(f"filter: {self.filter.error}")
        elif not self.filter.empty:
            parts.append(f"filter: {self.filter_text}")
        parts.append(f"sort: {self.sort_column}{' (rev)' if self.sort_reverse else ''}")
        if self.marks:
            parts.append(self.marks.status())
        if self.stream_note:
            parts.append(self.stream_note)
        denied = self._denied_reason("delete_pod")
        if denied and not self.gotui_app.settings.readonly:
            parts.append(f"delete disabled — {denied}")
        severity = "info"
        stale = self.mark_stale(state == "reconnecting" and bool(self.rows))
        if state == "reconnecting":
            parts.insert(0, f"reconnecting ({detail}){stale}")
            severity = "warning"
        elif state == "connecting" or not bridge.store.synced("pods"):
            parts.insert(0, "listing…")
        self.set_status(" · ".join(parts), severity)

    # -- filter and sort -----------------------------------------------------------------------
    def apply_filter(self, text: str) -> None:
        self.filter = parse_filter(text)
        self._reorder(resort=False)
        self._update_status()

    def set_filter(self, text: str) -> None:
        """Set the filter text programmatically (e.g. from the HPA pane's jump)."""
        from gotui.ui.panes.base import FilterBar

        bar = self.query_one(FilterBar)
        bar.value = text
        bar.set_class(not text, "-hidden")
        self.filter_text = text
        self.apply_filter(text)

    def _set_sort(self, column: str, reverse: bool) -> None:
        resort = column != self.sort_column
        self.sort_column, self.sort_reverse = column, reverse
        self.table.sort_column, self.table.sort_reverse = column, reverse
        self._reorder(resort=resort)
        self.table.refresh()
        self._update_status()

    def action_sort_next(self) -> None:
        keys = [c.key for c in self.table.columns]
        i = keys.index(self.sort_column) if self.sort_column in keys else -1
        self._set_sort(keys[(i + 1) % len(keys)], False)

    def action_sort_reverse(self) -> None:
        self._set_sort(self.sort_column, not self.sort_reverse)

    # -- details -------------------------------------------------------------------------------
    def copy_value(self) -> str | None:
        key = self.table.cursor_key
        return key[1] if isinstance(key, tuple) else None

    def on_virtual_table_highlighted(self, message: VirtualTable.Highlighted) -> None:
        self._details_key = message.key  # type: ignore[assignment]
        self._details_later()

    def _details_later(self) -> None:
        """Show the highlighted pod's details after the table's next frame: a burst of keys (j j j,
        filter letters) moves the table at once and renders the details once."""
        if not self._details_pending:
            self._details_pending = True
            self.call_after_refresh(self._details_now)

    def _details_now(self) -> None:
        self._details_pending = False
        if self._details_key is not None:
            self._show_details(self._details_key)

    def _show_details(self, key: tuple[str, str]) -> None:
        bridge = self.bridge
        if bridge is None:
            return
        pod = bridge.store.get("pods", *key)
        if pod is None:
            self.show_details(Text("(pod gone)", style="dim"))
            return
        evs = pod_events(bridge.store.list("events", key[0]), key[0], key[1])
        self.show_details(describe_pod(pod, evs, clock.timestamp()))

    def current_pod(self) -> dict | None:
        bridge = self.bridge
        key = self.table.cursor_key
        if bridge is None or key is None:
            return None
        return bridge.store.get("pods", *key)  # type: ignore[misc]

    def on_virtual_table_selected(self, message: VirtualTable.Selected) -> None:
        self.action_describe()

    def action_describe(self) -> None:
        """The selected pod's describe, full screen and live."""
        from gotui.ui.pod_details import DescribeScreen

        pod = self.current_pod()
        bridge = self.bridge
        if pod is None or bridge is None:
            self.notify("No pod selected.", severity="warning")
            return
        meta = pod.get("metadata") or {}
        self.app.push_screen(DescribeScreen(bridge, meta.get("namespace") or "", meta.get("name") or ""))

    def action_yaml(self) -> None:
        """The pod's whole YAML: fetched from the API (the cache keeps pods trimmed, as k9s does)."""
        pod = self.current_pod()
        if pod is None or self.bridge is None:
            self.notify("No pod selected.", severity="warning")
            return
        self.fetch_yaml(pod)

    def action_edit(self) -> None:
        """`e`: edit the pod's YAML (ui/object_edit.py)."""
        pod = self.current_pod()
        if pod is None:
            self.notify("No pod selected.", severity="warning")
            return
        meta = pod.get("metadata") or {}
        self.editor.edit(POD_KIND, meta.get("namespace") or None, meta.get("name") or "")

    def fetch_yaml(self, pod: dict) -> None:
        """Fetch `pod` whole in a worker and show its YAML."""
        bridge = self.bridge
        if bridge is None:
            return
        meta = pod.get("metadata") or {}
        ns, name, client = meta.get("namespace") or "", meta.get("name") or "", bridge.api_client
        if client is None:
            self._show_yaml(pod, "not connected: showing the cached, trimmed copy")
            return

        def fetch() -> None:
            from gotui.ops.kube_text import kube_error
            from gotui.sources.kube_source import read_object

            try:
                full, note = read_object(client, "pods", ns, name), ""
            except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
                full, note = pod, f"{kube_error(exc)} — showing the cached, trimmed copy"
            self.app.call_from_thread(self._show_yaml, full, note)

        self.run_worker(fetch, thread=True, exit_on_error=False, group="pod-yaml", exclusive=True, name="pod yaml")

    def _show_yaml(self, obj: dict, note: str = "") -> None:
        from gotui.ui.yaml_view import YamlScreen

        if note:
            self.notify(note, title="YAML", severity="warning")
        self.app.push_screen(YamlScreen(obj))

    def action_refresh(self) -> None:
        bridge = self.bridge
        if bridge is not None:
            bridge.switch(bridge.context, bridge.namespace)

    # -- logs ----------------------------------------------------------------------------------
    def action_logs(self) -> None:
        pod = self.current_pod()
        bridge = self.bridge
        if pod is None or bridge is None or bridge.api_client is None:
            self.notify("No pod selected.", severity="warning")
            return
        from gotui.ui.pod_logs import PodLogsScreen

        self.app.push_screen(PodLogsScreen(bridge, pod))

    # -- actions -------------------------------------------------------------------------------
    def _action_for(self, name: str, pod: dict | None) -> Any:
        bridge = self.bridge
        ctx = bridge.context if bridge else None
        meta = (pod or {}).get("metadata") or {}
        ns = meta.get("namespace") or (bridge.namespace if bridge else None) or ""
        if name == "delete_pod":
            return delete_pod_action(ns, meta.get("name", "?"), ctx)
        if name == "restart_deployment":
            return restart_deployment_action(ns, self._deployment_of(pod) or "?", ctx)
        if name == "shell":
            return exec_action(ns, meta.get("name", "?"), None, ctx)
        if name == "port_forward":
            return forward_action(Forward(ns, meta.get("name", "?"), 0, context=ctx))
        return None

    def _deployment_of(self, pod: dict | None) -> str | None:
        bridge = self.bridge
        if pod is None or bridge is None:
            return None
        ns = (pod.get("metadata") or {}).get("namespace") or ""
        return owning_deployment(pod, by_name(bridge.store.list("replicasets", ns)))

    def _denied_reason(self, name: str) -> str | None:
        bridge = self.bridge
        if bridge is None:
            return None
        return bridge.rbac_denied(self._action_for(name, self.current_pod()))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_marks":
            return bool(self.marks)  # without marks Esc goes on to the app
        if action == "edit":
            return not self.gotui_app.settings.readonly
        if action in MUTATING or action in STREAMS:
            if self.gotui_app.settings.readonly:
                return False
            if self._denied_reason(action):
                return None
        return True

    def on_key(self, event: events.Key) -> None:
        # A disabled (RBAC-denied) key still says why when pressed.
        readonly = self.gotui_app.settings.readonly
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            if binding.action in STREAMS and readonly:
                event.stop()
                self.notify("gotui is in read-only mode: no shell or port-forward (a shell can change the "
                            "container; a forward opens the pod's port to this machine).",
                            title=f"Refused: {binding.description.lower()}", severity="error")
            elif (binding.action in MUTATING or binding.action in STREAMS) and not readonly:
                reason = self._denied_reason(binding.action)
                if reason:
                    event.stop()
                    self.notify(reason, title="Not allowed", severity="error")

    # -- marks (Space marks, Esc clears; ctrl+d / R act on all marked after one dialog) ----------
    def action_mark(self) -> None:
        key = self.table.cursor_key
        if not isinstance(key, tuple):
            return
        had = bool(self.marks)
        self.marks.toggle(key)
        if had != bool(self.marks):
            self.table.set_columns(self._columns())
        else:
            self.table.invalidate([key])
        self.table.action_cursor(1)
        self._update_status()

    def action_clear_marks(self) -> None:
        if self.marks.clear():
            self.table.set_columns(self._columns())
            self._update_status()

    def _marked(self) -> list[tuple[str, str]]:
        self.marks.keep(self.rows)
        return self.marks.ordered(self.shown)

    def _delete_marked(self) -> bool:
        bridge, targets = self.bridge, self._marked()
        if not targets or bridge is None:
            return False
        client, settings, ctx = bridge.api_client, self.gotui_app.settings, bridge.context
        steps = []
        for ns, name in targets:
            act = delete_pod_action(ns, name, ctx)
            steps.append((act, partial(delete_pod, client, act, settings)))
        perform_each(self.gotui_app, "delete", "pod", "pods", "", targets, steps, "delete pod", "deleted",
                     self.action_clear_marks)
        return True

    def _restart_marked(self) -> bool:
        """Restart the Deployments of the marked pods (each once)."""
        bridge, targets = self.bridge, self._marked()
        if not targets or bridge is None:
            return False
        deployments: list[tuple[str, str]] = []
        for ns, name in targets:
            dep = self._deployment_of(bridge.store.get("pods", ns, name))
            if dep and (ns, dep) not in deployments:
                deployments.append((ns, dep))
        if not deployments:
            self.notify("None of the marked pods is owned by a Deployment.", severity="warning")
            return True
        client, settings, ctx = bridge.api_client, self.gotui_app.settings, bridge.context
        steps = []
        for ns, dep in deployments:
            act = restart_deployment_action(ns, dep, ctx)
            steps.append((act, partial(restart_deployment, client, act, settings)))
        perform_each(self.gotui_app, "restart", "deployment", "deployments", "apps", deployments, steps,
                     "rollout restart", "restarted", self.action_clear_marks, lambda n: f"deployment/{n}")
        return True

    def action_delete_pod(self) -> None:
        if self._delete_marked():
            return
        pod = self.current_pod()
        bridge = self.bridge
        if pod is None or bridge is None:
            self.notify("No pod selected.", severity="warning")
            return
        action = self._action_for("delete_pod", pod)
        settings = self.gotui_app.settings
        self.gotui_app.gate.perform(action, lambda: delete_pod(bridge.api_client, action, settings))

    def action_restart_deployment(self) -> None:
        if self._restart_marked():
            return
        pod = self.current_pod()
        bridge = self.bridge
        if pod is None or bridge is None:
            self.notify("No pod selected.", severity="warning")
            return
        if not self._deployment_of(pod):
            self.notify("This pod is not owned by a Deployment.", severity="warning")
            return
        action = self._action_for("restart_deployment", pod)
        settings = self.gotui_app.settings
        self.gotui_app.gate.perform(action, lambda: restart_deployment(bridge.api_client, action, settings))

    # -- shell and port-forward ----------------------------------------------------------------
    def _running_pod(self, what: str) -> dict | None:
        pod = self.current_pod()
        bridge = self.bridge
        if pod is None or bridge is None or bridge.api_client is None:
            self.notify("No pod selected.", severity="warning")
            return None
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        phase = status.get("phase") or "Pending"
        if phase != "Running" or meta.get("deletionTimestamp"):
            state = "terminating" if meta.get("deletionTimestamp") else phase
            self.notify(f"{what}: pod {meta.get('name')} is not running ({state}).", severity="warning")
            return None
        return pod

    def action_shell(self) -> None:
        """A shell in the selected pod's (first) container; the TUI comes back when it exits."""
        pod = self._running_pod("shell")
        if pod is None:
            return
        meta = pod.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
        if len(containers) < 2:
            self._shell_worker(ns, name, containers[0] if containers else None)
            return
        from gotui.ui.context_picker import PickerScreen

        def chosen(container: str | None) -> None:
            if container:
                self._shell_worker(ns, name, container)

        # several containers: which one (Enter takes the first, as kubectl's default container)
        self.app.push_screen(PickerScreen(f"Shell in {name}: container", [(c, c) for c in containers], containers[0]),
                             chosen)

    @work(thread=True, exclusive=True, exit_on_error=False, group="pod-shell")
    def _shell_worker(self, ns: str, name: str, container: str | None) -> None:
        from gotui.ui.kube_exec import pod_shell

        bridge = self.bridge
        if bridge is None:
            return
        ended = pod_shell(self.gotui_app, bridge, ns, name, container)
        if ended:
            self.stream_note = ended
            self.app.call_from_thread(self._update_status)

    def action_port_forward(self) -> None:
        """Ask the local port, then forward it to the selected pod's port."""
        from gotui.ui.port_forwards import AskPort

        pod = self._running_pod("port-forward")
        if pod is None:
            return
        meta = pod.get("metadata") or {}
        ns, name = meta.get("namespace") or "", meta.get("name") or ""
        ports = container_ports(pod)
        remote = ports[0][1] if ports else None

        def chosen(spec: tuple[int, int] | None) -> None:
            if spec is not None:
                bridge = self.bridge
                self._forward_worker(Forward(ns, name, spec[1], spec[0], context=bridge.context if bridge else None))

        self.app.push_screen(AskPort(f"{ns}/{name}", remote), chosen)

    @work(thread=True, exit_on_error=False, group="pod-forward")
    def _forward_worker(self, fwd: Forward) -> None:
        from gotui.ui.port_forwards import start_forward

        bridge = self.bridge
        if bridge is not None and start_forward(self.gotui_app, bridge, fwd) is not None:
            self.stream_note = f"forwarding {fwd.title}"
            self.app.call_from_thread(self._update_status)

    def action_port_forwards(self) -> None:
        from gotui.ui.port_forwards import PortForwardsScreen

        self.app.push_screen(PortForwardsScreen())

    # -- context / namespace -------------------------------------------------------------------
    def action_pick_context(self) -> None:
        from gotui.ui.context_picker import open_context_picker

        open_context_picker(self.app)

    def action_pick_namespace(self) -> None:
        from gotui.ui.context_picker import open_namespace_picker

        open_namespace_picker(self.app)
