"""Container logs: plausible Go-service lines, deterministic per seed, pod, container, run and time slot.

Each container run writes one line per time slot (`period` seconds, with a seeded jitter) from its start
until it ends; the first slots are start-up messages; a crashed run ends with a Go panic (exit status
2). Styles: zap-like JSON lines (go-api), plain `log` lines with ANSI-coloured levels (workers), plain
lines (sidecars and the rest).

`LogSource.read_log(...)` validates eagerly (raising ApiError 400/404 with the apiserver/kubelet texts)
and returns a stream that is both awaitable (to itself) and async-iterable, so callers may write
`async for line in src.read_log(...)` or `stream = await src.read_log(...)`.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gotui.sandbox.errors import ApiError, not_found

from .util import iso_nano

if TYPE_CHECKING:
    from .kubelet import Run
    from .manager import ControllerManager

RESET = "\x1b[0m"
COLOURS = {"INFO": "\x1b[32m", "WARN": "\x1b[33m", "ERROR": "\x1b[31m", "DEBUG": "\x1b[36m"}
PATHS = ["/api/orders", "/api/orders/{id}", "/api/cart", "/api/products", "/api/products/{id}", "/api/users/me",
         "/healthz", "/metrics", "/api/checkout"]
METHODS = ["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"]
JOBS = ["send-email", "resize-image", "sync-inventory", "charge-card", "rebuild-index", "expire-carts"]


def container_style(container: str, image: str) -> str:
    """Which log style a container writes: json, colour or plain."""
    name = f"{container} {image}".lower()
    if "api" in name:
        return "json"
    if "worker" in name or "hello" in name or "job" in name:
        return "colour"
    return "plain"


def slot_period(style: str) -> float:
    """Seconds between two log lines of a style."""
    return {"json": 0.5, "colour": 1.0}.get(style, 2.0)


def _version(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


def _plain_time(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y/%m/%d %H:%M:%S")


class LineGenerator:
    """Deterministic lines for one container run."""

    def __init__(self, seed: int, pod: str, container: str, image: str, run_index: int, run: Run,
                 namespace: str = "default") -> None:
        self.seed, self.pod, self.container, self.image = seed, pod, container, image
        self.run_index, self.run = run_index, run
        self.namespace = namespace
        self.style = container_style(container, image)
        self.period = slot_period(self.style)

    STARTUP = 3  # the first slots are start-up lines, 50 ms apart
    OFFSET = 0.01 + 0.05 * STARTUP

    def slot_time(self, k: int) -> float:
        """When slot k's line is written."""
        if k < self.STARTUP:
            return self.run.start + 0.01 + 0.05 * k
        jitter = random.Random(f"{self.seed}|{self.pod}|{self.container}|{self.run_index}|j{k}").random()
        return self.run.start + self.OFFSET + (k - self.STARTUP + jitter * 0.8) * self.period

    def line(self, k: int, t: float) -> str:
        rng = random.Random(f"{self.seed}|{self.pod}|{self.container}|{self.run_index}|{k}")
        if self.style == "json":
            return self._json(k, t, rng)
        if self.style == "colour":
            return self._colour(k, t, rng)
        return self._plain(k, t, rng)

    def _json(self, k: int, t: float, rng: random.Random) -> str:
        ts = f"{t:.6f}"
        ver = _version(self.image)
        if k == 0:
            return (f'{{"level":"info","ts":{ts},"caller":"cmd/server/main.go:42","msg":"starting {self.container}",'
                    f'"version":"{ver}","go":"go1.23.4","pid":1}}')
        if k == 1:
            return (f'{{"level":"info","ts":{ts},"caller":"internal/db/pool.go:31","msg":"connected to database",'
                    f'"host":"postgres.{self.namespace}.svc:5432","pool_size":10}}')
        if k == 2:
            return f'{{"level":"info","ts":{ts},"caller":"cmd/server/main.go:77","msg":"listening","addr":":8080"}}'
        roll = rng.random()
        method = rng.choice(METHODS)
        path = rng.choice(PATHS).replace("{id}", str(rng.randrange(1000, 99999)))
        if roll < 0.04:
            return (f'{{"level":"error","ts":{ts},"caller":"internal/http/handler.go:118","msg":"request failed",'
                    f'"method":"{method}","path":"{path}","status":502,"latency_ms":{rng.randrange(900, 3000)},'
                    f'"error":"upstream inventory: context deadline exceeded"}}')
        if roll < 0.12:
            return (f'{{"level":"warn","ts":{ts},"caller":"internal/http/middleware.go:64","msg":"slow request",'
                    f'"method":"{method}","path":"{path}","status":200,"latency_ms":{rng.randrange(250, 900)}}}')
        status = rng.choice([200, 200, 200, 200, 201, 204, 304, 404])
        return (f'{{"level":"info","ts":{ts},"caller":"internal/http/middleware.go:52","msg":"request served",'
                f'"method":"{method}","path":"{path}","status":{status},"latency_ms":{rng.randrange(1, 60)}}}')

    def _colour(self, k: int, t: float, rng: random.Random) -> str:
        stamp = _plain_time(t)

        def lvl(level: str) -> str:
            return f"{COLOURS[level]}{level}{RESET}"

        if k == 0:
            return f"{stamp} {lvl('INFO')} starting {self.container} version={_version(self.image)} go=go1.23.4"
        if k == 1:
            return f"{stamp} {lvl('INFO')} connected to queue url=nats://nats.{self.namespace}.svc:4222"
        roll = rng.random()
        job = rng.choice(JOBS)
        jid = rng.randrange(10000, 999999)
        if roll < 0.05:
            return f"{stamp} {lvl('ERROR')} job failed id={jid} type={job} err=\"connection reset by peer\" retry=3"
        if roll < 0.15:
            return f"{stamp} {lvl('WARN')} job slow id={jid} type={job} took={rng.randrange(2, 30)}s"
        if roll < 0.25:
            return f"{stamp} {lvl('DEBUG')} poll queue=default waiting={rng.randrange(0, 40)}"
        return f"{stamp} {lvl('INFO')} job done id={jid} type={job} took={rng.randrange(3, 900)}ms"

    def _plain(self, k: int, t: float, rng: random.Random) -> str:
        stamp = _plain_time(t)
        if k == 0:
            return f"{stamp} INFO {self.container} {_version(self.image)} starting"
        roll = rng.random()
        if roll < 0.05:
            return f"{stamp} WARN retrying output http: status=503 attempt={rng.randrange(1, 4)}"
        return f"{stamp} INFO flushed {rng.randrange(1, 200)} records to output=loki chunk={rng.randrange(1, 9999)}"

    def panic_lines(self, t: float) -> list[str]:
        """The Go panic a crashing container prints before exiting with status 2."""
        stamp = _plain_time(t)
        return [
            f"{stamp} {COLOURS['ERROR']}ERROR{RESET} config: missing required env QUEUE_URL",
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x6b2f3a]",
            "",
            "goroutine 1 [running]:",
            "main.(*Worker).Run(0x0, {0x7f1e2c, 0xc000012345})",
            f"\t/src/cmd/{self.container}/worker.go:88 +0x3a",
            "main.main()",
            f"\t/src/cmd/{self.container}/main.go:27 +0x1c5",
            "exit status 2",
        ]

    def lines_between(self, t_from: float, t_to: float, *, crash_tail: bool = True) -> list[tuple[float, str]]:
        """(time, line) pairs with t_from < time <= t_to (a crashed run's panic comes last)."""
        start = self.run.start
        end = self.run.end
        hi_time = min(t_to, end) if end is not None else t_to
        out: list[tuple[float, str]] = []
        if hi_time >= start:
            k_lo = 0
            if t_from > start + self.OFFSET:
                k_lo = max(0, int(math.floor((t_from - start - self.OFFSET) / self.period)) + self.STARTUP - 1)
            k_hi = max(int(math.floor((hi_time - start - self.OFFSET) / self.period)) + self.STARTUP + 1,
                       self.STARTUP)
            for k in range(k_lo, k_hi + 1):
                t = self.slot_time(k)
                if t_from < t <= hi_time:
                    out.append((t, self.line(k, t)))
        if end is not None and self.run.crashed and crash_tail and t_from < end <= t_to:
            out.extend((end, line) for line in self.panic_lines(end))
        return out

    def count_before(self, t: float) -> int:
        """Roughly how many slots exist up to time t (for tail estimates)."""
        return max(int((t - self.run.start) / self.period) + 2, 0)


