"""`s`/`e` exec a shell and `a` attach: the TUI is suspended (`App.suspend()`), the terminal is
bridged to the engine's socket in raw mode (ui/terminal_session.py, gotui.ops.terminal_bridge), and the
TUI comes back when the shell exits or the operator detaches (ctrl-p ctrl-q)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gotui.ops.docker_exec import SHELL, terminal_size
from gotui.ops.errors import describe_error
from gotui.ops.sanitize import safe_text
from gotui.ui.terminal_session import fds, run_suspended

if TYPE_CHECKING:
    from textual.app import App

    from gotui.sources.docker_source import DockerSource

DETACH = b"\x10\x11"  # ctrl-p ctrl-q, as `docker attach`


def exec_shell(app: App[Any], source: DockerSource, container_id: str, name: str) -> None:
    """Open a shell in the running container `name` (call from a thread worker)."""
    _, stdout_fd = fds()
    try:
        exec_id, sock = source.exec_socket(container_id, SHELL, size=terminal_size(stdout_fd))
    except Exception as exc:  # noqa: BLE001 - not running, no /bin/sh, engine away: say so, stay in the TUI
        app.call_from_thread(app.notify, describe_error(exc, what=f"exec into {name}"), severity="error", timeout=8)
        return
    if not run_suspended(app, sock, f"shell in {safe_text(name)} (exit the shell to return)", what="exec",
                         on_resize=lambda rows, cols: source.exec_resize(exec_id, rows, cols)):
        return
    try:
        code = source.exec_exit_code(exec_id)
    except Exception:  # noqa: BLE001
        code = None
    note = f"shell in {name} ended" + ("" if code is None else f" (exit {code})")
    app.call_from_thread(app.notify, note, timeout=4)


def attach(app: App[Any], source: DockerSource, container_id: str, name: str) -> None:
    """Attach the terminal to the container's main process (its output; its stdin only when it keeps
    stdin open). ctrl-p ctrl-q detaches and leaves the container running."""
    try:
        sock, multiplexed = source.attach_socket(container_id)
    except Exception as exc:  # noqa: BLE001
        app.call_from_thread(app.notify, describe_error(exc, what=f"attach to {name}"), severity="error", timeout=8)
        return
    banner = f"attached to {safe_text(name)} — ctrl-p ctrl-q detaches (the container keeps running)"
    if run_suspended(app, sock, banner, what="attach", multiplexed=multiplexed, detach=DETACH):
        app.call_from_thread(app.notify, f"detached from {name}", timeout=4)
