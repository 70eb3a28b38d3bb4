"""`kubectl port-forward` for gotui: a local listener per forward, one pods/portforward WebSocket
(`v4.channel.k8s.io`, `?ports=N`) per accepted connection, all on the background stream loop.

On a channel WebSocket the server opens channel 0 (data) and 1 (error) with the port as 2
little-endian bytes; data then flows as `0x00 + bytes`, and a message on channel 1 says why the pod's
port cannot be reached. `Forwards.start()` checks what can be checked before listening: a free local
port, and one probe stream (the API answers, RBAC allows it, the pod listens on the port).
No Textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from gotui.ops.actions import Action
from gotui.sources import kube_ws
from gotui.sources.kube_ws import StreamError

PROBE_WAIT = 0.5  # how long the probe stream waits for the pod's refusal
HALF_CLOSE_IDLE = 1.0  # after the local end stops sending, the answer may still come for this long
DATA, ERRORS = 0, 1
_ids = itertools.count(1)


@dataclass
class Forward:
    """One forward: `local` on 127.0.0.1 -> `port` of `namespace/pod`."""

    namespace: str
    pod: str
    port: int
    local: int = 0
    context: str | None = None
    id: int = field(default_factory=lambda: next(_ids))
    started: float = field(default_factory=time.time)
    connections: int = 0
    active: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    last_error: str = ""
    server: Any = field(default=None, repr=False)

    @property
    def title(self) -> str:
        return f"127.0.0.1:{self.local} -> {self.namespace}/{self.pod}:{self.port}"


def forward_action(fwd: Forward, verb: str = "port-forward") -> Action:
    """What the gate checks and audits: `create pods/portforward`; refused in read-only mode (a forward
    opens the pod's port to anything on this machine, which read-only gotui never does, as k9s)."""
    return Action(verb=verb, kind="pod", target=fwd.pod, namespace=fwd.namespace, context=fwd.context,
                  preview=f"kubectl port-forward -n {fwd.namespace} pod/{fwd.pod} {fwd.local}:{fwd.port}",
                  destructive=False, rbac=("create", "pods/portforward", ""),
                  params={"local": fwd.local, "port": fwd.port})


def container_ports(pod: dict) -> list[tuple[str, int]]:
    """(container, port) of every port the pod's containers declare."""
    return [(str(c.get("name") or ""), int(p.get("containerPort") or 0))
            for c in (pod.get("spec") or {}).get("containers") or [] for p in c.get("ports") or []
            if p.get("containerPort")]


def parse_local(text: str, default: int) -> int:
    """The local port from the prompt: '' -> `default`, 0 or 'auto' -> 0 (a free port); ValueError else."""
    text = text.strip().lower()
    if not text:
        return default
    if text in ("0", "auto"):
        return 0
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{text!r} is not a port (1-65535, or 0/auto for a free one)")
    return int(text)


class Forwards:
    """The running forwards of one gotui (thread-safe for the UI's workers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: dict[int, Forward] = {}

    def all(self) -> list[Forward]:
        with self._lock:
            return sorted(self.items.values(), key=lambda f: f.id)

    def start(self, api: Any, fwd: Forward, timeout: float = 20.0) -> Forward:
        """Probe, then listen. StreamError naming the cause: API/RBAC refusal, port not listening in the
        pod, local port in use."""
        kube_ws.stream_loop().submit(self._start(api, fwd)).result(timeout)
        with self._lock:
            self.items[fwd.id] = fwd
        return fwd

    def stop(self, fwd_id: int, timeout: float = 10.0) -> Forward | None:
        with self._lock:
            fwd = self.items.pop(fwd_id, None)
        if fwd is not None and fwd.server is not None:
            kube_ws.stream_loop().submit(_close(fwd.server)).result(timeout)
        return fwd

    def stop_all(self) -> list[Forward]:
        return [f for f in (self.stop(i) for i in [f.id for f in self.all()]) if f is not None]

    async def _start(self, api: Any, fwd: Forward) -> None:
        await _probe(api, fwd)
        try:
            server = await asyncio.start_server(lambda r, w: _serve(api, fwd, r, w), "127.0.0.1", fwd.local)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StreamError(f"local port {fwd.local} is in use (pick another, or 0 for a free one)") from None
            raise StreamError(f"cannot listen on 127.0.0.1:{fwd.local}: {exc.strerror or exc}") from None
        fwd.server = server
        fwd.local = server.sockets[0].getsockname()[1]


async def _close(server: asyncio.AbstractServer) -> None:
    server.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(server.wait_closed(), 3)


async def _open(api: Any, fwd: Forward) -> tuple[Any, Any]:
    path = f"/api/v1/namespaces/{fwd.namespace}/pods/{fwd.pod}/portforward"
    session, ws = await kube_ws.connect(api, path, [("ports", str(fwd.port))], kube_ws.PORTFORWARD_PROTOCOLS)
    try:
        for _ in range(2):  # channels 0 and 1 open with the port
            msg = await asyncio.wait_for(ws.receive(), 10)
            if msg.type.name != "BINARY" or len(msg.data) < 3 or struct.unpack("<H", msg.data[1:3])[0] != fwd.port:
                raise StreamError(f"the API server opened no stream for port {fwd.port}")
    except BaseException:
        await ws.close()
        await session.close()
        raise
    return session, ws


async def _probe(api: Any, fwd: Forward) -> None:
    session, ws = await _open(api, fwd)
    try:
        with contextlib.suppress(TimeoutError):
            msg = await asyncio.wait_for(ws.receive(), PROBE_WAIT)
            if msg.type.name == "BINARY" and msg.data[:1] == bytes([ERRORS]):
                raise StreamError(f"{fwd.namespace}/{fwd.pod} does not listen on port {fwd.port}: "
                                  + msg.data[1:].decode("utf-8", "replace").strip())
    finally:
        await ws.close()
        await session.close()


async def _serve(api: Any, fwd: Forward, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    fwd.connections += 1
    fwd.active += 1
    try:
        try:
            session, ws = await _open(api, fwd)
        except StreamError as exc:
            fwd.last_error = str(exc)
            return
        try:
            await _pipe(fwd, ws, reader, writer)
        finally:
            await ws.close()
            await session.close()
    finally:
        fwd.active -= 1
        writer.close()


async def _pipe(fwd: Forward, ws: Any, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    async def up() -> None:
        while data := await reader.read(32768):
            fwd.bytes_out += len(data)
            await ws.send_bytes(bytes([DATA]) + data)

    async def down() -> None:
        async for msg in ws:
            if msg.type.name != "BINARY" or len(msg.data) < 2:
                continue
            if msg.data[0] == DATA:
                fwd.bytes_in += len(msg.data) - 1
                writer.write(msg.data[1:])
                await writer.drain()
            elif msg.data[0] == ERRORS:
                fwd.last_error = msg.data[1:].decode("utf-8", "replace").strip()

    tasks = [asyncio.create_task(up()), asyncio.create_task(down())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # The local client finished sending (a half-close; v4 channels cannot pass it on): let the rest
        # of the answer come back while it keeps coming.
        seen = -1
        while tasks[0] in done and not tasks[1].done() and fwd.bytes_in != seen:
            seen = fwd.bytes_in
            await asyncio.wait([tasks[1]], timeout=HALF_CLOSE_IDLE)
    finally:
        for task in tasks:
            task.cancel()


def free_port() -> int:
    """A port free on 127.0.0.1 now (for tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
