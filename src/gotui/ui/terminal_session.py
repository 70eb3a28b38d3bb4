"""Run a raw terminal session with the TUI suspended (`App.suspend()`): shared by `docker exec`/attach
(ui/docker/exec.py) and `kubectl exec` (ui/kube_exec.py). Call from a thread worker."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from gotui.ops.docker_exec import bridge
from gotui.ops.errors import describe_error

if TYPE_CHECKING:
    from textual.app import App


def fds() -> tuple[int, int]:
    """The real terminal's stdin and stdout descriptors."""
    stdin = sys.__stdin__
    stdout = sys.__stdout__
    return (stdin.fileno() if stdin else 0), (stdout.fileno() if stdout else 1)


NO_TERMINAL = "a shell needs gotui's terminal, and its input is not a terminal here"


def has_terminal() -> bool:
    """Is gotui's input a terminal the shell can take over? (Not in headless tests or with stdin piped:
    the bridge would wait on an input that never comes while the TUI stays suspended.)"""
    try:
        return os.isatty(fds()[0])
    except OSError:
        return False


def say(fd: int, text: str) -> None:
    os.write(fd, text.encode("utf-8", "replace"))


def run_suspended(app: App[Any], sock: Any, banner: str, *, what: str, **bridge_kw: Any) -> bool:
    """Suspend the TUI, print `banner` (already safe text), bridge the terminal to `sock` until it ends,
    close `sock`, bring the TUI back. False (and a notification) when the TUI cannot suspend."""
    stdin_fd, stdout_fd = fds()
    if not has_terminal():
        sock.close()
        app.call_from_thread(app.notify, NO_TERMINAL, title=what, severity="error", timeout=8)
        return False

    def suspended() -> None:
        with app.suspend():
            say(stdout_fd, f"\r\n--- gotui: {banner} ---\r\n")
            try:
                bridge(sock, stdin_fd, stdout_fd, **bridge_kw)
            finally:
                sock.close()

    try:
        app.call_from_thread(suspended)
    except Exception as exc:  # noqa: BLE001 - e.g. SuspendNotSupported (Textual web, headless)
        sock.close()
        app.call_from_thread(app.notify, describe_error(exc, what=what), severity="error", timeout=8)
        return False
    return True
