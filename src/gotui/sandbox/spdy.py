"""The minimum of SPDY/3.1 framing a port-forward server needs (what kubectl's client-go speaks, via
moby/spdystream): frames parsed from a byte stream, frames built, header blocks (de)compressed.

Frames: a control frame is `1 | version(15) | type(16) | flags(8) | length(24) | data`, a data frame
`0 | stream-id(31) | flags(8) | length(24) | data`. Header blocks are `count(32)` then `len(32) name
len(32) value` pairs, zlib-compressed with one stream per direction for the whole connection, seeded
with the SPDY/3 dictionary and sync-flushed after each block.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from gotui.sandbox.spdy_dictionary import DICTIONARY

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
RST_PROTOCOL_ERROR, RST_CANCEL = 1, 5
MAX_DATA = 32 * 1024  # bytes per DATA frame the server sends


class SpdyError(Exception):
    """The peer sent something that is not SPDY/3."""


@dataclass
class Frame:
    """One frame: `control` with a `type`, or data for `stream_id`."""

    control: bool
    type: int = 0
    flags: int = 0
    stream_id: int = 0
    data: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Codec:
    """Parse and build the frames of one connection (it owns both zlib streams)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, zdict=DICTIONARY)

    # -- reading --------------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[Frame]:
        """The whole frames in `data` (plus what was buffered); a partial frame waits for more."""
        self._buf += data
        frames = []
        while len(self._buf) >= 8:
            first, second = struct.unpack_from(">II", self._buf)
            length = second & 0xFFFFFF
            if len(self._buf) < 8 + length:
                break
            body = bytes(self._buf[8:8 + length])
            del self._buf[:8 + length]
            flags = second >> 24
            if first & 0x80000000:
                frames.append(self._control((first >> 16) & 0x7FFF, first & 0xFFFF, flags, body))
            else:
                frames.append(Frame(False, flags=flags, stream_id=first & 0x7FFFFFFF, data=body))
        return frames

    def _control(self, version: int, ftype: int, flags: int, body: bytes) -> Frame:
        if version != VERSION:
            raise SpdyError(f"unsupported SPDY version {version}")
        frame = Frame(True, ftype, flags)
        if ftype == SYN_STREAM:
            if len(body) < 10:
                raise SpdyError("short SYN_STREAM")
            frame.stream_id = struct.unpack_from(">I", body)[0] & 0x7FFFFFFF
            frame.headers = self._headers(body[10:])
        elif ftype in (SYN_REPLY, HEADERS):
            frame.stream_id = struct.unpack_from(">I", body)[0] & 0x7FFFFFFF
            frame.headers = self._headers(body[4:])
        elif ftype in (RST_STREAM, WINDOW_UPDATE, PING, GOAWAY):
            if len(body) < 4:
                raise SpdyError(f"short control frame type {ftype}")
            frame.stream_id = struct.unpack_from(">I", body)[0] & 0x7FFFFFFF
            frame.data = body
        else:
            frame.data = body  # SETTINGS and anything newer: kept raw, ignored by the server
        return frame

    def _headers(self, block: bytes) -> dict[str, str]:
        try:
            raw = self._inflate.decompress(block)
        except zlib.error as exc:
            raise SpdyError(f"bad header block: {exc}") from None
        out: dict[str, str] = {}
        try:
            (count,), pos = struct.unpack_from(">I", raw), 4
            for _ in range(count):
                (n,) = struct.unpack_from(">I", raw, pos)
                name = raw[pos + 4:pos + 4 + n].decode("latin-1").lower()
                pos += 4 + n
                (n,) = struct.unpack_from(">I", raw, pos)
                out[name] = raw[pos + 4:pos + 4 + n].decode("latin-1")
                pos += 4 + n
        except struct.error:
            raise SpdyError("truncated header block") from None
        return out

    # -- writing --------------------------------------------------------------------------------
    def _block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack(">I", len(headers))
        for name, value in headers.items():
            n, v = name.lower().encode("latin-1"), value.encode("latin-1")
            raw += struct.pack(">I", len(n)) + n + struct.pack(">I", len(v)) + v
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    @staticmethod
    def control(ftype: int, body: bytes, flags: int = 0) -> bytes:
        return struct.pack(">HHI", 0x8000 | VERSION, ftype, (flags << 24) | len(body)) + body

    def syn_reply(self, stream_id: int, headers: dict[str, str] | None = None, *, fin: bool = False) -> bytes:
        """SYN_REPLY (must be built in send order: it advances the shared compressor)."""
        body = struct.pack(">I", stream_id) + self._block(headers or {})
        return self.control(SYN_REPLY, body, FLAG_FIN if fin else 0)

    @staticmethod
    def data(stream_id: int, payload: bytes = b"", *, fin: bool = False) -> bytes:
        return struct.pack(">II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | len(payload)) + payload

    @classmethod
    def rst_stream(cls, stream_id: int, status: int = RST_CANCEL) -> bytes:
        return cls.control(RST_STREAM, struct.pack(">II", stream_id, status))

    @classmethod
    def ping(cls, ping_id: int) -> bytes:
        return cls.control(PING, struct.pack(">I", ping_id))

    @classmethod
    def goaway(cls, last_stream: int, status: int = 0) -> bytes:
        return cls.control(GOAWAY, struct.pack(">II", last_stream, status))
