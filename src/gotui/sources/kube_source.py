"""The raw streaming watch layer: one Watcher thread per kind (client and requests: `gotui.kube.client`).

A `Watcher` lists a kind (raw JSON, no typed models), hands the items to a sink (the ClusterStore),
then watches from the list's resourceVersion with bookmarks. A 410 Gone relists; a dropped
connection reconnects with capped, jittered backoff (and relists, so a restarted API server is
picked up correctly). In steady state the only requests are watch renewals every few minutes.
No Textual import here.
"""

from __future__ import annotations

import contextlib
import gc
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from gotui.kube.client import (
    ContextInfo,
    KubeConfigProblem,
    api_get,
    connect,
    finish,
    kubeconfig_paths,
    list_contexts,
    list_namespaces,
    make_api_client,
    read_object,
    server_version,
)
from gotui.sources.kube_wire import Slimmer, iter_list_items, object_path

# The kubeconfig and the requests come from the one client module (gotui.kube.client); re-exported here
# for the callers of the watch layer.
__all__ = ["KINDS", "ContextInfo", "KubeConfigProblem", "Watcher", "api_get", "connect", "kubeconfig_paths", "list_contexts",
           "list_namespaces", "make_api_client", "read_object", "server_version"]

# Every kind the cache holds (plurals of `gotui.kube.kinds.WELL_KNOWN`, which gives their paths).
KINDS: tuple[str, ...] = ("pods", "deployments", "replicasets", "services", "endpoints", "horizontalpodautoscalers",
                          "events", "secrets")
# Only Helm's release Secrets are cached, never the others.
LABEL_SELECTORS = {"secrets": "owner=helm"}


class Sink(Protocol):
    def replace(self, kind: str, items: list[dict]) -> None: ...
    def upsert(self, kind: str, obj: dict) -> None: ...
    def delete(self, kind: str, obj: dict) -> None: ...


class WatchExpired(Exception):
    """The watch's resourceVersion is too old (410 Gone): relist."""


