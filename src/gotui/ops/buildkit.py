"""BuildKit progress from the Docker API, decoded into the same BuildEvents as the classic builder.

`POST /build?version=2` (no session) streams JSON messages; BuildKit's progress comes as
`{"id": "moby.buildkit.trace", "aux": "<base64>"}`, each aux a protobuf `StatusResponse`
(moby/buildkit api/services/control/control.proto):

    StatusResponse { repeated Vertex vertexes = 1; repeated VertexStatus statuses = 2;
                     repeated VertexLog logs = 3; repeated VertexWarning warnings = 4; }
    Vertex { string digest = 1; repeated string inputs = 2; string name = 3; bool cached = 4;
             Timestamp started = 5; Timestamp completed = 6; string error = 7; }
    VertexStatus { string ID = 1; string vertex = 2; string name = 3; int64 current = 4; int64 total = 5; ... }
    VertexLog { string vertex = 1; Timestamp timestamp = 2; int64 stream = 3; bytes msg = 4; }
    Timestamp { int64 seconds = 1; int32 nanos = 2; }

The image ID arrives as `{"id": "moby.image.id", "aux": {"ID": "sha256:…"}}`; a failure as
`errorDetail`. A vertex named `[stage n/m] INSTRUCTION` (or `[n/m] …` with one stage) is a Dockerfile
step; the others (`[internal] load build context`, `exporting to image`…) are the builder's own work.
The same vertex is sent again each time it changes (started, then completed or cached or failed).
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, field
from typing import Any

from gotui.ops.build_events import BuildEvent, StepInfo
from gotui.ops.sanitize import sanitize_line
from gotui.sandbox.protowire import ProtobufError, fields

TRACE_ID = "moby.buildkit.trace"
IMAGE_ID = "moby.image.id"


@dataclass
class Vertex:
    digest: str
    name: str = ""
    cached: bool = False
    started: float | None = None
    completed: float | None = None
    error: str = ""
    inputs: list[str] = field(default_factory=list)


@dataclass
class VertexLog:
    vertex: str
    stream: int
    data: bytes


@dataclass
class Status:
    """One decoded StatusResponse."""

    vertexes: list[Vertex] = field(default_factory=list)
    logs: list[VertexLog] = field(default_factory=list)
    statuses: list[tuple[str, str, int, int]] = field(default_factory=list)  # (vertex, name, current, total)


def _s(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, bytes):
        return None
    f = fields(value)
    seconds = f.get(1, [0])[-1]
    nanos = f.get(2, [0])[-1]
    return float(seconds if isinstance(seconds, int) else 0) + (nanos if isinstance(nanos, int) else 0) / 1e9


def decode_status(data: bytes) -> Status:
    """A StatusResponse's vertexes, statuses and logs; raises ProtobufError on malformed bytes."""
    top = fields(data)
    out = Status()
    for raw in top.get(1, []):
        if not isinstance(raw, bytes):
            raise ProtobufError("vertex is not a message")
        v = fields(raw)
        out.vertexes.append(Vertex(
            digest=_s(v.get(1, [b""])[-1]), name=_s(v.get(3, [b""])[-1]), cached=bool(v.get(4, [0])[-1]),
            started=_timestamp(v.get(5, [None])[-1]), completed=_timestamp(v.get(6, [None])[-1]),
            error=_s(v.get(7, [b""])[-1]), inputs=[_s(i) for i in v.get(2, [])],
        ))
    for raw in top.get(2, []):
        if isinstance(raw, bytes):
            s = fields(raw)
            cur, tot = s.get(4, [0])[-1], s.get(5, [0])[-1]
            out.statuses.append((_s(s.get(2, [b""])[-1]), _s(s.get(1, [b""])[-1]),
                                 cur if isinstance(cur, int) else 0, tot if isinstance(tot, int) else 0))
    for raw in top.get(3, []):
        if not isinstance(raw, bytes):
            raise ProtobufError("log is not a message")
        lg = fields(raw)
        stream = lg.get(3, [1])[-1]
        msg = lg.get(4, [b""])[-1]
        out.logs.append(VertexLog(_s(lg.get(1, [b""])[-1]), stream if isinstance(stream, int) else 1,
                                  msg if isinstance(msg, bytes) else b""))
    return out


def decode_trace(aux: str) -> Status:
    """The base64 `aux` of a `moby.buildkit.trace` message, decoded."""
    try:
        return decode_status(base64.b64decode(aux))
    except (ValueError, ProtobufError) as exc:
        raise ProtobufError(f"undecodable BuildKit trace: {exc}") from None


_STEP_NAME = re.compile(r"^\[(?:(?P<stage>[^\]\s]+) )?(?P<n>\d+)/(?P<m>\d+)\] (?P<text>.*)$", re.S)
_EXIT = re.compile(r"(?:exit code: |returned a non-zero code: )(\d+)")


def exit_code_of(message: str) -> int | None:
    """The process exit code in a failed step's error (BuildKit `…: exit code: 2`, classic
    `… returned a non-zero code: 2`), or None."""
    m = _EXIT.search(message or "")
    return int(m.group(1)) if m else None