class LogStream:
    """An async iterator of log lines that is also awaitable (to itself)."""

    def __init__(self, agen: AsyncIterator[str]) -> None:
        self._agen = agen

    def __aiter__(self) -> LogStream:
        return self

    async def __anext__(self) -> str:
        return await self._agen.__anext__()

    def __await__(self):  # noqa: ANN204
        if False:  # pragma: no cover - makes this a generator
            yield
        return self

    async def aclose(self) -> None:
        await self._agen.aclose()  # type: ignore[attr-defined]


class LogSource:
    """Serves pod logs from the kubelet's container runs."""

    def __init__(self, mgr: ControllerManager, *, poll_interval: float = 0.25) -> None:
        self.mgr = mgr
        self.poll_interval = poll_interval

    def read_log(self, namespace: str, pod: str, container: str | None = None, *, follow: bool = False,
                 tail_lines: int | None = None, since_seconds: float | None = None, timestamps: bool = False,
                 previous: bool = False, limit_bytes: int | None = None) -> LogStream:
        """Validate and open a log stream (raises ApiError 404/400 with upstream texts)."""
        obj = self.mgr.store.get("pods", namespace, pod)
        if obj is None:
            raise not_found("pods", pod)
        names = [c.get("name") for c in (obj.get("spec") or {}).get("containers") or []]
        if not container:
            if len(names) != 1:
                raise ApiError(400, "BadRequest",
                               f"a container name must be specified for pod {pod}, choose one of: [{' '.join(names)}]")
            container = names[0]
        if container not in names:
            init = [c.get("name") for c in (obj.get("spec") or {}).get("initContainers") or []]
            if container not in init:
                raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        uid = obj["metadata"].get("uid", "")
        state = self.mgr.kubelet.pods.get(uid)
        cstate = state.containers.get(container) if state is not None else None
        runs = list(cstate.runs) if cstate is not None else []
        if previous:
            if len(runs) < 2:
                raise ApiError(400, "BadRequest",
                               f'previous terminated container "{container}" in pod "{pod}" not found')
            run_index = len(runs) - 2
        else:
            if not runs:
                reason = (cstate.waiting_reason if cstate is not None else None) or "ContainerCreating"
                raise ApiError(400, "BadRequest",
                               f'container "{container}" in pod "{pod}" is waiting to start: {reason}')
            run_index = len(runs) - 1
        image = cstate.image if cstate is not None else ""
        gen = LineGenerator(self.mgr.seed, pod, container, image, run_index, runs[run_index], namespace)
        if tail_lines is not None and tail_lines < 0:
            tail_lines = None
        return LogStream(self._stream(gen, namespace, pod, uid, follow=follow and not previous,
                                      tail_lines=tail_lines, since_seconds=since_seconds, timestamps=timestamps,
                                      limit_bytes=limit_bytes))

    async def _stream(self, gen: LineGenerator, namespace: str, pod: str, uid: str, *, follow: bool,
                      tail_lines: int | None, since_seconds: float | None, timestamps: bool,
                      limit_bytes: int | None) -> AsyncIterator[str]:
        now = self.mgr.log_clock()
        t_from = gen.run.start - 1.0
        if since_seconds is not None:
            t_from = max(t_from, now - float(since_seconds))
        if tail_lines is not None:
            # only generate the slots a tail needs (plus the panic block)
            window = (tail_lines + 12) * gen.period * 2.0
            t_from = max(t_from, min(now, gen.run.end or now) - window)
        lines = gen.lines_between(t_from, now)
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines > 0 else []
        budget = limit_bytes if limit_bytes is not None and limit_bytes > 0 else None
        last = now

        def fmt(t: float, line: str) -> str:
            return f"{iso_nano(t)} {line}\n" if timestamps else f"{line}\n"

        for t, line in lines:
            text = fmt(t, line)
            if budget is not None:
                if len(text.encode()) >= budget:
                    yield text.encode()[:budget].decode("utf-8", "ignore")
                    return
                budget -= len(text.encode())
            yield text
        if not follow:
            return
        while True:
            if gen.run.end is not None and gen.run.end <= last:
                return
            await asyncio.sleep(self.poll_interval)
            current = self.mgr.store.get("pods", namespace, pod)
            if current is None or current["metadata"].get("uid") != uid:
                return
            now = self.mgr.log_clock()
            if now <= last:
                continue
            for t, line in gen.lines_between(last, now):
                text = fmt(t, line)
                if budget is not None:
                    if len(text.encode()) >= budget:
                        yield text.encode()[:budget].decode("utf-8", "ignore")
                        return
                    budget -= len(text.encode())
                yield text
            last = now