DROPS_FATAL = 3  # hang-ups right after the TLS handshake in a row that end a Watcher (client cert refused)
FREEZE_AT = 2000  # lists at least this long are gc.freeze()d once in the store
LIST_CHUNK = 500  # items per LIST page (kubectl's --chunk-size default)
_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_restore = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic GC while a list is decoded: the hundreds of thousands of new (acyclic)
    objects would otherwise trigger full collections that walk the whole heap again and again.
    Process-wide and reentrant across threads; collection resumes when the last list ends."""
    global _gc_pausers, _gc_restore
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_restore = gc.isenabled()
        _gc_pausers += 1
        gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_restore:
                gc.enable()


@dataclass
class WatchStats:
    lists: int = 0
    watches: int = 0
    events: int = 0
    relists_410: int = 0
    reconnects: int = 0
    list_first_byte_s: float = 0.0  # last list: request to response headers
    list_parsed_s: float = 0.0  # ... to every item decoded and slimmed
    list_s: float = 0.0  # ... to the store holding them
    listed_at: float = 0.0  # time.monotonic() when the last list reached the store


def abort_response(resp: Any) -> None:
    """End a streaming response another thread is reading, without blocking the caller: shut its socket
    down (the blocked read returns at once), then close it in the background. A plain `close()` waits
    for the reader's buffer lock, i.e. for the next chunk: up to a bookmark interval on an idle watch."""
    sock = getattr(getattr(resp, "connection", None), "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass

    def close() -> None:
        try:
            resp.close()
        except Exception:  # noqa: BLE001 - closing a dead stream
            pass

    threading.Thread(target=close, name="gotui-close-watch", daemon=True).start()


class ListWatch(threading.Thread):
    """The one list-then-watch loop of gotui (`Watcher` feeds the cache, `gotui.kube.resources.TableWatcher`
    the resource view): `_list()` when there is no resourceVersion, then `_watch()` from it; a 410 Gone
    relists; a failure reconnects with capped, jittered backoff (and relists: a restarted API server has
    other resourceVersions); a kubeconfig problem — TLS verification, a rejected client certificate, a
    credential that cannot be had, a 401 after one re-run of the exec plugin — ends the thread
    (`self.fatal` holds the message) until the operator reconnects.

    States through `_set_state`: "connecting", "connected", "reconnecting" (with the error and the next
    retry) or "error" (403/404, still retried; or fatal).
    """

    def __init__(self, api_client: Any, name: str, *, watch_timeout: int = 300, backoff_cap: float = 30.0) -> None:
        super().__init__(name=name, daemon=True)
        self.api_client = api_client
        self.watch_timeout = watch_timeout
        self.backoff_cap = backoff_cap
        self.resource_version: str | None = None
        self.state = "connecting"
        self.detail = ""
        self.stats = WatchStats()
        self.fatal: str | None = None
        self._halt = threading.Event()
        self._response: Any = None
        self._lock = threading.Lock()

    # -- control --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the thread without waiting (the caller may be the UI thread): the open watch connection
        is shut down, so the thread's read returns at once."""
        self._halt.set()
        with self._lock:
            resp = self._response
        if resp is not None:
            abort_response(resp)

    @property
    def stopped(self) -> bool:
        return self._halt.is_set()

    def _set_state(self, state: str, detail: str = "") -> None:
        self.state, self.detail = state, detail

    # -- what a subclass lists and watches ------------------------------------------------------
    def _list(self) -> None:
        """List; set `resource_version` to the list's."""
        raise NotImplementedError

    def _watch(self) -> None:
        """One watch from `resource_version` (`_open_watch` + `_stream`)."""
        raise NotImplementedError

    def _open_watch(self, path: str, query: list[tuple[str, Any]], accept: str = "application/json") -> Any:
        """The watch request for `path` from `resource_version` (a 410 raises WatchExpired), its response
        kept for `stop()`; None when the thread was stopped meanwhile."""
        from gotui.kube.client import request

        timeout = int(self.watch_timeout * (0.9 + random.random() * 0.2))
        query = [*query, ("watch", "true"), ("allowWatchBookmarks", "true"),
                 ("resourceVersion", self.resource_version), ("timeoutSeconds", timeout)]
        try:
            resp = request(self.api_client, "GET", path, query, accept=accept, timeout=(5, timeout + 30))
        except Exception as exc:
            if getattr(exc, "status", None) == 410:
                raise WatchExpired(str(exc)) from None
            raise
        with self._lock:
            self._response = resp
        self.stats.watches += 1
        if self._halt.is_set():
            self._close(resp, aborted=True)
            return None
        return resp

    def _stream(self, resp: Any, handle: Callable[[list[dict]], None]) -> None:
        """Read the watch's newline-delimited events, handing each chunk's complete ones to `handle`."""
        aborted = True
        try:
            buffer = b""
            for chunk in resp.stream(65536, decode_content=True):
                if self._halt.is_set():
                    return
                buffer += chunk
                if b"\n" not in buffer:
                    continue
                *lines, buffer = buffer.split(b"\n")
                events = [json.loads(line) for line in lines if line.strip()]
                if events:
                    handle(events)
            if buffer.strip():
                handle([json.loads(buffer)])
            aborted = False
        finally:
            self._close(resp, aborted)

    def _close(self, resp: Any, aborted: bool) -> None:
        """Give the connection back: closed first when the stream was left unread (stopped, or an error
        event), so no later request on the pool reads the rest of the watch as its answer."""
        with self._lock:
            self._response = None
        try:
            if aborted:
                resp.close()
            resp.release_conn()
        except Exception:  # noqa: BLE001
            pass

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> None:
        failures = drops = 0
        reauthed_at = -1e9
        self._set_state("connecting")
        while not self._halt.is_set():
            try:
                if self.resource_version is None:
                    self._list()
                self._set_state("connected")
                failures = 0
                self._watch()
            except WatchExpired:
                self.stats.relists_410 += 1
                self.resource_version = None
            except Exception as exc:  # noqa: BLE001 - every failure is retried with backoff
                if self._halt.is_set():
                    break
                from gotui.ops import errors

                context = getattr(self.api_client, "gotui_context", None)
                message = errors.describe_error(exc, context=context)
                # A server refusing the client certificate may just hang up: after DROPS_FATAL of
                # those in a row (a restart causes one or two), it is a configuration problem too.
                dropped = getattr(self.api_client, "gotui_client_cert", False) and errors.is_dropped_handshake(exc)
                drops = drops + 1 if dropped else 0
                if dropped:
                    message = errors.dropped_client_certificate(context)
                reauth = getattr(self.api_client, "gotui_reauth", None)
                if getattr(exc, "status", None) == 401 and reauth is not None and time.monotonic() - reauthed_at > 60:
                    # client-go's rule: a 401 re-runs the exec plugin (the token was revoked early); once a minute
                    reauthed_at = time.monotonic()
                    try:
                        reauth()
                        continue
                    except Exception as again:  # noqa: BLE001 - the plugin's own message is the one to show
                        exc, message = again, errors.describe_error(again, context=context)
                if errors.is_config_error(exc) or drops >= DROPS_FATAL:
                    self.fatal = message
                    self._set_state("error", message)
                    return
                failures += 1
                self.stats.reconnects += 1
                self.resource_version = None  # relist: the server may have restarted with other RVs
                delay = min(self.backoff_cap, 0.25 * (2 ** min(failures, 10))) * (0.75 + random.random() / 2)
                status = getattr(exc, "status", None)
                if status in (403, 404):
                    self._set_state("error", f"{message}")
                else:
                    self._set_state("reconnecting", f"{message} — retrying in {delay:.0f}s")
                self._halt.wait(delay)



class Watcher(ListWatch):
    """List then watch one kind of the cache, feeding `sink` (raw JSON, slimmed); reports state changes
    through `on_state(kind, state, detail)` (see `ListWatch` for the states)."""

    def __init__(
        self,
        api_client: Any,
        kind: str,
        sink: Sink,
        namespace: str | None = None,
        *,
        on_state: Callable[[str, str, str], None] | None = None,
        watch_timeout: int = 300,
        backoff_cap: float = 30.0,
        request_timeout: float = 30.0,
    ) -> None:
        super().__init__(api_client, f"gotui-watch-{kind}", watch_timeout=watch_timeout, backoff_cap=backoff_cap)
        self.kind = kind
        self.sink = sink
        self.namespace = namespace
        self.on_state = on_state or (lambda kind, state, detail: None)
        self.request_timeout = request_timeout
        self._slimmer = Slimmer()

    def _set_state(self, state: str, detail: str = "") -> None:
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.on_state(self.kind, state, detail)

    def _request(self, query: list[tuple[str, Any]], timeout: Any) -> Any:
        selector = LABEL_SELECTORS.get(self.kind)
        if selector:
            query = [("labelSelector", selector), *query]
        return api_get(self.api_client, object_path(self.kind, self.namespace), query, timeout=timeout)

    def _list(self) -> None:
        """LIST in chunks of LIST_CHUNK (limit/continue, as kubectl and client-go's pager): the API
        server answers each quickly and never builds one response of hundreds of MB. A continue
        token that expired mid-way (410) restarts the listing once, then as one whole LIST."""
        t0 = time.monotonic()
        items: list[dict] = []
        slim, kind = self._slimmer.slim, self.kind
        first = True
        token = ""
        limit: int | None = LIST_CHUNK
        restarted = False
        with gc_paused():
            while True:
                query: list[tuple[str, Any]] = [("limit", limit)] if limit else []
                if token:
                    query.append(("continue", token))
                try:
                    resp = self._request(query, (5, max(self.request_timeout, 60)))
                except Exception as exc:
                    if not token or getattr(exc, "status", None) != 410:
                        raise
                    items.clear()  # the continue token expired: list again from the start
                    token = ""
                    limit = None if restarted else LIST_CHUNK
                    restarted = True
                    continue
                if first:
                    self.stats.list_first_byte_s = time.monotonic() - t0
                    first = False
                try:
                    header = iter_list_items(resp.stream(262144, decode_content=True),
                                             lambda o: items.append(slim(kind, o)))
                finally:
                    finish(resp)  # read to the end (an error mid-list leaves the rest unread)
                token = (header.get("metadata") or {}).get("continue") or ""
                if not token:
                    break
            self.stats.lists += 1
            kind_name = (header.get("kind") or "").removesuffix("List")
            api_version = header.get("apiVersion")
            for item in items:  # list items carry no kind/apiVersion on the wire
                if kind_name and "kind" not in item:
                    item["kind"] = kind_name
                if api_version and "apiVersion" not in item:
                    item["apiVersion"] = api_version
            self.stats.list_parsed_s = time.monotonic() - t0
            self.sink.replace(self.kind, items)
            if len(items) >= FREEZE_AT:
                # Move the cache out of the collector's sight: it holds no cycles (plain JSON trees,
                # freed by reference counting), and every full collection would walk it again.
                gc.freeze()
        self.stats.list_s = time.monotonic() - t0
        self.stats.listed_at = time.monotonic()
        self.resource_version = (header.get("metadata") or {}).get("resourceVersion") or "0"

    def _watch(self) -> None:
        query = [("labelSelector", LABEL_SELECTORS[self.kind])] if self.kind in LABEL_SELECTORS else []
        resp = self._open_watch(object_path(self.kind, self.namespace), query)
        if resp is not None:
            self._stream(resp, self._events)

    def _events(self, events: list[dict]) -> None:
        for event in events:
            self._event(event)

    def _event(self, event: dict) -> None:
        etype = event.get("type")
        obj = event.get("object") or {}
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if etype == "ERROR":
            code = obj.get("code")
            if code == 410:
                raise WatchExpired(obj.get("message", "expired"))
            raise RuntimeError(f"watch error {code}: {obj.get('message', '')}")
        self.stats.events += 1
        if etype in ("ADDED", "MODIFIED"):
            self.sink.upsert(self.kind, self._slimmer.slim(self.kind, obj))
        elif etype == "DELETED":
            self.sink.delete(self.kind, obj)
        if rv:
            self.resource_version = rv
