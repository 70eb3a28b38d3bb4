"""`docker exec -it` / `docker attach` over the API: a raw terminal bridged to the engine's socket.

No Textual here: the UI suspends itself and calls `bridge()`, which puts the terminal in raw mode,
copies keystrokes to the socket and the socket's bytes to the terminal until either side ends, and
restores the terminal. Attaching to a container without a TTY gets multiplexed frames (8-byte
headers), which `Demux` strips.
"""

from __future__ import annotations

import contextlib
import os
import select
import struct
import termios
import tty
from collections.abc import Callable, Iterator
from typing import Any

# `docker exec -it` with the best shell the image has
SHELL = ["/bin/sh", "-c", "if [ -x /bin/bash ]; then exec /bin/bash; elif [ -x /bin/ash ]; then exec /bin/ash; "
         "else exec /bin/sh; fi"]


class Demux:
    """Strip the 8-byte stream headers of a non-TTY attach stream (stdout and stderr merged)."""

    def __init__(self) -> None:
        self.buf = b""

    def feed(self, data: bytes) -> bytes:
        self.buf += data
        out = []
        while len(self.buf) >= 8:
            length = struct.unpack_from(">I", self.buf, 4)[0]
            if len(self.buf) < 8 + length:
                break
            out.append(self.buf[8:8 + length])
            self.buf = self.buf[8 + length:]
        return b"".join(out)


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


def bridge(sock: Any, stdin_fd: int, stdout_fd: int, *, multiplexed: bool = False,
           on_resize: Callable[[int, int], None] | None = None, detach: bytes | None = None) -> None:
    """Copy stdin -> socket and socket -> stdout until the socket closes (the shell exited or the
    attach detached). `on_resize(rows, cols)` is called when the terminal size changes; typing
    `detach` (e.g. ctrl-p ctrl-q) returns at once, without sending it."""
    demux = Demux() if multiplexed else None
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
