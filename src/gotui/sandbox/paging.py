"""List chunking (`limit` / `continue`) as the API server does it.

A continue token is unpadded URL-safe base64 of `{"v":"meta.k8s.io/v1","rv":RV,"start":"ns/name\\u0000"}`
(k8s.io/apiserver storage.EncodeContinue: the list's resourceVersion and the key after the last item
sent). The real server reads later pages from etcd at that revision; the sandbox keeps the first page's
listing (a snapshot of references to the immutable cached items) for `ttl` seconds, at most `keep` of
them. A token whose snapshot is gone, or whose resourceVersion was compacted (`store.compacted_rv`,
POST /sandbox/v1/compact), gets 410 Expired with a new token in the Status's metadata.continue that
continues from the same key at the current state (rv -1: "inconsistent continue"), as the real one.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from bisect import bisect_right
from collections import OrderedDict
from typing import Any, NamedTuple

from gotui.sandbox import errors
from gotui.sandbox.errors import ApiError

INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new "
    "list without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
    "that were created, modified, or deleted between the time the first chunk was returned and now may show "
    "up in the list.")

Entry = tuple[dict, bytes]


class ContinueExpired(ApiError):
    """410 Expired whose Status carries a fresh continue token (metadata.continue)."""

    def __init__(self, token: str) -> None:
        super().__init__(410, "Expired", INCONSISTENT_CONTINUE)
        self.token = token

    def to_status(self) -> dict[str, Any]:
        status = super().to_status()
        status["metadata"] = {"continue": self.token}
        return status


class Page(NamedTuple):
    """One chunk of a list: its items, the list's resourceVersion, the next token, how many remain."""

    entries: list[Entry]
    rv: str
    token: str
    remaining: int


def encode_continue(rv: int, start_key: str) -> str:
    """The API server's continue token for resourceVersion `rv`, starting at `start_key`."""
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def decode_continue(token: str) -> tuple[int, str]:
    """(resourceVersion, start key) of a token; 400 BadRequest when it is not one."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
            raise ValueError("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        rv, start = data.get("rv"), data.get("start")
        if not isinstance(rv, int) or isinstance(rv, bool) or not isinstance(start, str) or not start:
            raise ValueError("continue key is not valid")
        if rv == 0 or rv < -1:
            raise ValueError("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"invalid continue token: {exc}") from None
    return rv, start


def _key_of(entry: Entry) -> tuple[str, str]:
    meta = entry[0]["metadata"]
    return (meta.get("namespace") or "", meta["name"])


def _start_position(entries: list[Entry], start_key: str) -> int:
    """Index of the first entry after the key a token names (`ns/name\\0`, or `name\\0` cluster-wide)."""
    last = start_key[:-1] if start_key.endswith("\x00") else start_key
    ns, sep, name = last.partition("/")
    key = (ns, name) if sep else ("", ns)
    return bisect_right(entries, key, key=_key_of)


class Pager:
    """Serves list chunks from snapshots kept between the pages of one listing."""

    def __init__(self, *, keep: int = 8, ttl: float = 300.0, clock=time.monotonic) -> None:
        self.keep = keep
        self.ttl = ttl
        self.clock = clock
        self._snapshots: OrderedDict[tuple, tuple[float, list[Entry]]] = OrderedDict()

    def page(self, store: Any, resource: str, namespace: str | None, label_selector: str | None,
             field_selector: str | None, limit: int | None, token: str | None) -> Page:
        """One chunk (the whole list without `limit`); raises ContinueExpired / BadRequest for tokens."""
        query = (resource, namespace or "", label_selector or "", field_selector or "")
        if not token:
            entries, rv = store.list_entries(resource, namespace, label_selector, field_selector)
            return self._cut(query, entries, int(rv), 0, limit)
        rv, start = decode_continue(token)
        if rv == -1:  # continue at the current state (the token of a 410)
            entries, now_rv = store.list_entries(resource, namespace, label_selector, field_selector)
            return self._cut(query, entries, int(now_rv), _start_position(entries, start), limit)
        self._expire()
        snap = self._snapshots.get((*query, rv))
        if snap is None or rv < getattr(store, "compacted_rv", 0):
            raise ContinueExpired(encode_continue(-1, start))
        entries = snap[1]
        return self._cut(query, entries, rv, _start_position(entries, start), limit)

    def _cut(self, query: tuple, entries: list[Entry], rv: int, pos: int, limit: int | None) -> Page:
        if not limit or limit <= 0 or len(entries) - pos <= limit:
            return Page(entries[pos:] if pos else entries, str(rv), "", 0)
        end = pos + limit
        chunk = entries[pos:end]
        key = (*query, rv)
        if key not in self._snapshots:
            self._snapshots[key] = (self.clock(), entries)
            while len(self._snapshots) > self.keep:
                self._snapshots.popitem(last=False)
        ns, name = _key_of(chunk[-1])
        last = f"{ns}/{name}" if ns else name
        return Page(chunk, str(rv), encode_continue(rv, last + "\x00"), len(entries) - end)

    def _expire(self) -> None:
        cutoff = self.clock() - self.ttl
        for key in [k for k, (t, _) in self._snapshots.items() if t < cutoff]:
            del self._snapshots[key]
