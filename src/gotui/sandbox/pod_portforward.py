"""`pods/NAME/portforward` over WebSocket, in both protocols clients speak:

- `SPDY/3.1+portforward.k8s.io` (kubectl >= 1.31): the WebSocket's binary messages carry a SPDY/3.1
  byte stream. For each local connection the client opens an "error" and a "data" stream (headers
  `streamtype`, `port`, `requestid`); each gets a SYN_REPLY; the data stream carries the bytes, the
  error stream a message when the port cannot be reached, then both end with FIN. PINGs are echoed.
- `v4.channel.k8s.io` (the official Python client; gotui's own): `?ports=A,B`; port i has channels 2i
  (data) and 2i+1 (error), each opened by the server with the port as 2 little-endian bytes; every
  message is its channel byte + payload. One TCP connection per port for the WebSocket's lifetime.

A forwarded port reaches the pod's real loopback HTTP server (the traffic manager's site of that pod)
when the pod declares the port and serves HTTP; any other port is refused as an unlistened port is.
Needs `create pods/portforward`.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from gotui.sandbox import errors, spdy
from gotui.sandbox.pod_exec import PodSubresource
from gotui.sandbox.proxy import pod_ports

ROUTE = "/api/v1/namespaces/{namespace}/pods/{name}/portforward"
SPDY_TUNNEL = "SPDY/3.1+portforward.k8s.io"
CHANNEL_V4 = "v4.channel.k8s.io"
PROTOCOLS = (SPDY_TUNNEL, CHANNEL_V4, "channel.k8s.io")


class Refused(Exception):
    """The pod does not listen on the port."""


class PodPortForward(PodSubresource):
    """The port-forward handler of one ApiServer."""

    SUBRESOURCE = "portforward"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        pod = self.target(request)
        ports = _ports(request) if request.headers.get("Sec-WebSocket-Protocol", "").find(SPDY_TUNNEL) < 0 else []
        ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True, max_msg_size=0)
        if not ws.can_prepare(request).ok:
            raise errors.bad_request("Upgrade request required")
        await ws.prepare(request)
        target = _Target(self.server, pod)
        try:
            if ws.ws_protocol == SPDY_TUNNEL:
                await _SpdyTunnel(ws, target).run()
            else:
                await _channels(ws, target, ports)
        finally:
            await ws.close()
        return ws


def _ports(request: web.Request) -> list[int]:
    values = [p.strip() for v in request.query.getall("ports", []) for p in v.split(",") if p.strip()]
    if not values:
        raise errors.bad_request("query parameter \"port\" is required")
    out = []
    for v in values:
        if not v.isdigit() or not 0 < int(v) < 65536:
            raise errors.bad_request(f"port {v!r} must be a number between 1 and 65535")
        out.append(int(v))
    return out


class _Target:
    """Where a pod's port is really served (its loopback HTTP site)."""

    def __init__(self, server: Any, pod: dict) -> None:
        meta = pod.get("metadata") or {}
        self.ns, self.name, self.uid = meta.get("namespace") or "", meta.get("name") or "", meta.get("uid") or ""
        self.declared = {number for _, number in pod_ports(pod)}
        traffic = getattr(server.controllers, "traffic", None)
        self.url = traffic.pod_url(self.ns, self.name) if traffic is not None else None

    def refusal(self, port: int) -> str:
        return (f"error forwarding port {port} to pod {self.name}, uid {self.uid}: failed to connect to "
                f"localhost:{port} inside namespace \"{self.ns}\": dial tcp4 127.0.0.1:{port}: connect: "
                "connection refused")

    async def dial(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if port not in self.declared or not self.url:
            raise Refused(self.refusal(port))
        parts = urlsplit(self.url)
        try:
            return await asyncio.open_connection(parts.hostname, parts.port)
        except OSError:
            raise Refused(self.refusal(port)) from None


async def _channels(ws: web.WebSocketResponse, target: _Target, ports: list[int]) -> None:
    """The v4 channel protocol: one connection per requested port."""
    conns: dict[int, asyncio.StreamWriter] = {}
    pumps = []
    for i, port in enumerate(ports):
        prefix = struct.pack("<H", port)
        await ws.send_bytes(bytes([2 * i]) + prefix)
        await ws.send_bytes(bytes([2 * i + 1]) + prefix)
        try:
            reader, writer = await target.dial(port)
        except Refused as exc:
            await ws.send_bytes(bytes([2 * i + 1]) + str(exc).encode())
            continue
        conns[2 * i] = writer
        pumps.append(asyncio.create_task(_to_ws(reader, ws, 2 * i)))
    if not pumps:
        return

    async def from_ws() -> None:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY and msg.data:
                writer = conns.get(msg.data[0])
                if writer is not None and len(msg.data) > 1:
                    writer.write(msg.data[1:])
                    with contextlib.suppress(ConnectionError):
                        await writer.drain()

    client = asyncio.create_task(from_ws())
    try:
        await asyncio.wait([client, *pumps], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (client, *pumps):
            task.cancel()
        for writer in conns.values():
            writer.close()


async def _to_ws(reader: asyncio.StreamReader, ws: web.WebSocketResponse, channel: int) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(32768):
            await ws.send_bytes(bytes([channel]) + data)


class _SpdyTunnel:
    """SPDY/3.1 over the WebSocket: streams paired by request id, one pod connection per pair."""

    def __init__(self, ws: web.WebSocketResponse, target: _Target) -> None:
        self.ws, self.target = ws, target
        self.codec = spdy.Codec()
        self.lock = asyncio.Lock()
        self.pairs: dict[str, dict[str, int]] = {}  # requestid -> {"error": id, "data": id}
        self.port_of: dict[str, int] = {}
        self.writers: dict[int, asyncio.StreamWriter] = {}  # data stream id -> pod connection
        self.early: dict[int, list[bytes | None]] = {}  # data before the pod connection is up (None: FIN)
        self.tasks: set[asyncio.Task] = set()
        self.last_stream = 0

    async def send(self, build: Any, *args: Any, **kw: Any) -> None:
        async with self.lock:  # frames are built (compressor state) and sent in one order
            with contextlib.suppress(ConnectionResetError, RuntimeError):
                await self.ws.send_bytes(build(*args, **kw))

    async def run(self) -> None:
        try:
            async for msg in self.ws:
                if msg.type != WSMsgType.BINARY:
                    continue
                try:
                    frames = self.codec.feed(msg.data)
                except spdy.SpdyError:
                    await self.send(spdy.Codec.goaway, self.last_stream, 1)
                    return
                for frame in frames:
                    if await self._frame(frame) is False:
                        return
        finally:
            for task in list(self.tasks):
                task.cancel()
            for writer in self.writers.values():
                writer.close()

    async def _frame(self, f: spdy.Frame) -> bool:
        if not f.control:
            await self._data(f)
        elif f.type == spdy.SYN_STREAM:
            self.last_stream = max(self.last_stream, f.stream_id)
            await self.send(self.codec.syn_reply, f.stream_id)
            self._syn(f)
        elif f.type == spdy.RST_STREAM:
            writer = self.writers.pop(f.stream_id, None)
            if writer is not None:
                writer.close()
        elif f.type == spdy.PING:
            await self.send(spdy.Codec.ping, f.stream_id)
        elif f.type == spdy.GOAWAY:
            return False
        return True  # SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do

    def _syn(self, f: spdy.Frame) -> None:
        kind = f.headers.get("streamtype", "")
        rid = f.headers.get("requestid", str(f.stream_id))
        try:
            port = int(f.headers.get("port", ""))
        except ValueError:
            port = 0
        pair = self.pairs.setdefault(rid, {})
        pair[kind] = f.stream_id
        self.port_of[rid] = port
        if kind == "data":
            self.early[f.stream_id] = []
        if "error" in pair and "data" in pair:
            task = asyncio.create_task(self._forward(rid, port, pair["error"], pair["data"]))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _data(self, f: spdy.Frame) -> None:
        writer = self.writers.get(f.stream_id)
        if writer is None:
            early = self.early.get(f.stream_id)
            if early is not None:
                if f.data:
                    early.append(f.data)
                if f.fin:
                    early.append(None)
            return
        if f.data:
            writer.write(f.data)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        if f.fin and writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()

    async def _forward(self, rid: str, port: int, error_id: int, data_id: int) -> None:
        try:
            reader, writer = await self.target.dial(port)
        except Refused as exc:
            self.early.pop(data_id, None)
            await self.send(spdy.Codec.data, error_id, str(exc).encode(), fin=True)
            await self.send(spdy.Codec.data, data_id, b"", fin=True)
            return
        for chunk in self.early.pop(data_id, []):
            if chunk is None:
                with contextlib.suppress(OSError):
                    writer.write_eof()
            elif chunk:
                writer.write(chunk)
        self.writers[data_id] = writer
        try:
            with contextlib.suppress(ConnectionError):
                while data := await reader.read(spdy.MAX_DATA):
                    await self.send(spdy.Codec.data, data_id, data)
        finally:
            self.writers.pop(data_id, None)
            writer.close()
            await self.send(spdy.Codec.data, data_id, b"", fin=True)
            await self.send(spdy.Codec.data, error_id, b"", fin=True)
            self.pairs.pop(rid, None)
