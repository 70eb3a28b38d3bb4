"""The cutover screen (live timeline of the state machine + a traffic meter by version) and the small
modals of the Releases pane: pick a revision, ask for a number, show a Helm revision's manifest/values."""

from __future__ import annotations

import threading
from typing import Any, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from gotui.config import Settings
from gotui.ops import helm as helm_ops
from gotui.ops.bluegreen import BlueGreenApp
from gotui.ops.cutover import (
    MAIN_STEPS,
    Cutover,
    CutoverFailed,
    CutoverOptions,
    CutoverResult,
    Step,
    StepEvent,
)
from gotui.ops.kube_io import KubeIO
from gotui.ops.sanitize import safe_text, sanitize_lines
from gotui.ops.traffic import TrafficMeter, service_proxy_fetch

STATUS_WORD = {"start": "… running", "ok": "✓ ok", "skip": "– skipped", "fail": "✗ FAILED"}
STATUS_STYLE = {"start": "bold", "ok": "green", "skip": "dim", "fail": "bold red"}
FINAL_WORD = {
    Step.DONE: ("✓ DONE", "bold green"),
    Step.FAILED_REVERTED: ("✗ FAILED — REVERTED", "bold red"),
    Step.REVERT_FAILED: ("✗ FAILED — REVERT FAILED TOO", "bold red reverse"),
    Step.REFUSED: ("✗ REFUSED — nothing changed", "bold yellow"),
    Step.CANCELLED: ("– CANCELLED — nothing changed", "bold yellow"),
}
TRAFFIC_RATE = 20.0


def start_meter(io: Any, namespace: str, service: str, rate: float = TRAFFIC_RATE) -> TrafficMeter | None:
    """A running traffic meter on the Service through the API server's service proxy (bounded to 10
    minutes), or None when it cannot start."""
    try:
        return TrafficMeter(rate=rate, max_seconds=600, fetch=service_proxy_fetch(io, namespace, service)).start()
    except Exception:  # noqa: BLE001 - the meter is a nice-to-have
        return None


