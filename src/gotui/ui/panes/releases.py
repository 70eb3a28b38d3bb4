"""The Releases pane: blue-green apps (which colour is LIVE, each colour's image, readiness, revision),
Deployment revision history, and Helm releases decoded from Helm's storage Secrets.

Reads only from the watch cache (`app.services["kube"].store`); every change goes through `app.gate.perform`
(safety, RBAC, ConfirmModal, audit) and runs in a worker thread through `gotui.ops`.
Keys: c cutover, C cutover with scale-up, R rollback (scales the old colour up first when needed; with no
recorded previous colour, to the only other ready colour), u undo to a revision, X restart, s scale, D scale
the idle colour down, b helm rollback (guarded when it switches a Service's colour), m helm manifest/values.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from gotui import clock
from gotui.ops import helm as helm_ops
from gotui.ops import helm_guard, rollout
from gotui.ops.bluegreen import BlueGreenApp, ColorState, age, discover_apps, parse_time
from gotui.ops.cutover import audit_fields as cutover_audit_fields
from gotui.ops.cutover import cutover_action, lock_expiry, preflight_problems, rollback_problems
from gotui.ops.kube_io import KubeIO
from gotui.ops.sanitize import safe_text
from gotui.ops.scale_up import hpa_for, plan_scale_up
from gotui.ui.messages import KubeChanged, KubeStateChanged
from gotui.ui.panes.base import Pane

if TYPE_CHECKING:
    from gotui.ui.kube_bridge import KubeBridge

KINDS = frozenset({"services", "deployments", "replicasets", "pods", "endpoints", "secrets"})
MUTATING = frozenset({"cutover", "cutover_scale_up", "rollback", "undo", "restart", "scale", "scale_down_idle", "helm_rollback"})
COLUMNS = (("name", "APP / COLOUR"), ("role", "ROLE"), ("image", "IMAGE"), ("ready", "READY"),
           ("rev", "REV"), ("age", "AGE"), ("note", "NOTE"))


@dataclass(frozen=True)
class RowRef:
    """What a table row stands for: an app, one colour of an app, or a Helm release."""

    kind: str  # "app" | "color" | "helm"
    namespace: str
    name: str  # Service name or Helm release name
    color: str = ""

    @property
    def key(self) -> str:
        return "|".join((self.kind, self.namespace, self.name, self.color))


def since(stamp: str | None, now: datetime | None = None) -> str:
    return age(parse_time(stamp), now) if stamp else "-"


class ReleasesPane(Pane):
    PANE_ID = "releases"
    TITLE = "Releases"
    BINDINGS = [
        Binding("c", "cutover", "Cutover", id="releases.cutover"),
        Binding("C", "cutover_scale_up", "Cutover + scale up", show=False, id="releases.cutover_scale_up"),
        Binding("R", "rollback", "Rollback", id="releases.rollback"),
        Binding("u", "undo", "Undo to rev", id="releases.undo"),
        Binding("X", "restart", "Restart", show=False, id="releases.restart"),
        Binding("s", "scale", "Scale", show=False, id="releases.scale"),
        Binding("D", "scale_down_idle", "Scale idle down", show=False, id="releases.scale_down"),
        Binding("b", "helm_rollback", "Helm rollback", show=False, id="releases.helm_rollback"),
        Binding("m", "helm_show", "Manifest/values", show=False, id="releases.helm_show"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.apps: list[BlueGreenApp] = []
        self.helm: dict[tuple[str, str], list[helm_ops.HelmRevision]] = {}
        self.rows: dict[str, RowRef] = {}
        self.shown: list[str] = []
        self._reload_on_show = False  # the cache changed while the pane was hidden
        self._helm_generation = -1

    def compose_main(self) -> ComposeResult:
        yield DataTable(id="releases-table", classes="pane-main", cursor_type="row", zebra_stripes=False)

    @property
    def table(self) -> DataTable:
        return self.query_one("#releases-table", DataTable)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.table.add_column(label, key=key)

    # -- data -----------------------------------------------------------------------------------
    @property
    def bridge(self) -> KubeBridge | None:
        return getattr(self.app, "services", {}).get("kube")

    AGE_TICK = 10.0  # seconds between redraws of ages ("switched 3m ago") when nothing else changes

    def start(self) -> None:
        self.reload()
        self.set_interval(self.AGE_TICK, self._tick_ages, name="releases-ages")

    def _tick_ages(self) -> None:
        if self.display and self.is_on_screen and (self.apps or self.helm):
            self.redraw()

    def action_refresh(self) -> None:
        self._helm_generation = -1
        self.reload()

    def on_kube_changed(self, message: KubeChanged) -> None:
        if message.kinds & KINDS:
            if not self.display:  # another pane is shown: rebuild once, when this one is
                self._reload_on_show = True
                return
            self.reload()

    def on_show(self) -> None:
        if self._reload_on_show:
            self._reload_on_show = False
            self.reload()

    def on_kube_state_changed(self, message: KubeStateChanged) -> None:
        if not self.display:
            self._reload_on_show = True
            return
        self.reload()

    def reload(self) -> None:
        """Rebuild apps and Helm releases from the cache and redraw the table."""
        bridge = self.bridge
        if bridge is None or getattr(bridge, "store", None) is None:
            self.set_status("cluster not connected: no Kubernetes source (check --kubeconfig / --context)", "warning")
            return
        state = getattr(bridge, "state", "")
        if bridge.api_client is None and state != "connected":
            detail = safe_text(getattr(bridge, "detail", "") or "", 200)
            self.set_status(f"cluster not connected ({state or 'connecting'}) {detail}".strip(), "warning")
        store = bridge.store
        try:
            self.apps = discover_apps(store.list("services"), store.list("deployments"), store.list("replicasets"),
                                      store.list("pods"), store.list("endpoints"))
            gen = store.generation("secrets")
            if gen != self._helm_generation:
                self.helm = helm_ops.releases(store.list("secrets"))
                self._helm_generation = gen
        except Exception as exc:  # noqa: BLE001 - a malformed object never breaks the pane
            self.set_status(f"could not read releases: {safe_text(exc, 200)}", "error")
            return
        self.redraw()
        if bridge.api_client is not None or state == "connected":
            pending = sum(1 for revs in self.helm.values() if (helm_ops.latest(revs) or revs[-1]).pending)
            ctx = safe_text(getattr(bridge, "context", "") or "-", 40)
            msg = f"{ctx}: {len(self.apps)} blue-green app(s), {len(self.helm)} Helm release(s)"
            if pending:
                msg += f" — {pending} Helm release(s) PENDING (another operation in progress?)"
            if getattr(self.gotui_app.settings, "readonly", False):
                msg += "   READ-ONLY · m manifest/values"
            else:
                msg += "   c cutover · R rollback · u undo · s scale · D idle down · b helm rollback · m manifest"
            stale = self.mark_stale(state in ("reconnecting", "error") and bool(self.apps or self.helm))
            if stale:
                detail = safe_text(getattr(bridge, "detail", "") or "", 120)
                msg = f"{state} ({detail}){stale} · {msg}"
            self.set_status(msg, "warning" if pending or stale else "info")

    def build_rows(self, now: datetime | None = None) -> list[tuple[RowRef, tuple[Any, ...]]]:
        """The table rows (pure over self.apps / self.helm), in display order."""
        now = now or clock.now()
        flt = self.filter_text.strip().lower()
        rows: list[tuple[RowRef, tuple[Any, ...]]] = []
        for app in self.apps:
            if flt and flt not in app.name.lower() and flt not in app.namespace.lower():
                continue
            note = []
            if app.lock is not None:
                note.append(f"LOCKED by {safe_text(app.lock.by, 16)} (cutover to {safe_text(app.lock.to, 10)})")
            if app.previous_color:
                note.append(f"prev {safe_text(app.previous_color, 12)}, switched {since(app.switched_at, now)} ago by "
                            f"{safe_text(app.switched_by or '?', 16)}")
            rows.append((RowRef("app", app.namespace, app.name), (
                Text(safe_text(app.name, 40), style="bold"),
                Text(f"LIVE {safe_text(app.live_color, 12)}", style="bold"),
                Text(f"{app.namespace}", style="dim"),
                f"{len(app.endpoints)} ep",
                "", "", "; ".join(note) or "—")))
            for color, st in app.colors.items():
                live = color == app.live_color
                rows.append((RowRef("color", app.namespace, app.name, color), (
                    Text(f"  {'●' if live else '○'} {safe_text(color, 14)}", style="bold" if live else ""),
                    Text("LIVE" if live else "idle", style="bold reverse" if live else "dim"),
                    safe_text(", ".join(st.images), 60),
                    Text(f"{st.ready}/{st.replicas}", style="" if st.ready == st.replicas and st.replicas else "yellow"),
                    st.revision or "-",
                    age(st.created, now),
                    self._color_note(app, st))))
        for (ns, name), revs in self.helm.items():
            if flt and flt not in name.lower() and flt not in ns.lower():
                continue
            cur = helm_ops.latest(revs) or revs[-1]
            status = cur.status.upper() if cur.pending else cur.status
            rows.append((RowRef("helm", ns, name), (
                Text(f"⎈ {safe_text(name, 30)}"),
                Text(safe_text(status, 20), style="bold yellow" if cur.pending else ""),
                safe_text(cur.chart, 40),
                safe_text(cur.app_version, 12),
                str(cur.revision),
                since(cur.updated, now),
                ("! " + safe_text(cur.error, 60)) if cur.error else f"{len(revs)} revisions; {safe_text(cur.description, 40)}")))
        return rows

    @staticmethod
    def _color_note(app: BlueGreenApp, st: ColorState) -> str:
        if st.replicas == 0:
            return "scaled down"
        if not st.rollout_complete:
            return f"rolling out ({st.updated}/{st.replicas} updated)"
        if st.unready_pods:
            return f"{len(st.unready_pods)} pod(s) not ready"
        if st.color == app.previous_color:
            return "previous: kept for fast rollback"
        return "ready" if st.color != app.live_color else "serving"

    def redraw(self) -> None:
        table = self.table
        current = self.selected
        rows = self.build_rows()
        self.rows = {ref.key: ref for ref, _ in rows}
        self.shown = [ref.key for ref, _ in rows]
        existing = [key.value for key in table.rows]
        with self.app.batch_update():
            if existing == self.shown:
                # Same rows in the same order (an age tick, a status change): touch only changed cells,
                # so an idle pane writes nothing to the terminal.
                columns = list(table.columns)
                for ref, cells in rows:
                    for column, new, old in zip(columns, cells, table.get_row(ref.key), strict=False):
                        if new != old:
                            table.update_cell(ref.key, column, new)
            else:
                table.clear()
                for ref, cells in rows:
                    table.add_row(*cells, key=ref.key)
                if current is not None and current.key in self.rows:
                    table.move_cursor(row=self.shown.index(current.key))
        self.show_selected()

    def apply_filter(self, text: str) -> None:
        self.redraw()

    # -- selection and details ------------------------------------------------------------------
    def copy_value(self) -> str | None:
        ref = self.selected
        if ref is None:
            return None
        app = self.app_of(ref) if ref.kind == "color" else None
        st = app.colors.get(ref.color) if app is not None else None
        return st.deployment if st is not None else ref.name

    @property
    def selected(self) -> RowRef | None:
        table = self.table
        if not self.shown or table.row_count == 0:
            return None
        index = min(max(table.cursor_row, 0), len(self.shown) - 1)
        return self.rows.get(self.shown[index])

    def select(self, kind: str, name: str, color: str = "") -> bool:
        """Move the cursor to a row (used by tests and the palette)."""
        for i, key in enumerate(self.shown):
            ref = self.rows[key]
            if ref.kind == kind and ref.name == name and ref.color == color:
                self.table.move_cursor(row=i)
                self.show_selected()
                return True
        return False

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_selected()

    # -- read-only: mutating keys hidden (as k9s unbinds them), but a press still says why ---------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING and getattr(self.gotui_app.settings, "readonly", False):
            return False
        return True

    def on_key(self, event: Any) -> None:
        if not getattr(self.gotui_app.settings, "readonly", False):
            return
        for binding in self._bindings.key_to_bindings.get(event.key, []):
            if binding.action in MUTATING:
                from gotui.ops.actions import Action
                from gotui.ops.safety import check

                event.stop()
                verdict = check(Action(verb=binding.action, kind="release", target="-"), self.gotui_app.settings)
                self.app.notify(verdict.reason, title=f"Refused: {binding.description.lower()}", severity="error")
                return

    def app_of(self, ref: RowRef | None) -> BlueGreenApp | None:
        if ref is None or ref.kind == "helm":
            return None
        return next((a for a in self.apps if a.namespace == ref.namespace and a.name == ref.name), None)

    def show_selected(self) -> None:
        ref = self.selected
        if ref is None:
            self.show_details(Text("No blue-green apps or Helm releases in this namespace.", style="dim"))
            return
        if ref.kind == "helm":
            revs = self.helm.get((ref.namespace, ref.name), [])
            text = Text()
            text.append(f"Helm release {ref.namespace}/{ref.name}\n", style="bold")
            for r in revs:
                flag = "  PENDING" if r.pending else ""
                text.append(f"r{r.revision:<3} {safe_text(r.status, 16):<16} {safe_text(r.chart, 24):<24} "
                            f"app {safe_text(r.app_version, 10):<10} {safe_text(r.updated, 19)[:19]}  "
                            f"{safe_text(r.description, 40)}{flag}\n")
            text.append("b rollback to a revision · m manifest and values", style="dim")
            self.show_details(text)
            return
        app = self.app_of(ref)
        if app is None:
            return
        text = Text()
        if ref.kind == "app":
            text.append(f"{app.namespace}/{app.name}: selector ", style="bold")
            text.append(safe_text(", ".join(f"{k}={v}" for k, v in app.selector.items()), 200) + "\n")
            text.append(f"LIVE colour: {app.live_color}; endpoints: {', '.join(app.endpoints) or 'none'}\n")
            if app.previous_color:
                prev = app.colors.get(app.previous_color)
                kept = f"{prev.ready}/{prev.replicas} ready" if prev else "gone"
                text.append(f"previous colour {app.previous_color} ({kept}), switched at {safe_text(app.switched_at)} by "
                            f"{safe_text(app.switched_by)}\n")
            for color in app.idle_colors:
                problems = preflight_problems(app, color)
                verdict = "ready to cut over" if not problems else "not ready: " + "; ".join(problems)
                text.append(f"→ {color}: {safe_text(verdict, 400)}\n", style="" if not problems else "yellow")
            return self.show_details(text)
        st = app.colors.get(ref.color)
        bridge = self.bridge
        if st is None or bridge is None:
            return
        text.append(f"{st.deployment} ({ref.color}, {'LIVE' if ref.color == app.live_color else 'idle'})\n", style="bold")
        text.append(f"images {safe_text(', '.join(st.images), 200)}; {st.ready}/{st.replicas} ready; "
                    f"revision {st.revision or '-'}\n")
        dep = bridge.store.get("deployments", app.namespace, st.deployment)
        if dep is not None:
            revisions = rollout.history(dep, bridge.store.list("replicasets", app.namespace))
            text.append("REV  IMAGE                      REPLICAS AGE  CHANGE-CAUSE\n", style="dim")
            for rev in reversed(revisions):
                mark = "*" if str(rev.number) == st.revision else " "
                text.append(f"{mark}{rev.number:<3} {safe_text(', '.join(rev.images), 26):<26} {rev.replicas:<8} "
                            f"{age(rev.created):<4} {safe_text(rev.change_cause or '<none>', 60)}\n")
        text.append("u undo to a revision · X restart · s scale · D scale idle colour down", style="dim")
        self.show_details(text)

    # -- actions --------------------------------------------------------------------------------
    def _io(self) -> KubeIO | None:
        bridge = self.bridge
        if bridge is None or bridge.api_client is None:
            self.app.notify("The cluster is not connected.", severity="error")
            return None
        return KubeIO(bridge.api_client)

    def _kube_context(self) -> str | None:
        bridge = self.bridge
        return getattr(bridge, "context", None) if bridge is not None else None

    def _reload_soon(self, *_: Any) -> None:
        self.reload()

    def action_cutover(self) -> None:
        """`c`: cut over to the selected (or the only idle) colour; refused when it has fewer replicas
        than the live colour (the reason names `C`)."""
        self._cutover(scale_up=False)

    def action_cutover_scale_up(self) -> None:
        """`C`: the same cutover, allowed to scale the target up to the live colour's replicas first."""
        self._cutover(scale_up=True)

    def _cutover(self, *, scale_up: bool) -> None:
        ref = self.selected
        app = self.app_of(ref)
        if app is None:
            self.app.notify("Select a blue-green app (or one of its colours) first.", severity="warning")
            return
        to = ref.color if ref is not None and ref.kind == "color" and ref.color != app.live_color else None
        if to is None:
            idle = app.idle_colors
            if len(idle) != 1:
                self.app.notify("Select the colour row to cut over to.", severity="warning")
                return
            to = idle[0]
        self._start_cutover(app, to, rollback=False, scale_up=scale_up)

    def action_rollback(self) -> None:
        """`R`: cut back to the recorded previous colour (none recorded: the one other colour with ready
        pods, and the dialog says so), scaling it up first when needed.

        Scale-up is ON by default here, unlike `c` and headless: rollback is the 3 a.m. path. Right after a
        cutover the old colour's HPA scales it down to its minReplicas (often below the live count), and a
        refusal ("scale blue to at least 3 first") would turn the one-key undo into a hunt for the scale
        key while users get errors. The modal says exactly what will be scaled (and the HPA minimum raised)
        before `y`, so the operator still decides; if the pods are not Ready in time, everything SCALE
        changed is restored and nothing is switched."""
        app = self.app_of(self.selected)
        if app is None:
            self.app.notify("Select a blue-green app first.", severity="warning")
            return
        target, problems = rollback_problems(app)
        if problems:
            self.app.notify("; ".join(problems), title="Rollback refused", severity="error", timeout=8)
            return
        self._start_cutover(app, target or "", rollback=True, scale_up=True)

    def _hpas(self) -> list[dict[str, Any]]:
        bridge = self.bridge
        try:
            return list(bridge.store.list("horizontalpodautoscalers")) if bridge is not None else []
        except Exception:  # noqa: BLE001 - the plan is re-made from fresh reads when the cutover runs
            return []

    def _start_cutover(self, app: BlueGreenApp, to: str, *, rollback: bool, scale_up: bool = False) -> None:
        from gotui.ui.cutover_screen import CutoverScreen, start_meter

        io = self._io()
        if io is None:
            return
        # Another cutover's lock does not refuse here: the dialog says whose it is and until when, and `y`
        # takes it over (as `--break-lock` does headless; the takeover is in the audit line).
        lock = app.lock if app.lock is not None and not app.lock.stale() else None
        problems = preflight_problems(app, to, scale_up=scale_up, own_lock_id=lock.id if lock else None)
        if problems:
            self.app.notify("; ".join(problems), title=f"Cutover to {to} refused", severity="error", timeout=8)
            return
        plan = plan_scale_up(app, to, self._hpas()) if scale_up else None
        if plan is not None and plan.problem():
            self.app.notify(plan.problem() or "", title=f"Cannot scale {to} up", severity="error", timeout=8)
            return
        action = cutover_action(app.namespace, app.name, app.live_color, to, self._kube_context(), rollback=rollback,
                                app=app, scale_plan=plan)
        if lock is not None:
            action = replace(action, detail=(
                f"⚠ TAKES OVER the lock of another cutover: {lock.by or '?'} since {lock.at or '?'} (to "
                f"{lock.to or '?'}), expires {lock_expiry(lock)}. Confirm only if that process is gone. ⏎ "
                + action.detail))
        # The traffic meter starts now, so the screen shows traffic from before the switch too.
        meter = start_meter(io, app.namespace, app.name)
        screen = CutoverScreen(app, to, rollback=rollback, meter=meter, scale_up=scale_up, scale_planned=plan is not None,
                               break_lock=lock is not None)
        settings = self.gotui_app.settings
        started = threading.Event()

        def runner() -> str:
            started.set()
            self.app.call_from_thread(self.app.push_screen, screen)
            return screen.execute(io, settings, self._kube_context())

        def done(result: Any, error: BaseException | None) -> None:
            screen.finished(error)
            self.reload()

        def stop_if_not_confirmed() -> None:
            # perform() calls nothing back when the modal is cancelled or the action refused.
            if started.is_set() or meter is None:
                return
            if self.gotui_app.gate.is_pending(action):  # its dialog is open, or it is starting
                self.set_timer(0.5, stop_if_not_confirmed)
                return
            threading.Thread(target=meter.stop, daemon=True).start()

        def fields(result: Any, error: BaseException | None) -> dict[str, Any] | None:
            outcome = getattr(error, "result", None) or screen.result
            return cutover_audit_fields(outcome) if outcome is not None else None

        self.gotui_app.gate.perform(action, runner, on_done=done, audit_fields=fields)
        self.set_timer(0.5, stop_if_not_confirmed)

    def _color_ref(self) -> tuple[BlueGreenApp, ColorState] | None:
        ref = self.selected
        app = self.app_of(ref)
        if app is None or ref is None or ref.kind != "color" or ref.color not in app.colors:
            self.app.notify("Select a colour (Deployment) row first.", severity="warning")
            return None
        return app, app.colors[ref.color]

    def action_undo(self) -> None:
        from gotui.ui.cutover_screen import PickRevision

        picked = self._color_ref()
        bridge = self.bridge
        if picked is None or bridge is None:
            return
        app, st = picked
        dep = bridge.store.get("deployments", app.namespace, st.deployment)
        revs = rollout.history(dep, bridge.store.list("replicasets", app.namespace)) if dep else []
        if len(revs) < 2:
            self.app.notify(f"{st.deployment} has no earlier revision to go back to.", severity="warning")
            return
        rows = [(r.number, f"r{r.number:<3} {', '.join(r.images)}  {r.change_cause or '<none>'}"
                 + ("  (current)" if str(r.number) == st.revision else "")) for r in reversed(revs)]

        def chosen(number: int | None) -> None:
            if number is None:
                return
            io = self._io()
            if io is None:
                return
            rev = next(r for r in revs if r.number == number)
            action = rollout.undo_action(app.namespace, st.deployment, number, self._kube_context(),
                                         detail=f"{st.deployment}: {', '.join(st.images)} → {', '.join(rev.images)} "
                                                f"(template of revision {number})")
            settings = self.gotui_app.settings
            self.gotui_app.gate.perform(action, lambda: rollout.undo(io, settings, app.namespace, st.deployment, number, self._kube_context()),
                                   on_done=self._reload_soon, audit_fields=rollout.audit_fields)

        self.app.push_screen(PickRevision(f"Undo {st.deployment} to revision…", rows), chosen)

    def action_restart(self) -> None:
        picked = self._color_ref()
        io = self._io() if picked else None
        if picked is None or io is None:
            return
        app, st = picked
        settings = self.gotui_app.settings
        self.gotui_app.gate.perform(rollout.restart_action(app.namespace, st.deployment, self._kube_context()),
                               lambda: rollout.restart(io, settings, app.namespace, st.deployment, self._kube_context()),
                               on_done=self._reload_soon, audit_fields=rollout.audit_fields)

    def action_scale(self) -> None:
        from gotui.ui.cutover_screen import AskNumber

        picked = self._color_ref()
        if picked is None:
            return
        app, st = picked

        def chosen(n: int | None) -> None:
            if n is None:
                return
            if st.color == app.live_color and n == 0:
                self.app.notify(f"{st.color} is LIVE: scaling it to 0 would leave {app.name} with no pod. Cut over first.",
                                severity="error")
                return
            self._scale(app, st, n)

        self.app.push_screen(AskNumber(f"Scale {st.deployment} (now {st.replicas}) to:", st.replicas), chosen)

    def _scale(self, app: BlueGreenApp, st: ColorState, replicas: int, detail: str = "") -> None:
        io = self._io()
        if io is None:
            return
        settings = self.gotui_app.settings
        action = rollout.scale_action(app.namespace, st.deployment, replicas, self._kube_context(), st.replicas, detail=detail,
                                      hpa=hpa_for(self._hpas(), app.namespace, st.deployment))
        self.gotui_app.gate.perform(action, lambda: rollout.scale(io, settings, app.namespace, st.deployment, replicas, self._kube_context()),
                               on_done=self._reload_soon, audit_fields=rollout.audit_fields)

    def action_scale_down_idle(self) -> None:
        app = self.app_of(self.selected)
        if app is None:
            self.app.notify("Select a blue-green app first.", severity="warning")
            return
        idle = [app.colors[c] for c in app.idle_colors if app.colors[c].replicas > 0]
        if not idle:
            self.app.notify("No idle colour is running.", severity="warning")
            return
        st = idle[0]
        note = ""
        if st.color == app.previous_color:
            note = (f" ⏎ {st.color} is the previous colour: after this, rollback (R) is refused until it is "
                    "scaled back up.")
        self._scale(app, st, 0, detail=f"Scale the idle colour {st.color} ({st.deployment}) from {st.replicas} to 0; "
                                       f"{app.live_color} stays LIVE.{note}")

    def _helm_ref(self) -> tuple[str, str, list[helm_ops.HelmRevision]] | None:
        ref = self.selected
        if ref is None or ref.kind != "helm":
            self.app.notify("Select a Helm release row (⎈) first.", severity="warning")
            return None
        return ref.namespace, ref.name, self.helm.get((ref.namespace, ref.name), [])

    def action_helm_rollback(self) -> None:
        from gotui.ui.cutover_screen import PickRevision

        picked = self._helm_ref()
        if picked is None:
            return
        ns, name, revs = picked
        if helm_ops.find_helm() is None:
            self.app.notify(helm_ops.NOT_INSTALLED, title="Helm rollback", severity="error", timeout=10)
            return
        cur = helm_ops.latest(revs)
        rows = [(r.revision, f"r{r.revision:<3} {r.status:<11} {r.chart}  app {r.app_version}  {r.description}")
                for r in reversed(revs) if cur is None or r.revision != cur.revision]

        def chosen(number: int | None) -> None:
            if number is not None:
                self._helm_rollback(ns, name, next(r for r in revs if r.revision == number))

        self.app.push_screen(PickRevision(f"Helm rollback {name} to revision…", rows), chosen)

    def _helm_rollback(self, ns: str, name: str, rev: helm_ops.HelmRevision) -> None:
        """Roll `ns/name` back to `rev`; when its manifest switches a Service's selector, the change is in
        the dialog and the cutover's checks run around helm (gotui.ops.helm_guard); a switch onto a colour
        with no ready pods is refused here, before any dialog."""
        bridge = self.bridge
        io = self._io()
        if io is None or bridge is None:
            return
        title = f"Helm rollback of {name} to revision {rev.revision} refused"
        if rev.error:
            self.app.notify(f"cannot read revision {rev.revision}: {safe_text(rev.error, 300)}", title=title,
                            severity="error", timeout=10)
            return
        store = bridge.store
        try:
            changes, problems = helm_guard.preflight(rev, store.list("services"), store.list("pods"), self.apps)
        except helm_ops.HelmError as exc:
            self.app.notify(safe_text(exc, 300), title=title, severity="error", timeout=10)
            return
        if problems:
            self.app.notify(safe_text("; ".join(problems), 600), title=title, severity="error", timeout=12)
            return
        settings = self.gotui_app.settings
        ctx = self._kube_context()
        action = helm_ops.rollback_action(ns, name, rev.revision, ctx, detail=helm_guard.guard_detail(rev.revision, changes))
        self.gotui_app.gate.perform(action, lambda: helm_guard.guarded_rollback(
            io, settings, name, rev, ns, context=ctx, kubeconfig=getattr(bridge, "kubeconfig", None)),
            on_done=self._reload_soon, audit_fields=helm_guard.audit_fields)

    def action_helm_show(self) -> None:
        from gotui.ui.cutover_screen import HelmRevisionScreen

        picked = self._helm_ref()
        if picked is None:
            return
        ns, name, revs = picked
        self.app.push_screen(HelmRevisionScreen(ns, name, revs))
