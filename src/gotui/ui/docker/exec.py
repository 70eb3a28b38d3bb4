"""`s`/`e` exec a shell and `a` attach: the TUI is suspended (`App.suspend()`), the terminal is
bridged to the engine's socket in raw mode (gotui.ops.docker_exec), and the TUI comes back when
the shell exits or the operator detaches (ctrl-p ctrl-q)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from gotui.ops.docker_exec import SHELL, bridge, terminal_size
from gotui.ops.errors import describe_error
from gotui.ops.sanitize import safe_text

if TYPE_CHECKING:
    from textual.app import App

    from gotui.sources.docker_source import DockerSource

DETACH = b"\x10\x11"  # ctrl-p ctrl-q, as `docker attach`


def _fds() -> tuple[int, int]:
    stdin = sys.__stdin__
    stdout = sys.__stdout__
    return (stdin.fileno() if stdin else 0), (stdout.fileno() if stdout else 1)


def _say(fd: int, text: str) -> None:
    import os

    os.write(fd, text.encode("utf-8", "replace"))


def exec_shell(app: App[Any], source: DockerSource, container_id: str, name: str) -> None:
    """Open a shell in the running container `name` (call from a thread worker)."""
    stdin_fd, stdout_fd = _fds()
    try:
        exec_id, sock = source.exec_socket(container_id, SHELL, size=terminal_size(stdout_fd))
    except Exception as exc:  # noqa: BLE001 - not running, no /bin/sh, engine away: say so, stay in the TUI
        app.call_from_thread(app.notify, describe_error(exc, what=f"exec into {name}"), severity="error", timeout=8)
        return

    def suspended() -> None:
        with app.suspend():
            _say(stdout_fd, f"\r\n--- gotui: shell in {safe_text(name)} (exit the shell to return) ---\r\n")
            try:
                bridge(sock, stdin_fd, stdout_fd, on_resize=lambda rows, cols: source.exec_resize(exec_id, rows, cols))
            finally:
                sock.close()

    try:
        app.call_from_thread(suspended)
    except Exception as exc:  # noqa: BLE001 - e.g. SuspendNotSupported (Textual web, headless)
        sock.close()
        app.call_from_thread(app.notify, describe_error(exc, what="exec"), severity="error", timeout=8)
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
    stdin_fd, stdout_fd = _fds()
    try:
        sock, multiplexed = source.attach_socket(container_id)
    except Exception as exc:  # noqa: BLE001
        app.call_from_thread(app.notify, describe_error(exc, what=f"attach to {name}"), severity="error", timeout=8)
        return

    def suspended() -> None:
        with app.suspend():
            _say(stdout_fd, f"\r\n--- gotui: attached to {safe_text(name)} — ctrl-p ctrl-q detaches "
                            "(the container keeps running) ---\r\n")
            try:
                bridge(sock, stdin_fd, stdout_fd, multiplexed=multiplexed, detach=DETACH)
            finally:
                sock.close()

    try:
        app.call_from_thread(suspended)
    except Exception as exc:  # noqa: BLE001
        sock.close()
        app.call_from_thread(app.notify, describe_error(exc, what="attach"), severity="error", timeout=8)
        return
    app.call_from_thread(app.notify, f"detached from {name}", timeout=4)