def tag_of(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


class CutoverScreen(ModalScreen[None]):
    """Runs beside one cutover: shows each step with its duration, and the traffic by version."""

    BINDINGS = [
        Binding("x", "cancel_cutover", "Cancel (before SWITCH)", id="cutover.cancel"),
        Binding("q", "close", "Close", id="cutover.close"),
        Binding("escape", "close", "Close", show=False, id="cutover.escape"),
    ]

    class StepMsg(Message):
        def __init__(self, event: StepEvent) -> None:
            super().__init__()
            self.event = event

    def __init__(self, app_view: BlueGreenApp, to_color: str, *, rollback: bool = False,
                 traffic_rate: float = TRAFFIC_RATE, meter: TrafficMeter | None = None,
                 scale_up: bool = False, scale_planned: bool = False, break_lock: bool = False) -> None:
        super().__init__(classes="cutover-screen")
        self.view = app_view
        self.to_color = to_color
        self.from_color = app_view.live_color
        self.rollback = rollback
        self.scale_up = scale_up  # the operator allowed SCALE
        self.scale_planned = scale_planned  # ... and the target is short of replicas: show the SCALE row
        self.break_lock = break_lock  # the operator confirmed taking over another cutover's lock (audited)
        self.cancel_event = threading.Event()
        self.steps: dict[Step, StepEvent] = {}
        self.final: StepEvent | None = None
        self.result: CutoverResult | None = None
        self.cutover: Cutover | None = None
        self.meter: TrafficMeter | None = meter
        self.traffic_rate = traffic_rate
        self.switched = False
        self.versions = {tag_of(img): color for color, st in app_view.colors.items() for img in st.images}

    def compose(self) -> ComposeResult:
        verb = "ROLLBACK" if self.rollback else "CUTOVER"
        with Vertical(id="cutover-box"):
            yield Static(Text(f"{verb} {self.view.namespace}/{self.view.name}: {self.from_color} → {self.to_color}",
                              style="bold"), id="cutover-title")
            yield Static(id="cutover-timeline")
            yield Static(id="cutover-traffic")
            yield Static(Text("x cancel (only before SWITCH) · q close (the cutover goes on)", style="dim"),
                         id="cutover-hint")

    def on_mount(self) -> None:
        self.render_timeline()
        self.render_traffic()
        self.set_interval(0.25, self.render_traffic)

    def on_unmount(self) -> None:
        if self.meter is not None:
            meter, self.meter = self.meter, None
            threading.Thread(target=meter.stop, daemon=True).start()

    # -- running the cutover (worker thread) ----------------------------------------------------
    def execute(self, io: KubeIO, settings: Settings, context: str | None) -> str:
        """Run the cutover in the calling (worker) thread; raise CutoverFailed unless DONE."""
        options = CutoverOptions(smoke_path=settings.smoke_path or None, smoke_required=False, rollback=self.rollback,
                                 scale_up=self.scale_up, break_lock=self.break_lock)
        self.cutover = Cutover(io, self.view.namespace, self.view.name, self.to_color, options, settings=settings,
                               context=context, on_event=lambda ev: self.post_message(self.StepMsg(ev)),
                               cancel=self.cancel_event)
        interruptible: set[Any] = getattr(getattr(self.app, "gate", None), "interruptible", set())
        interruptible.add(self.cutover)  # SIGTERM/SIGHUP: stop cleanly (revert after SWITCH, lock released)
        try:
            result = self.cutover.run()
        finally:
            interruptible.discard(self.cutover)
        self.result = result
        if not result.ok:
            raise CutoverFailed(result)
        return f"{self.view.name}: {result.message}"

    def finished(self, error: BaseException | None) -> None:
        """Called on the UI thread when the action ended (after the audit line is written)."""
        if isinstance(error, CutoverFailed):
            self.result = error.result
        self.render_timeline()

    # -- events ---------------------------------------------------------------------------------
    def on_cutover_screen_step_msg(self, message: StepMsg) -> None:
        ev = message.event
        if ev.status == "end":
            self.final = ev
        else:
            self.steps[ev.step] = ev
            if ev.step is Step.SWITCH and ev.status == "ok":
                self.switched = True
        self.render_timeline()

    def action_cancel_cutover(self) -> None:
        if self.final is not None:
            self.notify("The cutover has finished.", timeout=3)
            return
        if self.switched or Step.SWITCH in self.steps:
            self.notify("Too late to cancel: the Service has been switched (VERIFY reverts if it fails).",
                        severity="warning")
            return
        self.cancel_event.set()
        self.notify("Cancelling before SWITCH…", timeout=3)

    def action_close(self) -> None:
        self.dismiss(None)

    # -- rendering ------------------------------------------------------------------------------
    def render_timeline(self) -> None:
        text = Text()
        order = list(MAIN_STEPS) + ([Step.REVERT] if Step.REVERT in self.steps else [])
        if self.scale_planned or Step.SCALE in self.steps:
            order.insert(1, Step.SCALE)
        for step in order:
            ev = self.steps.get(step)
            text.append(f"{step.value:<10}", style="bold")
            if ev is None:
                text.append("· waiting\n", style="dim")
                continue
            text.append(f"{STATUS_WORD.get(ev.status, ev.status):<11}", style=STATUS_STYLE.get(ev.status, ""))
            took = f"{ev.duration_s * 1000:6.0f} ms" if ev.duration_s is not None else "        "
            text.append(f"{took}  ")
            text.append(safe_text(ev.message, 300) + "\n")
        if self.final is not None:
            word, style = FINAL_WORD.get(self.final.step, (self.final.step.value, "bold"))
            text.append(f"\n{word}", style=style)
            text.append(f"  {self.final.elapsed_s:.2f} s\n")
            text.append(safe_text(self.final.message, 600))
        self.query_one("#cutover-timeline", Static).update(text)

    def render_traffic(self) -> None:
        widget = self.query_one("#cutover-traffic", Static)
        if self.meter is None:
            widget.update(Text("traffic meter: off", style="dim"))
            return
        snap = self.meter.snapshot()
        text = Text()
        text.append(f"traffic  {snap.sent} sent, {snap.ok} ok, ", style="")
        text.append(f"{snap.failed} failed", style="bold red" if snap.failed else "")
        text.append(f"  ({self.traffic_rate:g}/s through the Service)\n")
        recent = snap.last_seconds(1)
        for version, count in sorted(snap.by_version.items()):
            color = self.versions.get(version, "?")
            last = recent.get(version, 0)
            bar = "█" * min(30, round(last * 30 / max(1, self.traffic_rate)))
            text.append(f"  {safe_text(color, 8):<8} {safe_text(version, 12):<12} last s {last:>3}  total {count:>5} ")
            text.append(bar + "\n")
        if snap.failures:
            text.append("  failures: " + ", ".join(f"{k} {v}" for k, v in snap.failures.items()) + "\n", style="red")
        widget.update(text)


class PickRevision(ModalScreen[int | None]):
    """Choose one revision from a list; Enter picks, n / Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False), Binding("n", "cancel", "Cancel")]

    def __init__(self, title: str, rows: list[tuple[int, str]]) -> None:
        super().__init__(classes="pick-revision")
        self.title_text = title
        self.choices = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box"):
            yield Static(Text(self.title_text, style="bold"))
            yield DataTable(id="pick-table", cursor_type="row", show_header=False)
            yield Static(Text("Enter choose · n / Esc cancel", style="dim"))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("revision")
        for number, label in self.choices:
            table.add_row(Text(safe_text(label, 200)), key=str(number))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(int(cast(str, event.row_key.value)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class AskNumber(ModalScreen[int | None]):
    """Ask for a whole number (replicas); Enter accepts, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, prompt: str, value: int) -> None:
        super().__init__(classes="ask-number")
        self.prompt = prompt
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-box"):
            yield Static(Text(self.prompt, style="bold"))
            yield Input(str(self.value), id="ask-input", type="integer")
            yield Static(Text("Enter accept · Esc cancel (0-1000)", style="dim"), id="ask-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            number = int(event.value.strip())
        except ValueError:
            number = -1
        if not 0 <= number <= 1000:
            self.query_one("#ask-hint", Static).update(Text("A whole number from 0 to 1000, please.", style="bold red"))
            return
        self.dismiss(number)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelmRevisionScreen(ModalScreen[None]):
    """A Helm release's revisions; the highlighted one's manifest (m) or values (v)."""

    BINDINGS = [
        Binding("m", "show('manifest')", "Manifest"),
        Binding("v", "show('values')", "Values"),
        Binding("q", "close", "Close"),
        Binding("escape", "close", "Close", show=False),
    ]

    def __init__(self, namespace: str, name: str, revisions: list[helm_ops.HelmRevision]) -> None:
        super().__init__(classes="helm-revision")
        self.namespace = namespace
        self.release = name
        self.revisions = list(reversed(revisions))
        self.mode = "manifest"

    def compose(self) -> ComposeResult:
        with Vertical(id="helm-box"):
            yield Static(Text(f"⎈ {self.namespace}/{self.release} — m manifest · v values · q close", style="bold"))
            yield DataTable(id="helm-table", cursor_type="row")
            with VerticalScroll(id="helm-body-scroll"):
                yield Static(id="helm-body")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("REV", "STATUS", "CHART", "APP", "UPDATED")
        for r in self.revisions:
            status = r.status.upper() if r.pending else r.status
            table.add_row(str(r.revision), safe_text(status, 20), safe_text(r.chart, 30), safe_text(r.app_version, 12),
                          safe_text(r.updated, 19)[:19], key=str(r.revision))
        table.focus()
        self.render_body()

    @property
    def current(self) -> helm_ops.HelmRevision | None:
        table = self.query_one(DataTable)
        if not self.revisions:
            return None
        return self.revisions[min(max(table.cursor_row, 0), len(self.revisions) - 1)]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.render_body()

    def action_show(self, mode: str) -> None:
        self.mode = mode
        self.render_body()

    def render_body(self) -> None:
        rev = self.current
        text = Text()
        if rev is None:
            text.append("no revisions")
        elif rev.error:
            text.append(f"cannot decode revision {rev.revision}: {safe_text(rev.error, 300)}", style="red")
        else:
            import yaml

            from gotui.ops import masking

            body = masking.mask_manifest(rev.manifest) if self.mode == "manifest" else yaml.safe_dump(masking.mask_tree(rev.values), sort_keys=True)
            text.append(f"# revision {rev.revision} {self.mode}\n", style="dim")
            for line in sanitize_lines(body or "(empty)")[:2000]:
                text.append(line + "\n")
        self.query_one("#helm-body", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)


def describe(result: Any) -> str:
    """A one-line summary of a cutover result for notifications."""
    if isinstance(result, CutoverResult):
        return result.summary()
    return str(result)
