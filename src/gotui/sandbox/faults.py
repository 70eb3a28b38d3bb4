"""Fault injection for the sandbox API server: lost responses, delays, resets and 5xx on chosen requests.

`/sandbox/v1/faults`: POST a list of rules (or `{"rules": [...]}`; replaces the set), GET lists them with
their counters, DELETE clears them. A rule:

    {"method": "PATCH", "path": "^/api/v1/namespaces/shop/services/go-api$",
     "nth": 1, "count": 1, "effect": "drop", "ms": 0, "status": 503}

- `method` (default any) and `path` (a regex searched in the request path, default any) choose requests;
  `/sandbox/...` paths are never faulted.
- The rule counts its matches; it fires from the `nth` match (default 1) for `count` matches (default 1;
  0 = every match from then on).
- `effect`: `drop` applies the request, then closes the connection without answering (a lost response);
  `reset` resets the connection (TCP RST) before the request is applied; `delay` waits `ms` milliseconds,
  then serves it; `error` answers `status` (5xx, default 503) with a Status body without applying it.
The first rule that fires wins. Counters are per rule (`matched`, `fired`).
"""

from __future__ import annotations

import asyncio
import re
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

EFFECTS = ("drop", "reset", "delay", "error")
PATH = "/sandbox/v1/faults"


@dataclass
class FaultRule:
    """One rule; see the module docstring."""

    effect: str
    method: str = ""
    path: str = ""
    nth: int = 1
    count: int = 1
    ms: int = 0
    status: int = 503
    matched: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path) if self.path else None

    @classmethod
    def parse(cls, raw: Any) -> FaultRule:
        """A rule from its JSON form; ValueError names what is wrong."""
        if not isinstance(raw, dict):
            raise ValueError("a fault rule is a JSON object")
        unknown = set(raw) - {"effect", "method", "path", "nth", "count", "ms", "status"}
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(sorted(unknown))}")
        effect = raw.get("effect")
        if effect not in EFFECTS:
            raise ValueError(f"effect must be one of {', '.join(EFFECTS)} (got {effect!r})")
        ints = {}
        for key, default, low in (("nth", 1, 1), ("count", 1, 0), ("ms", 0, 0), ("status", 503, 500)):
            value = raw.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{key} must be an integer >= {low} (got {value!r})")
            ints[key] = value
        if ints["status"] > 599:
            raise ValueError("status must be a 5xx code")
        path = raw.get("path") or ""
        try:
            re.compile(path)
        except re.error as exc:
            raise ValueError(f"path is not a valid regex: {exc}") from None
        return cls(effect=effect, method=str(raw.get("method") or "").upper(), path=str(path), **ints)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method.upper():
            return False
        return self._regex is None or self._regex.search(path) is not None

    def to_dict(self) -> dict[str, Any]:
        return {"effect": self.effect, "method": self.method, "path": self.path, "nth": self.nth,
                "count": self.count, "ms": self.ms, "status": self.status, "matched": self.matched,
                "fired": self.fired}


class Faults:
    """The rule set of one server, and the aiohttp middleware and endpoint that use it."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._guard = threading.Lock()

    def pick(self, method: str, path: str) -> FaultRule | None:
        """Count this request against every matching rule; the first rule that fires, if any."""
        if path.startswith("/sandbox/"):
            return None
        chosen = None
        with self._guard:
            for rule in self.rules:
                if not rule.matches(method, path):
                    continue
                rule.matched += 1
                due = rule.matched >= rule.nth and (rule.count == 0 or rule.fired < rule.count)
                if due and chosen is None:
                    rule.fired += 1
                    chosen = rule
        return chosen

    @web.middleware
    async def middleware(self, request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        rule = self.pick(request.method, request.path) if self.rules else None
        if rule is None:
            return await handler(request)
        if rule.effect == "delay":
            await asyncio.sleep(rule.ms / 1000)
            return await handler(request)
        if rule.effect == "error":
            return web.json_response(
                {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": f"injected fault: HTTP {rule.status}", "reason": "InternalError",
                 "code": rule.status}, status=rule.status)
        if rule.effect == "reset":
            _reset(request)
            return web.Response(status=500)  # never written: the connection is gone
        response = await handler(request)  # drop: applied, then the answer is lost
        if request.transport is not None:
            request.transport.close()  # nothing written yet: the client sees the connection closed
        return response

    async def endpoint(self, request: web.Request) -> web.Response:
        """GET lists, POST replaces, DELETE clears the rules."""
        if request.method == "GET":
            return self._listing()
        if request.method == "DELETE":
            with self._guard:
                self.rules = []
            return self._listing()
        if request.method not in ("POST", "PUT"):
            return _status(405, "MethodNotAllowed", "use GET, POST or DELETE")
        try:
            body = await request.json()
        except ValueError:
            return _status(400, "BadRequest", "the body is not JSON")
        raw = body.get("rules") if isinstance(body, dict) else body
        if not isinstance(raw, list):
            return _status(400, "BadRequest", 'expected a list of rules or {"rules": [...]}')
        try:
            rules = [FaultRule.parse(r) for r in raw]
        except ValueError as exc:
            return _status(400, "BadRequest", str(exc))
        with self._guard:
            self.rules = rules
        return self._listing()

    def _listing(self) -> web.Response:
        with self._guard:
            return web.json_response({"rules": [r.to_dict() for r in self.rules]})


def _reset(request: web.Request) -> None:
    """Close the request's connection with a TCP reset (SO_LINGER 0), so the client gets no answer."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


def _status(code: int, reason: str, message: str) -> web.Response:
    return web.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                              "message": message, "reason": reason, "code": code}, status=code)
