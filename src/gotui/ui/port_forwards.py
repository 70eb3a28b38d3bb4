"""Port-forwards in the TUI: `F` on a pod asks for the local port (AskPort), `f` or `:pf` lists the
running forwards (PortForwardsScreen), where ctrl+d stops one at once (stopping changes nothing in the
cluster, so no dialog). Starting goes through the gate (read-only refuses, RBAC `create
pods/portforward`, a "started" audit line); stopping writes the outcome line ("stopped")."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from gotui.ops import gate
from gotui.ops.port_forward import Forward, Forwards, StreamError, forward_action, parse_local
from gotui.ops.sanitize import safe_text

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp
    from gotui.ui.kube_bridge import KubeBridge


def parse_spec(text: str, remote: int | None) -> tuple[int, int]:
    """(local, remote) from `LOCAL` or `LOCAL:REMOTE` (LOCAL '' = the remote port, 0/auto = a free one)."""
    local_text, sep, remote_text = text.strip().partition(":")
    if sep:
        if not remote_text.strip().isdigit() or not 0 < int(remote_text) < 65536:
            raise ValueError(f"{remote_text.strip()!r} is not a pod port (1-65535)")
        remote = int(remote_text)
    if remote is None:
        raise ValueError("the pod declares no port: write LOCAL:REMOTE (e.g. 8080:80)")
    return parse_local(local_text, remote), remote


class AskPort(ModalScreen[tuple[int, int] | None]):
    """Ask for the local port of a forward; Enter accepts, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False, id="askport.cancel")]

    def __init__(self, target: str, remote: int | None) -> None:
        super().__init__(classes="ask-number")
        self.target, self.remote = target, remote

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-box"):
            what = f"port {self.remote}" if self.remote else "a port"
            yield Static(Text(f"Forward {self.target} {what} from local port:", style="bold"))
            yield Input(str(self.remote or ""), id="ask-input")
            yield Static(Text("LOCAL or LOCAL:REMOTE · 0/auto = a free port · Enter · Esc", style="dim"),
                         id="ask-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.dismiss(parse_spec(event.value, self.remote))
        except ValueError as exc:
            self.query_one("#ask-hint", Static).update(Text(str(exc), style="bold red"))

    def action_cancel(self) -> None:
        self.dismiss(None)


def forwards_of(app: Any) -> Forwards:
    """The app's running forwards (one registry per app)."""
    found = getattr(app, "forwards", None)
    if found is None:
        found = app.forwards = Forwards()
    return found


def _handles(app: Any) -> dict[int, gate.Handle]:
    found = getattr(app, "forward_handles", None)
    if found is None:
        found = app.forward_handles = {}
    return found


def start_forward(app: GotuiApp, bridge: KubeBridge, fwd: Forward) -> Forward | None:
    """Gate, start and audit a forward (call from a thread worker); None when it did not start."""
    action = forward_action(fwd)
    rbac = getattr(bridge, "rbac", None)
    denied = rbac(action) if rbac is not None else None
    if denied:
        app.call_from_thread(app.notify, denied, title="Not allowed", severity="error")
        return None
    try:
        handle = gate.begin(action, app.audit, app.settings, local=fwd.local)
    except gate.GateRefused as exc:
        app.call_from_thread(app.notify, exc.reason, title="Refused: port-forward", severity="error")
        return None
    try:
        forwards_of(app).start(bridge.api_client, fwd)
    except StreamError as exc:
        text = f"port-forward {fwd.namespace}/{fwd.pod}:{fwd.port}: {exc}"
        _finish(app, handle, f"error: {exc}", message=text)
        app.call_from_thread(app.notify, text, title="Port-forward", severity="error", timeout=8)
        return None
    except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
        from gotui.ops.errors import describe_error

        text = describe_error(exc, what=f"port-forward {fwd.namespace}/{fwd.pod}:{fwd.port}")
        _finish(app, handle, f"error: {text}", message=text)
        app.call_from_thread(app.notify, text, title="Port-forward", severity="error", timeout=8)
        return None
    _handles(app)[fwd.id] = handle
    app.call_from_thread(app.notify, f"forwarding {fwd.title} (f lists forwards)", timeout=6)
    return fwd


def stop_forward(app: Any, fwd_id: int, why: str = "stopped") -> Forward | None:
    """Stop one forward and write its outcome line (any thread but the stream loop's)."""
    fwd = forwards_of(app).stop(fwd_id)
    handle = _handles(app).pop(fwd_id, None)
    if fwd is not None and handle is not None:
        _finish(app, handle, why, message=f"{fwd.title}: {fwd.connections} connection(s), "
                                          f"{fwd.bytes_out} B sent, {fwd.bytes_in} B received",
                local=fwd.local, connections=fwd.connections)
    return fwd


def stop_all(app: Any, why: str) -> None:
    for fwd in forwards_of(app).all():
        stop_forward(app, fwd.id, why)


def _finish(app: Any, handle: gate.Handle, outcome: str, **fields: Any) -> None:
    try:
        handle.finish(outcome, **fields)
    except gate.AuditError as exc:
        try:
            app.call_from_thread(app.notify, f"audit: {exc}", severity="error")
        except RuntimeError:  # on the UI thread already
            app.notify(f"audit: {exc}", severity="error")


def _age(seconds: float) -> str:
    s = int(seconds)
    return f"{s}s" if s < 120 else (f"{s // 60}m" if s < 7200 else f"{s // 3600}h")


class PortForwardsScreen(ModalScreen[None]):
    """The running port-forwards; ctrl+d stops the highlighted one."""

    BINDINGS = [
        Binding("escape", "close", "Close", show=False, id="forwards.close"),
        Binding("q", "close", "Close", id="forwards.quit"),
        Binding("ctrl+d", "stop", "Stop forward", id="forwards.stop"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            yield Static(Text("Port-forwards", style="bold"), id="forwards-title")
            yield DataTable(id="forwards-table", cursor_type="row", zebra_stripes=False)
            yield Static(id="forwards-detail")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("local", "pod", "port", "conns", "age", "last error")
        self.refresh_rows()
        self.set_interval(1.0, self.refresh_rows)
        table.focus()

    @property
    def forwards(self) -> list[Forward]:
        return forwards_of(self.app).all()

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        rows = self.forwards
        keep = table.cursor_row
        table.clear()
        now = time.time()
        for f in rows:
            table.add_row(f"127.0.0.1:{f.local}", safe_text(f"{f.namespace}/{f.pod}", 80), str(f.port),
                          f"{f.connections} ({f.active})", _age(now - f.started),
                          Text(safe_text(f.last_error, 200)[:40], style="red"), key=str(f.id))
        if rows:
            table.move_cursor(row=min(keep, len(rows) - 1))
        title = "Port-forwards" + ("" if rows else " — none running (F on a pod starts one)")
        self.query_one("#forwards-title", Static).update(Text(title, style="bold"))
        current = rows[min(keep, len(rows) - 1)] if rows else None
        detail = (f"{current.title} · sent {current.bytes_out} B · received {current.bytes_in} B"
                  + (f"\nlast error: {safe_text(current.last_error, 400)}" if current.last_error else "")) if current else ""
        self.query_one("#forwards-detail", Static).update(Text(detail))

    def action_stop(self) -> None:
        rows = self.forwards
        table = self.query_one(DataTable)
        if not rows or not 0 <= table.cursor_row < len(rows):
            self.notify("No forward selected.", severity="warning")
            return
        self._stop(rows[table.cursor_row].id)

    @work(thread=True, group="forward-stop", exit_on_error=False)
    def _stop(self, fwd_id: int) -> None:
        fwd = stop_forward(self.app, fwd_id)
        if fwd is not None:
            self.app.call_from_thread(self.notify, f"stopped {fwd.title}", timeout=4)
        self.app.call_from_thread(self.refresh_rows)

    def action_close(self) -> None:
        self.dismiss(None)
