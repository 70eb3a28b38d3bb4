"""`kubectl exec -it` for gotui: a pods/exec WebSocket presented as a plain socket, so the one raw
terminal bridge (ops/terminal_bridge.py, shared with `docker exec`) drives both.

`ExecSession.open()` connects (errors raise StreamError before the UI suspends) and returns the near
end of a socketpair: bytes written there go to the process's stdin (channel 0), its stdout/stderr come
back on it, a half-close (end of input) becomes the v5 "close stdin" signal, and the socket closes when
the process has exited. `resize(rows, cols)` sends channel 4; `exit_code` is read from channel 3.
No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any

from gotui.ops.actions import Action
from gotui.ops.docker_exec import SHELL  # the best shell the container has (bash, ash, sh)
from gotui.sources import kube_ws
from gotui.sources.kube_ws import CLOSE, ERROR, RESIZE, STDERR, STDIN, STDOUT, StreamError

__all__ = ["SHELL", "ExecSession", "StreamError", "exec_action"]


def exec_action(namespace: str, pod: str, container: str | None, context: str | None) -> Action:
    """What the gate checks and audits for a shell: `create pods/exec`; refused in read-only mode (a
    shell can change anything in the container, so read-only gotui opens none, as k9s does)."""
    where = f" -c {container}" if container else ""
    return Action(verb="exec", kind="pod", target=pod, namespace=namespace, context=context,
                  preview=f"kubectl exec -it -n {namespace} {pod}{where} -- sh", destructive=False,
                  rbac=("create", "pods/exec", ""), params={"container": container})


class ExecSession:
    """One exec stream on the background stream loop."""

    def __init__(self, api: Any, namespace: str, pod: str, container: str | None, command: list[str], *,
                 tty: bool = True) -> None:
        self.api, self.namespace, self.pod, self.container = api, namespace, pod, container
        self.command, self.tty = command, tty
        self.exit_code: int | None = None
        self.message = ""
        self._ws: Any = None
        self._far: socket.socket | None = None
        self._done: Any = None

    def open(self, size: tuple[int, int] | None = None, timeout: float = 20.0) -> socket.socket:
        """Connect; the socket to bridge the terminal with. StreamError when the stream cannot open."""
        near, far = socket.socketpair()
        self._far = far
        loop = kube_ws.stream_loop()
        try:
            loop.submit(self._connect(size)).result(timeout)
        except BaseException:
            near.close()
            far.close()
            raise
        self._done = loop.submit(self._pump(far))
        return near

    async def _connect(self, size: tuple[int, int] | None) -> None:
        query = [("command", c) for c in self.command]
        query += [("stdin", "true"), ("stdout", "true"), ("stderr", "false" if self.tty else "true"),
                  ("tty", "true" if self.tty else "false")]
        if self.container:
            query.append(("container", self.container))
        path = f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}/exec"
        self._session, self._ws = await kube_ws.connect(self.api, path, query, kube_ws.EXEC_PROTOCOLS)
        if size:
            await self._send(RESIZE, json.dumps({"Width": size[1], "Height": size[0]}).encode())

    async def _send(self, channel: int, data: bytes) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._ws.send_bytes(bytes([channel]) + data)

    async def _pump(self, far: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        far.setblocking(False)
        v5 = self._ws.protocol == "v5.channel.k8s.io"

        async def keys() -> None:
            while data := await loop.sock_recv(far, 4096):
                await self._send(STDIN, data)
            if v5:  # end of input (the terminal's end): the shell sees EOF on stdin
                await self._send(CLOSE, bytes([STDIN]))

        typed = asyncio.create_task(keys())
        try:
            async for msg in self._ws:
                if msg.type.name != "BINARY" or not msg.data:
                    continue
                channel, data = msg.data[0], msg.data[1:]
                if channel in (STDOUT, STDERR) and data:
                    with contextlib.suppress(OSError):
                        await loop.sock_sendall(far, data)
                elif channel == ERROR:
                    self.exit_code, self.message = kube_ws.exit_code(data)
        finally:
            typed.cancel()
            if self.exit_code is None:
                self.message = self.message or "the stream ended without an exit status (connection lost?)"
            far.close()
            await self._ws.close()
            await self._session.close()

    def resize(self, rows: int, cols: int) -> None:
        """Tell the process's terminal its new size (thread-safe)."""
        if self._ws is not None:
            kube_ws.stream_loop().submit(self._send(RESIZE, json.dumps({"Width": cols, "Height": rows}).encode()))

    def wait(self, timeout: float = 10.0) -> int | None:
        """Wait for the stream to end; the exit code (None when unknown)."""
        if self._done is not None:
            with contextlib.suppress(Exception):
                self._done.result(timeout)
        return self.exit_code

    def close(self) -> None:
        if self._done is not None and not self._done.done():
            self._done.cancel()
        if self._far is not None:
            self._far.close()
