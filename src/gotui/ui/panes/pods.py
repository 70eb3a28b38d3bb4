"""The Pods pane: live from the watch cache, virtualized (10,000 pods render like 30), filter as you
type (`go-api`, `-l app=go-api`, `status:crash`), sort by any column, describe/events/YAML, logs,
delete pod and restart the owning Deployment through the action gate. `Space` marks pods (a marker
column), `Esc` clears: ctrl+d deletes every marked pod, `R` restarts their Deployments, after one dialog,
one audit line per object (ui/marks.py)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding

from gotui import clock
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
from gotui.ops.sanitize import safe_text
from gotui.ui.kube_table import Cell, Column, VirtualTable
from gotui.ui.marks import MARK, Marks, perform_each
from gotui.ui.messages import KubeChanged, KubeStateChanged
from gotui.ui.panes.base import Pane
from gotui.ui.pod_details import describe_pod, pod_events

if TYPE_CHECKING:
    from gotui.ui.kube_bridge import KubeBridge

_STYLE = {OK: Style(color="green"), WARN: Style(color="yellow"), BAD: Style(color="red", bold=True)}
_WIDTHS = {"namespace": 10, "name": 24, "ready": 5, "status": 19, "restarts": 13, "age": 6, "node": 10, "ip": 11, "image": 14}
_LABELS = {"namespace": "NAMESPACE", "name": "NAME", "ready": "READY", "status": "STATUS", "restarts": "RESTARTS",
           "age": "AGE", "node": "NODE", "ip": "IP", "image": "IMAGE"}
MUTATING = {"delete_pod", "restart_deployment"}
_MARKED = Style(bold=True, reverse=True)


class PodsPane(Pane):
    PANE_ID = "pods"
    TITLE = "Pods"
    BINDINGS = [
        Binding("l", "logs", "Logs", id="pods.logs"),
        Binding("ctrl+d", "delete_pod", "Delete", id="pods.delete"),
        Binding("R", "restart_deployment", "Restart deploy", id="pods.restart"),
        Binding("d", "describe", "Describe", id="pods.describe"),
        Binding("y", "yaml", "YAML", id="pods.yaml"),
        Binding("s", "sort_next", "Sort", show=False, id="pods.sort"),
        Binding("S", "sort_reverse", "Reverse sort", show=False, id="pods.sort_reverse"),
        Binding("c", "pick_context", "Context", id="kube.context"),
        Binding("n", "pick_namespace", "Namespace", id="kube.namespace"),
        Binding("space", "mark", "Mark", show=False, tooltip="ctrl+d / R act on every marked pod", id="pods.mark"),
        Binding("escape", "clear_marks", "Clear marks", show=False, id="pods.clear_marks"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], PodRow] = {}
        self.shown: list[tuple[str, str]] = []
        self.filter = PodFilter()
        self.sort_column = "name"
        self.sort_reverse = False
        self._seq = -1
        self._all_ns = False
        self._details_key: tuple[str, str] | None = None
        self.batches = 0
        self.marks = Marks()

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
        if "pods" in message.kinds:
            self.refresh_rows()
        if self._details_key and ({"pods", "events"} & message.kinds):
            self._show_details(self._details_key)

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

    def refresh_rows(self, *, rebuild: bool = False) -> None:
        """Apply the store's changes since last time, then re-filter and re-sort."""
        bridge = self.bridge
        if bridge is None:
            return
        store = bridge.store
        seq, keys = store.changes_since("pods", -1 if rebuild else self._seq)
        if keys is None or self._seq < 0 or rebuild:
            self.rows = {}
            for pod in store.list("pods"):
                row = pod_row(pod)
                self.rows[row.key] = row
            changed = None
        else:
            membership = False  # rows added or removed
            for key in keys:
                obj = store.get("pods", *key)
                if obj is None:
                    membership |= self.rows.pop(key, None) is not None
                else:
                    membership |= key not in self.rows
                    self.rows[key] = pod_row(obj)
            changed = keys
        self._seq = seq
        self.batches += 1
        if self.marks:
            self.marks.keep(self.rows)  # marks of pods that are gone go too
            if not self.marks:
                self.table.set_columns(self._columns())
        if changed is not None and not membership and self.filter.empty and self.sort_column == "name":
            # Same rows in the same order (sorted by name, unfiltered): repaint the changed ones only.
            self.table.invalidate(changed)
            self._update_status()
            return
        self._reorder()
        self.table.invalidate(changed)
        self._update_status()

    def _reorder(self) -> None:
        flt = self.filter
        rows = self.rows.values() if flt.empty else [r for r in self.rows.values() if flt.matches(r)]
        col = self.sort_column
        if col == "name":
            ordered = sorted(rows, key=lambda r: (r.name, r.namespace), reverse=self.sort_reverse)
        else:
            ordered = sorted(rows, key=lambda r: r.sort_key(col), reverse=self.sort_reverse)
        self.shown = [r.key for r in ordered]
        self.table.set_keys(self.shown)

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
        bad = sum(1 for r in self.rows.values() if r.health == BAD)
        if bad:
            parts.append(f"✗ {bad} failing")
        if self.filter.error:
            parts.append(f"filter: {self.filter.error}")
        elif not self.filter.empty:
            parts.append(f"filter: {self.filter_text}")
        parts.append(f"sort: {self.sort_column}{' (rev)' if self.sort_reverse else ''}")
        if self.marks:
            parts.append(self.marks.status())
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
        self._reorder()
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
        self.sort_column, self.sort_reverse = column, reverse
        self.table.sort_column, self.table.sort_reverse = column, reverse
        self._reorder()
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
        self._show_details(message.key)  # type: ignore[arg-type]

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
        if action in MUTATING:
            if self.gotui_app.settings.readonly:
                return False
            if self._denied_reason(action):
                return None
        return True

    def on_key(self, event: events.Key) -> None:
        # A disabled (RBAC-denied) key still says why when pressed.
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            if binding.action in MUTATING and not self.gotui_app.settings.readonly:
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
        self.gotui_app.perform(action, lambda: delete_pod(bridge.api_client, action, settings))

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
        self.gotui_app.perform(action, lambda: restart_deployment(bridge.api_client, action, settings))

    # -- context / namespace -------------------------------------------------------------------
    def action_pick_context(self) -> None:
        from gotui.ui.context_picker import open_context_picker

        open_context_picker(self.app)

    def action_pick_namespace(self) -> None:
        from gotui.ui.context_picker import open_namespace_picker

        open_namespace_picker(self.app)
