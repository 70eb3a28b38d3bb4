"""`s` on a pod: a shell in its container with the TUI suspended (ui/terminal_session.py), through the
gate (read-only refuses, RBAC `create pods/exec`, audit lines "started" and "exit N"). Call from a
thread worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gotui.ops import gate
from gotui.ops.docker_exec import terminal_size
from gotui.ops.errors import describe_error
from gotui.ops.kube_exec import SHELL, ExecSession, StreamError, exec_action
from gotui.ops.sanitize import safe_text
from gotui.ui.terminal_session import NO_TERMINAL, fds, has_terminal, run_suspended

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp
    from gotui.ui.kube_bridge import KubeBridge


def pod_shell(app: GotuiApp, bridge: KubeBridge, namespace: str, pod: str, container: str | None,
              command: list[str] | None = None) -> str | None:
    """Open a shell in `namespace/pod` (its `container`), bridge the terminal, audit the outcome; the
    line saying how it ended (None when it never started: a notification said why)."""
    note = app.notify
    if not has_terminal():
        app.call_from_thread(note, NO_TERMINAL, title="Shell", severity="error", timeout=8)
        return None
    action = exec_action(namespace, pod, container, bridge.context)
    rbac = getattr(bridge, "rbac", None)
    denied = rbac(action) if rbac is not None else None
    if denied:
        app.call_from_thread(note, denied, title="Not allowed", severity="error")
        return None
    try:
        handle = gate.begin(action, app.audit, app.settings)
    except gate.GateRefused as exc:
        app.call_from_thread(note, exc.reason, title="Refused: shell", severity="error")
        return None
    session = ExecSession(bridge.api_client, namespace, pod, container, command or SHELL)
    try:
        sock = session.open(size=terminal_size(fds()[1]))
    except StreamError as exc:
        _fail(app, handle, f"shell in {namespace}/{pod}: {exc}")
        return None
    except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
        _fail(app, handle, describe_error(exc, what=f"shell in {namespace}/{pod}"))
        return None
    where = f"{pod}" + (f" ({container})" if container else "")
    if not run_suspended(app, sock, f"shell in {safe_text(where)} (exit the shell to return)", what="exec",
                         on_resize=session.resize):
        session.close()
        handle.fail("the terminal could not be handed over")
        return None
    code = session.wait(10)
    session.close()
    outcome = f"exit {code}" if code is not None else f"error: {session.message}"
    try:
        handle.finish("ok" if code == 0 else outcome, message=session.message)
    except gate.AuditError as exc:
        app.call_from_thread(note, f"audit: {exc}", severity="error")
    text = f"shell in {pod} ended" + (f" (exit {code})" if code is not None else f": {session.message}")
    app.call_from_thread(note, text, severity="information" if code == 0 else "warning", timeout=6)
    return text


def _fail(app: GotuiApp, handle: gate.Handle, text: str) -> None:
    try:
        handle.fail(text)
    except gate.AuditError:
        pass
    app.call_from_thread(app.notify, text, title="Shell", severity="error", timeout=8)
