"""The HPA pane: min/max, current/desired, each metric vs its target, conditions (ScalingLimited
highlighted at max), last scale time, sparklines of replicas and CPU since gotui started, and the
next desired count by the HPA formula. Edit min/max (modal); jump to the target's pods."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from gotui import clock
from gotui.ops.hpa import (
    HpaView,
    edit_min_max,
    edit_min_max_action,
    hpa_view,
    selector_text,
    validate_min_max,
)
from gotui.ops.kube_text import human_duration
from gotui.ops.sanitize import safe_text
from gotui.ui.messages import KubeChanged, KubeStateChanged
from gotui.ui.panes.base import Pane

if TYPE_CHECKING:
    from gotui.ui.kube_bridge import KubeBridge
    from gotui.ui.panes.pods import PodsPane

SPARK = "▁▂▃▄▅▆▇█"
HISTORY = 120
NAMESPACE_COLUMN = ("namespace", "NAMESPACE")  # only when all namespaces are shown (80 columns are tight)
COLUMNS = (("name", "NAME"), ("target", "TARGET"), ("minmax", "MIN/MAX"), ("replicas", "CUR/DES"),
           ("metrics", "METRICS"), ("next", "NEXT"), ("state", "STATE"), ("scaled", "SCALED"))


def sparkline(values: list[float], lo: float | None = None, hi: float | None = None) -> str:
    """A one-line block sparkline."""
    if not values:
        return ""
    lo = min(values) if lo is None else lo
    hi = max(values) if hi is None else hi
    span = (hi - lo) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, max(0, int((v - lo) / span * (len(SPARK) - 1) + 0.5)))] for v in values)


class HpaPane(Pane):
    PANE_ID = "hpa"
    TITLE = "HPA"
    BINDINGS = [
        Binding("e", "edit_limits", "Edit min/max", id="hpa.edit"),
        Binding("p", "jump_pods", "Target pods", id="hpa.pods"),
        Binding("c", "pick_context", "Context", id="kube.context"),
        Binding("n", "pick_namespace", "Namespace", id="kube.namespace"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.views: dict[str, HpaView] = {}
        self.history: dict[str, deque[tuple[float, int, float | None]]] = {}
        self.all_namespaces = False

    def compose_main(self) -> ComposeResult:
        yield DataTable(id="hpa-table", classes="pane-main", cursor_type="row", zebra_stripes=False)

    @property
    def table(self) -> DataTable:
        return self.query_one("#hpa-table", DataTable)

    @property
    def bridge(self) -> KubeBridge | None:
        return self.gotui_app.services.get("kube")

    def columns(self) -> tuple[tuple[str, str], ...]:
        """The shown columns: NAMESPACE first when all namespaces are listed."""
        return ((NAMESPACE_COLUMN,) if self.all_namespaces else ()) + COLUMNS

    def on_mount(self) -> None:
        for key, label in self.columns():
            self.table.add_column(label, key=key)

    def _set_all_namespaces(self, all_ns: bool) -> None:
        """Add or drop the NAMESPACE column (rebuilds the table, keeping the selected HPA)."""
        if all_ns == self.all_namespaces:
            return
        current = self.current_key()
        self.all_namespaces = all_ns
        table = self.table
        table.clear(columns=True)
        for key, label in self.columns():
            table.add_column(label, key=key)
        self.views = {}
        self.refresh_rows()
        if current is not None and current in self.views:
            table.move_cursor(row=table.get_row_index(current))

    def start(self) -> None:
        self.set_status("connecting to Kubernetes…")

    # -- data ----------------------------------------------------------------------------------
    @staticmethod
    def key_of(v: HpaView) -> str:
        return f"{v.namespace}/{v.name}"

    def on_kube_changed(self, message: KubeChanged) -> None:
        if "horizontalpodautoscalers" in message.kinds:
            self.refresh_rows()

    def rbac_changed(self) -> None:
        """RBAC answers arrived: show or disable the actions accordingly."""
        self.refresh_bindings()
        self._update_status()

    def on_kube_state_changed(self, message: KubeStateChanged) -> None:
        bridge = self.bridge
        self._set_all_namespaces(bool(bridge and bridge.context and bridge.namespace is None))
        self.refresh_bindings()
        self._update_status()

    def _cells(self, v: HpaView) -> dict[str, Text]:
        limited = v.limited
        state = Text()
        if limited and v.at_max:
            state.append(f"⚠ AT MAX ({safe_text(limited[0])})", style="bold red")
        elif limited:
            state.append(f"! limited ({safe_text(limited[0])})", style="yellow")
        else:
            active = next((c for c in v.conditions if c[0] == "ScalingActive"), None)
            if active and active[1] != "True":
                state.append(f"✗ inactive ({safe_text(active[2])})", style="red")
            else:
                state.append("✓ ok", style="green")
        metrics = Text(", ".join(safe_text(m.text, 60) for m in v.metrics) or "<none>")
        nxt = "-" if v.next_desired is None else str(v.next_desired)
        if v.next_desired is not None and v.next_desired != v.current:
            nxt = f"{nxt} {'↑' if v.next_desired > v.current else '↓'}"
        scaled = "-" if v.last_scale is None else human_duration(clock.timestamp() - v.last_scale) + " ago"
        return {
            "namespace": Text(safe_text(v.namespace, 80)),
            "name": Text(safe_text(v.name, 80)),
            "target": Text(safe_text(f"{v.target_kind}/{v.target_name}", 80)),
            "minmax": Text(f"{v.min_replicas}/{v.max_replicas}"),
            "replicas": Text(f"{v.current}/{v.desired}", style="bold red" if v.at_max else ""),
            "metrics": metrics,
            "next": Text(nxt),
            "state": state,
            "scaled": Text(scaled),
        }

    def refresh_rows(self) -> None:
        bridge = self.bridge
        if bridge is None:
            return
        now = clock.timestamp()
        views = {}
        for obj in bridge.store.list("horizontalpodautoscalers"):
            v = hpa_view(obj)
            views[self.key_of(v)] = v
            hist = self.history.setdefault(self.key_of(v), deque(maxlen=HISTORY))
            sample = (now, v.current, v.cpu)
            if not hist or hist[-1][1:] != sample[1:]:
                hist.append(sample)
        table = self.table
        with self.app.batch_update():
            existing = set(table.rows)
            for row_key in [k for k in existing if k.value not in views]:
                table.remove_row(row_key)
            for key in sorted(views):
                cells = self._cells(views[key])
                if key in {k.value for k in existing}:
                    old = self.views.get(key)
                    old_cells = self._cells(old) if old else {}
                    for col, _ in self.columns():
                        value = cells[col]
                        if old_cells.get(col) != value:
                            table.update_cell(key, col, value)
                else:
                    table.add_row(*[cells[c] for c, _ in self.columns()], key=key)
        self.views = views
        self._update_status()
        self._show_current()

    def _update_status(self) -> None:
        bridge = self.bridge
        if bridge is None:
            return
        state, detail = bridge.kind_state("horizontalpodautoscalers")
        stale = self.mark_stale(state in ("error", "reconnecting") and bool(self.views))
        if bridge.state == "error" and not self.views:
            self.set_status(bridge.detail, "error")
        elif state == "error":
            self.set_status(f"cannot list HPAs: {detail}{stale}", "error")
        elif state == "reconnecting":
            self.set_status(f"reconnecting ({detail}) · {len(self.views)} HPAs{stale}", "warning")
        else:
            at_max = sum(1 for v in self.views.values() if v.at_max)
            msg = f"{len(self.views)} HPAs" + (f" · ⚠ {at_max} at max" if at_max else "")
            self.set_status(msg + " · e edit min/max · p target pods", "info")

    # -- details -------------------------------------------------------------------------------
    def copy_value(self) -> str | None:
        v = self.views.get(self.current_key() or "")
        return v.name if v is not None else None

    def current_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        except Exception:  # noqa: BLE001
            return None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_current()

    def _show_current(self) -> None:
        key = self.current_key()
        v = self.views.get(key or "")
        if v is None:
            self.show_details(Text("no HPA selected", style="dim"))
            return
        self.show_details(self.details(v))

    def details(self, v: HpaView) -> Text:
        t = Text()
        t.append(f"{safe_text(v.name)}\n", style="bold")
        t.append(f"namespace  {safe_text(v.namespace)}\n")
        t.append(f"target     {safe_text(v.target_kind)}/{safe_text(v.target_name)}\n")
        t.append(f"replicas   {v.current} current, {v.desired} desired (min {v.min_replicas}, max {v.max_replicas})\n")
        if v.raised_from is not None:
            t.append(f"⚠ min raised from {v.raised_from} by a gotui scale-up (cutover/rollback); e restores it\n",
                     style="yellow")
        for m in v.metrics:
            t.append(f"metric     {safe_text(m.text, 80)}\n")
        if v.next_desired is not None:
            t.append(f"next       {v.next_desired} by ceil(current × metric/target), ±10% tolerance\n")
        t.append("\nConditions\n", style="bold underline")
        for ctype, status, reason, message in v.conditions:
            hot = ctype == "ScalingLimited" and status == "True"
            style = "bold red" if hot and v.at_max else ("yellow" if hot else "")
            t.append(f"{'⚠' if hot else ('✓' if status == 'True' else '·')} {safe_text(ctype)}={safe_text(status)} {safe_text(reason)}\n", style=style)
            if message:
                t.append(f"   {safe_text(message, 200)}\n", style="dim")
        hist = list(self.history.get(self.key_of(v), []))
        t.append("\nSince gotui started\n", style="bold underline")
        reps = [float(h[1]) for h in hist]
        t.append(f"replicas {sparkline(reps, 0, max(reps + [float(v.max_replicas)]))} {v.current}\n")
        cpus = [h[2] for h in hist if h[2] is not None]
        if cpus:
            t.append(f"cpu %    {sparkline(cpus, 0)} {cpus[-1]:.0f}%\n")
        return t

    # -- actions -------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit_limits":
            if self.gotui_app.settings.readonly:
                return False
            bridge = self.bridge
            v = self.views.get(self.current_key() or "")
            if bridge is not None and v is not None:
                act = edit_min_max_action(v.namespace, v.name, bridge.context, (v.min_replicas, v.max_replicas), (1, 1))
                if bridge.rbac_denied(act):
                    return None
        return True

    def action_edit_limits(self) -> None:
        bridge = self.bridge
        v = self.views.get(self.current_key() or "")
        if bridge is None or v is None:
            self.notify("No HPA selected.", severity="warning")
            return

        def chosen(result: tuple[int, int] | None) -> None:
            if result is None:
                return
            action = edit_min_max_action(v.namespace, v.name, bridge.context, (v.min_replicas, v.max_replicas), result,
                                         min_before=v.min_before)
            settings = self.gotui_app.settings
            self.gotui_app.gate.perform(action, lambda: edit_min_max(bridge.api_client, action, settings))

        self.app.push_screen(LimitsModal(v), chosen)

    def action_jump_pods(self) -> None:
        """Show the Pods pane filtered to the target Deployment's pods, in the HPA's namespace."""
        bridge = self.bridge
        v = self.views.get(self.current_key() or "")
        if bridge is None or v is None:
            self.notify("No HPA selected.", severity="warning")
            return
        if v.target_kind != "Deployment":
            self.notify(f"The target is a {safe_text(v.target_kind)}: only Deployments can be followed to their pods.",
                        severity="warning")
            return
        dep = bridge.store.get("deployments", v.namespace, v.target_name)
        selector = selector_text(((dep or {}).get("spec") or {}).get("selector"))
        if not selector:
            self.notify(f"Deployment {safe_text(v.namespace)}/{safe_text(v.target_name)} not found in the cache.",
                        severity="warning")
            return
        pods = cast("PodsPane", self.gotui_app.pane("pods"))
        self.gotui_app.action_show_pane("pods")
        if bridge.namespace is None:
            # all namespaces are listed: the same labels may select pods of other namespaces too
            pods.set_filter(f"ns:{v.namespace} -l {selector}")
        else:
            pods.set_filter(f"-l {selector}")

    def action_pick_context(self) -> None:
        from gotui.ui.context_picker import open_context_picker

        open_context_picker(self.app)

    def action_pick_namespace(self) -> None:
        from gotui.ui.context_picker import open_namespace_picker

        open_namespace_picker(self.app)


class LimitsModal(ModalScreen[tuple[int, int] | None]):
    """Ask for new min/max replicas; validated before it can be submitted."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="hpa.edit.cancel")]

    def __init__(self, view: HpaView) -> None:
        super().__init__(classes="limits-modal")
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(id="limits-box"):
            yield Static(Text(f"Edit min/max of HPA {safe_text(self.view.name)}", style="bold"))
            now = f"now: min {self.view.min_replicas}, max {self.view.max_replicas}"
            before = self.view.raised_from
            if before is not None:
                now += f" · min was {before} before gotui's scale-up (filled in)"
            yield Static(Text(now, style="dim"))
            with Horizontal(id="limits-inputs"):
                yield Input(str(before if before is not None else self.view.min_replicas), id="limits-min",
                            type="integer", placeholder="min")
                yield Input(str(self.view.max_replicas), id="limits-max", type="integer", placeholder="max")
            yield Static("", id="limits-error")
            with Horizontal(id="limits-buttons"):
                yield Button("Cancel", id="limits-cancel")
                yield Button("Apply", id="limits-ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#limits-min", Input).focus()

    def _submit(self) -> None:
        try:
            lo = int(self.query_one("#limits-min", Input).value)
            hi = int(self.query_one("#limits-max", Input).value)
        except ValueError:
            self.query_one("#limits-error", Static).update(Text("enter whole numbers", style="red"))
            return
        problem = validate_min_max(lo, hi)
        if problem:
            self.query_one("#limits-error", Static).update(Text(problem, style="red"))
            return
        self.dismiss((lo, hi))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "limits-min":
            self.query_one("#limits-max", Input).focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "limits-ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