class BuildKitStreamParser:
    """Turns BuildKit's build stream into BuildEvents; same surface as the classic BuildStreamParser
    (`feed`, `finish`, `steps`, `image_id`, `error`, `current`, `failed`)."""

    def __init__(self) -> None:
        self.vertices: dict[str, Vertex] = {}
        self.steps: list[StepInfo] = []
        self._step_of: dict[str, StepInfo] = {}
        self._partial: dict[str, str] = {}
        self._reported: dict[str, set[str]] = {}
        self.image_id: str | None = None
        self.error: str | None = None
        self.failed: StepInfo | None = None
        self.failed_vertex: str = ""
        self._last: StepInfo | None = None

    @property
    def current(self) -> StepInfo | None:
        """The step that failed, else (unless the builder's own work failed) the last step that started."""
        if self.failed is None and self.failed_vertex:
            return None
        return self.failed or self._last or (self.steps[-1] if self.steps else None)

    def feed(self, chunk: dict[str, Any]) -> list[BuildEvent]:
        events: list[BuildEvent] = []
        if not isinstance(chunk, dict):
            return events
        if "errorDetail" in chunk or "error" in chunk:
            detail = chunk.get("errorDetail") or {}
            message = sanitize_line(str(detail.get("message") or chunk.get("error") or "build failed"))
            self.error = message
            events.extend(self._flush_all())
            step = self.current
            if step is not None and step.exit_code is None:
                step.exit_code = exit_code_of(message)
            events.append(BuildEvent("error", message, *self._nums(step)))
            return events
        aux = chunk.get("aux")
        if chunk.get("id") == IMAGE_ID and isinstance(aux, dict) and aux.get("ID"):
            self.image_id = str(aux["ID"])
            return [BuildEvent("built", self.image_id)]
        if chunk.get("id") == TRACE_ID and isinstance(aux, str):
            try:
                status = decode_trace(aux)
            except ProtobufError as exc:
                return [BuildEvent("info", str(exc))]
            for vertex in status.vertexes:
                events.extend(self._vertex(vertex))
            for log in status.logs:
                events.extend(self._log(log))
            return events
        text = chunk.get("stream")
        if text:  # the engine's own plain lines (rare with BuildKit)
            for line in str(text).splitlines():
                if line.strip():
                    events.append(BuildEvent("info", sanitize_line(line)))
        return events

    def finish(self) -> list[BuildEvent]:
        return self._flush_all()

    # -- internals ----------------------------------------------------------------------------------
    @staticmethod
    def _nums(step: StepInfo | None) -> tuple[int, int]:
        return (step.number, step.total) if step else (0, 0)

    def _once(self, digest: str, what: str) -> bool:
        seen = self._reported.setdefault(digest, set())
        if what in seen:
            return False
        seen.add(what)
        return True

    def _vertex(self, v: Vertex) -> list[BuildEvent]:
        old = self.vertices.get(v.digest)
        if old is not None:  # a later message repeats the vertex with more filled in
            v.name = v.name or old.name
            v.started = v.started if v.started is not None else old.started
        self.vertices[v.digest] = v
        events: list[BuildEvent] = []
        name = sanitize_line(v.name)
        m = _STEP_NAME.match(v.name)
        step = self._step_of.get(v.digest)
        if m and step is None:
            step = StepInfo(int(m.group("n")), int(m.group("m")), sanitize_line(m.group("text")),
                            started=time.monotonic(), stage=sanitize_line(m.group("stage") or ""), vertex=v.digest)
            self._step_of[v.digest] = step
            self.steps.append(step)
        if v.started is not None and self._once(v.digest, "started"):
            if step is not None:
                self._last = step
                events.append(BuildEvent("step", step.instruction, step.number, step.total, stage=step.stage))
            else:
                events.append(BuildEvent("vertex", name))
        if v.cached and self._once(v.digest, "cached"):
            if step is not None:
                step.cached = True
            events.append(BuildEvent("cached", "" if step else name, *self._nums(step), stage=step.stage if step else ""))
        if v.completed is not None and v.started is not None and self._once(v.digest, "completed"):
            seconds = max(0.0, v.completed - v.started)
            events.extend(self._flush(v.digest))
            if step is not None:
                step.duration = seconds
            if not v.cached and not v.error:
                events.append(BuildEvent("done", "" if step else name, *self._nums(step), seconds=seconds,
                                         stage=step.stage if step else ""))
        if v.error and self._once(v.digest, "error"):
            events.extend(self._flush(v.digest))
            message = sanitize_line(v.error)
            if step is not None and self.failed is None:
                step.exit_code = exit_code_of(v.error)
                self.failed = step
            if self.failed is None:
                self.failed_vertex = name
            self.error = self.error or message
        return events

    def _log(self, log: VertexLog) -> list[BuildEvent]:
        text = self._partial.get(log.vertex, "") + log.data.decode("utf-8", "replace")
        *lines, rest = text.split("\n")
        self._partial[log.vertex] = rest
        return [ev for line in lines if (ev := self._line(log.vertex, line)) is not None]

    def _line(self, digest: str, raw: str) -> BuildEvent | None:
        # a progress bar redraws with \r: keep what a terminal would show last
        raw = raw.rstrip("\r").rsplit("\r", 1)[-1]
        if not raw.strip():
            return None
        line = sanitize_line(raw)
        step = self._step_of.get(digest)
        if step is not None:
            step.output.append(line)
        return BuildEvent("output", line, *self._nums(step), stage=step.stage if step else "")

    def _flush(self, digest: str) -> list[BuildEvent]:
        rest = self._partial.pop(digest, "")
        ev = self._line(digest, rest) if rest.strip() else None
        return [ev] if ev is not None else []

    def _flush_all(self) -> list[BuildEvent]:
        events: list[BuildEvent] = []
        for digest in list(self._partial):
            events.extend(self._flush(digest))
        return events
