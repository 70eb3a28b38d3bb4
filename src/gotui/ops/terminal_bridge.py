"""The raw terminal bridge behind every interactive shell gotui opens (`docker exec -it`, `docker
attach`, `kubectl exec -it`): the local terminal in raw mode, keystrokes copied to a socket and the
socket's bytes to the terminal until either side ends, size changes reported, the terminal restored.
Docker's hijacked connection is such a socket; a Kubernetes exec WebSocket is presented as one
(ops/kube_exec.py). No Textual here: the UI suspends itself around `bridge()`.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import tty
from collections.abc import Callable, Iterator
from typing import Any, Protocol


class Feed(Protocol):
    def feed(self, data: bytes) -> bytes: ...


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """The terminal at `fd` in raw mode for the block (nothing happens when it is not a terminal)."""
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def terminal_size(fd: int) -> tuple[int, int] | None:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.lines, size.columns


def bridge(sock: Any, stdin_fd: int, stdout_fd: int, *, demux: Feed | None = None,
           on_resize: Callable[[int, int], None] | None = None, detach: bytes | None = None) -> None:
    """Copy stdin -> socket and socket -> stdout until the socket closes (the shell exited or the
    attach detached). `on_resize(rows, cols)` is called when the terminal size changes; typing
    `detach` (e.g. ctrl-p ctrl-q) returns at once, without sending it."""
    last_size = terminal_size(stdout_fd)
    stdin_open = True
    typed = b""
    with raw_terminal(stdin_fd):
        while True:
            watch = [sock] + ([stdin_fd] if stdin_open else [])
            ready, _, _ = select.select(watch, [], [], 0.25)
            if on_resize is not None:
                size = terminal_size(stdout_fd)
                if size and size != last_size:
                    last_size = size
                    with contextlib.suppress(Exception):
                        on_resize(*size)
            if sock in ready:
                try:
                    data = sock.recv(65536)
                except (ConnectionResetError, OSError):
                    data = b""
                if not data:
                    return
                if demux is not None:
                    # no TTY in the container: its lines end in \n, which a raw terminal does not
                    # return to column 0
                    data = demux.feed(data).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                _write_all(stdout_fd, data)
            if stdin_open and stdin_fd in ready:
                data = os.read(stdin_fd, 4096)
                typed = typed[-8:] + data if detach else b""
                if detach and detach in typed:
                    return
                if not data:
                    stdin_open = False
                    with contextlib.suppress(OSError):
                        sock.shutdown(1)  # SHUT_WR: the shell sees end of input
                    continue
                sock.sendall(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
