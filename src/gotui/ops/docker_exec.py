"""`docker exec -it` / `docker attach` over the API: a raw terminal bridged to the engine's socket.

No Textual here: the UI suspends itself and calls `bridge()`, which puts the terminal in raw mode,
copies keystrokes to the socket and the socket's bytes to the terminal until either side ends, and
restores the terminal. Attaching to a container without a TTY gets multiplexed frames (8-byte
headers), which `Demux` strips.
"""

from __future__ import annotations

import struct
from typing import Any

from gotui.ops import terminal_bridge
from gotui.ops.terminal_bridge import raw_terminal, terminal_size

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


def bridge(sock: Any, stdin_fd: int, stdout_fd: int, *, multiplexed: bool = False, **kw: Any) -> None:
    """`terminal_bridge.bridge`, stripping the stream headers of a multiplexed (non-TTY) attach."""
    terminal_bridge.bridge(sock, stdin_fd, stdout_fd, demux=Demux() if multiplexed else None, **kw)


__all__ = ["SHELL", "Demux", "bridge", "raw_terminal", "terminal_size"]
