"""The sandbox's Kubernetes-API-compatible HTTP server (aiohttp), its start() and the `gotui sandbox` main().

Routes: legacy discovery (/version, /api, /api/v1, /apis, /apis/G, /apis/G/V), OpenAPI v3 (/openapi/v3,
/openapi/v3/api/v1, /openapi/v3/apis/G/V; v2 -> 404),
/api/v1/... and /apis/G/V/... for every resource in `resources.RESOURCES` (get, list, watch, create,
update, patch, delete, deletecollection; subresources status, scale, log), and the sandbox-only
endpoints:

- `GET|POST /sandbox/v1/policy` `{"deny":[{"verb":..,"resource":..,"namespace":..}]}` (see policy.py)
- `POST /sandbox/v1/cpu` `{"namespace":..,"deployment":..,"percent":..}` (synthetic CPU, needs controllers)
- `POST /sandbox/v1/compact` drops the watch history (next watch from an older RV gets 410 Expired)
- `GET /sandbox/v1/info` scenario, seed, resourceVersion, object counts
- `POST /sandbox/v1/churn {"rate": N, "seconds": S}` N pods a second change an annotation (benchmarks; GET: progress)
- `GET .../pods/NAME[:PORT]/proxy/...`, `.../services/NAME[:PORT]/proxy/...` (see proxy.py)
- `.../pods/NAME/exec` (a real process per exec, pod_exec.py) and `.../pods/NAME/portforward` (to the
  pod's real loopback HTTP port, pod_portforward.py), over WebSocket as kubectl and client libraries use them
- `GET|POST|DELETE /sandbox/v1/faults` injected faults (lost responses, delays, resets, 5xx; see faults.py)

`--tls` serves HTTPS with a certificate from the sandbox's own CA (tls.py); `--auth` enables client
certificate, static bearer token and exec-plugin authentication (auth.py): then every API request needs
credentials (401 Unauthorized otherwise) and 403s name the authenticated user. The /sandbox/v1/*
endpoints stay open to unauthenticated callers (a test harness's back door). Key material lives in a
private temp dir removed when the sandbox stops, or in `--pki-dir DIR` (kept; a restart there reuses the
CA and tokens, like a real cluster's); the kubeconfig files are described in kubeconfig.py.

Bodies are JSON (or YAML); `application/vnd.kubernetes.protobuf` is accepted for SelfSubjectAccessReviews
(kubectl auth can-i) and for creating/updating v1 Secrets and ConfigMaps (helm v4 storage), see protowire.py;
answers are always JSON. JSON lists over STREAM_LIST_BYTES are streamed in chunks (bounded memory).

Every failure is answered with a v1 Status body; a handler crash gives Status 500, never a dead server.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import inspect
import ipaddress
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gotui import clock as gotui_clock
from gotui.sandbox import (
    discovery,
    errors,
    faults,
    field_schema,
    kubeconfig,
    openapi,
    pod_exec,
    pod_portforward,
    proxy,
    security,
)
from gotui.sandbox.auth import ANONYMOUS, CURRENT_USER, Authenticator, UserInfo, parse_methods
from gotui.sandbox.churn import Churn
from gotui.sandbox.errors import ApiError
from gotui.sandbox.loop_lag import LoopLag
from gotui.sandbox.paging import Pager
from gotui.sandbox.patch import APPLY_PATCH, apply_patch
from gotui.sandbox.policy import Policy
from gotui.sandbox.protowire import ProtobufError, decode_object, decode_ssar, supported
from gotui.sandbox.resources import RESOURCES, REVIEWS, STATUS_SUBRESOURCE, ResourceInfo
from gotui.sandbox.selectors import label_selector_string, parse_field_selector, parse_label_selector
from gotui.sandbox.store import HistoryEvent, ObjectStore, dumps
from gotui.sandbox.tables import build_table, build_table_bytes, parse_time

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024
STREAM_LIST_BYTES = 1024 * 1024  # JSON lists bigger than this are written in chunks (see _stream_list)
STREAM_CHUNK_BYTES = 256 * 1024
DEFAULT_WATCH_TIMEOUT = 1800.0
BASE_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
_SENTINEL = object()
# As on a real cluster: kubectl sends no credentials to an http:// server, and API servers serve HTTPS only.
AUTH_NEEDS_TLS = "--auth needs --tls (kubectl and client-go send no credentials over plain HTTP)"


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps(obj), status=status, content_type="application/json")


def _raw(data: bytes, status: int = 200) -> web.Response:
    return web.Response(body=data, status=status, content_type="application/json")


async def _stream_list(request: web.Request, head: bytes, items: list[bytes], total: int) -> web.StreamResponse:
    """A big JSON list written in chunks of about STREAM_CHUNK_BYTES with a known Content-Length, so the
    sandbox never holds the whole body (tens of MB for 10,000 pods) once joined and once in the transport
    buffer. The cached item bytes are immutable, so the listing stays a consistent snapshot."""
    resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    resp.content_length = total
    await resp.prepare(request)
    chunk: list[bytes] = [head]
    size = len(head)
    for n, data in enumerate(items):
        if n:
            chunk.append(b",")
        chunk.append(data)
        size += len(data) + 1
        if size >= STREAM_CHUNK_BYTES:
            await resp.write(b"".join(chunk))
            chunk, size = [], 0
    chunk.append(b"]}")
    await resp.write(b"".join(chunk))
    await resp.write_eof()
    return resp


def _status_response(err: ApiError) -> web.Response:
    return _json(err.to_status(), err.code)


def _not_found_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def _bool(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1")


def _int(query: Any, name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise errors.bad_request(f'invalid value for {name}: "{value}": must be an integer') from None


def _accept_mode(request: web.Request) -> str:
    """"table", "partial" or "json" from the Accept header."""
    accept = request.headers.get("Accept", "")
    for media in accept.split(","):
        params = {p.split("=", 1)[0].strip(): p.split("=", 1)[1].strip() for p in media.split(";")[1:] if "=" in p}
        as_ = params.get("as")
        if as_ == "Table":
            return "table"
        if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            return "partial"
        if media.split(";")[0].strip() in ("application/json", "*/*", "application/*") and not as_:
            return "json"
    return "json"


def _protobuf_target(t: _Target) -> bool:
    """Whether a create/update of this target may send a protobuf body (`protowire.supported`)."""
    return t.sub is None and supported(t.info.api_version, t.info.kind)


def _partial(obj: dict) -> dict:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


@dataclass
class _Target:
    info: ResourceInfo
    namespace: str | None
    name: str | None
    sub: str | None
    watch: bool


class _Watcher:
    """Pending events of one watch: a deque plus a wake-up Event (no asyncio.Queue + wait_for, whose
    timeout can drop an item on Python 3.11)."""

    __slots__ = ("items", "wake")

    def __init__(self) -> None:
        self.items: collections.deque = collections.deque()
        self.wake = asyncio.Event()

    def put(self, item: Any) -> None:
        self.items.append(item)
        self.wake.set()


class ApiServer:
    """The aiohttp application serving one ObjectStore."""

    def __init__(self, store: ObjectStore, policy: Policy | None = None, controllers: Any = None, *,
                 max_body: int = MAX_BODY, bookmark_interval: float = 5.0, info: dict | None = None,
                 authenticator: Authenticator | None = None):
        self.store = store
        self.authenticator = authenticator or Authenticator()
        self.policy = policy or Policy()
        self.controllers = controllers
        self.churn = Churn(store)
        self.max_body = max_body
        self.bookmark_interval = bookmark_interval
        self.info = info or {}
        self._watchers: set[_Watcher] = set()
        self._closing = False
        self.faults = faults.Faults()
        self.proxy = proxy.Proxy(self)
        self.pod_exec = pod_exec.PodExec(self)
        self.exec_allowed = True  # start() turns it off for a non-loopback sandbox without authentication
        self.pod_portforward = pod_portforward.PodPortForward(self)
        self.loop_lag = LoopLag()

    def make_app(self) -> web.Application:
        """The aiohttp Application (one catch-all route, dispatched by path)."""
        # Authentication first (an unauthenticated request is answered 401, as a real API server does),
        # then the injected faults, which act on authenticated requests only.
        app = web.Application(client_max_size=self.max_body,
                              middlewares=[self._authenticate, self.faults.middleware])
        app.router.add_route("*", faults.PATH, self.faults.endpoint)
        app.router.add_route("*", proxy.POD_ROUTE, self.proxy.pod)
        app.router.add_route("*", proxy.SERVICE_ROUTE, self.proxy.service)
        app.router.add_route("*", pod_exec.ROUTE, self.pod_exec.handle)
        app.router.add_route("*", pod_portforward.ROUTE, self.pod_portforward.handle)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_startup(self, _app: web.Application) -> None:
        self.loop_lag.start()

    async def _on_shutdown(self, _app: web.Application) -> None:
        self._closing = True
        self.loop_lag.stop()
        self.pod_exec.stop()
        for w in list(self._watchers):
            w.put(_SENTINEL)

    # --- entry ------------------------------------------------------------------------------------

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Find the caller (CURRENT_USER for the handler); 401 without valid credentials when auth is on,
        except on the sandbox-only endpoints."""
        user: UserInfo | None = ANONYMOUS
        if self.authenticator.required:
            transport = request.transport
            ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
            peercert = ssl_object.getpeercert() if ssl_object is not None else None
            user = self.authenticator.authenticate(request.headers, peercert)
            if user is None:
                if not request.path.startswith("/sandbox/"):
                    return _status_response(errors.unauthorized())
        reset = CURRENT_USER.set(user or ANONYMOUS)
        try:
            return await handler(request)
        finally:
            CURRENT_USER.reset(reset)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Dispatch one request; every error becomes a Status body."""
        try:
            resp = await self._dispatch(request)
            for text in request.get("warnings", ()):
                resp.headers.add("Warning", _warning_header(text))
            return resp
        except ApiError as err:
            return _status_response(err)
        except web.HTTPRequestEntityTooLarge:
            return _status_response(ApiError(413, "RequestEntityTooLarge",
                                             f"the request body is too large (limit {self.max_body} bytes)"))
        except web.HTTPException as exc:
            return _status_response(ApiError(exc.status, exc.reason.replace(" ", ""), exc.text or exc.reason))
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception as exc:  # the server must never die on bad input
            log.exception("handler failed for %s %s", request.method, request.path)
            return _status_response(errors.internal(f"{type(exc).__name__}: {exc}"))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        method = request.method
        parts = [p for p in path.split("/") if p]
        if not parts:
            if method != "GET":
                raise errors.method_not_allowed()
            return _json({"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"]
                          + [f"/apis/{g}" for g in discovery.groups()]})
        head = parts[0]
        if head in ("healthz", "livez", "readyz") and len(parts) == 1:
            return web.Response(text="ok", content_type="text/plain")
        if head == "version" and len(parts) == 1:
            return _json(discovery.VERSION_INFO)
        if head == "openapi" and len(parts) >= 2 and parts[1] == "v3" and method == "GET":
            if len(parts) == 2:
                return _json(openapi.index())
            served = openapi.document("/".join(parts[2:]))
            if served is None:
                raise _not_found_path()
            return _raw(served)
        if head in ("openapi", "swagger.json", "swaggerapi"):
            raise _not_found_path()  # OpenAPI v2 is not served: kubectl falls back from it
        if head == "sandbox":
            return await self._sandbox_endpoint(request, parts[1:])
        if head == "api":
            if len(parts) == 1:
                return self._discovery_get(request, discovery.api_versions())
            if parts[1] != "v1":
                raise _not_found_path()
            group, version, rest = "", "v1", parts[2:]
        elif head == "apis":
            if len(parts) == 1:
                return self._discovery_get(request, discovery.api_group_list())
            if len(parts) == 2:
                doc = discovery.api_group(parts[1])
                if doc is None:
                    raise _not_found_path()
                return self._discovery_get(request, doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise _not_found_path()
        if not rest:
            doc = discovery.resource_list(group, version)
            if doc is None:
                raise _not_found_path()
            return self._discovery_get(request, doc)
        target = self._parse_target(group, version, rest)
        return await self._resource_request(request, target)

    def _discovery_get(self, request: web.Request, doc: dict) -> web.Response:
        if request.method != "GET":
            raise errors.method_not_allowed()
        return _json(doc)

    def _parse_target(self, group: str, version: str, rest: list[str]) -> _Target:
        watch = False
        if rest[0] == "watch":
            watch, rest = True, rest[1:]
            if not rest:
                raise _not_found_path()
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            candidate = discovery.find_resource(group, version, rest[2])
            if candidate is not None and candidate.namespaced:
                namespace, rest = rest[1], rest[2:]
        info = discovery.find_resource(group, version, rest[0])
        if info is None or len(rest) > 3:
            raise _not_found_path()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if name is not None and info.namespaced and namespace is None:
            raise _not_found_path()
        if sub is not None and sub not in info.subresources:
            raise _not_found_path()
        return _Target(info, namespace, name, sub, watch)

    # --- resources -------------------------------------------------------------------------------

    def _authorize(self, verb: str, t: _Target) -> None:
        allowed, _ = self.policy.check(verb, t.info.plural, t.namespace, t.name, t.info.group, t.sub)
        if not allowed:
            raise errors.forbidden(t.info.plural if not t.sub else f"{t.info.plural}/{t.sub}", t.name, verb, t.namespace,
                                   CURRENT_USER.get().name)

    async def _body(self, request: web.Request, *, required: bool = True, protobuf_ssar: bool = False,
                    target: _Target | None = None) -> Any:
        """The decoded request body: JSON (or YAML), or protobuf for an SSAR (`protobuf_ssar`) or for a
        create/update of a v1 Secret or ConfigMap (`target`, as helm v4 sends its storage objects)."""
        length = request.content_length
        if length is not None and length > self.max_body:
            raise ApiError(413, "RequestEntityTooLarge", f"the request body is too large (limit {self.max_body} bytes)")
        raw = await request.read()
        if not raw.strip():
            if required:
                raise errors.bad_request("the body of the request was empty")
            return None
        ctype = (request.content_type or "application/json").lower()
        if protobuf_ssar and ctype == "application/vnd.kubernetes.protobuf":
            try:
                return decode_ssar(raw)
            except ProtobufError as exc:
                raise errors.bad_request(f"unable to decode the protobuf body: {exc}") from None
        if target is not None and ctype == "application/vnd.kubernetes.protobuf" and _protobuf_target(target):
            try:
                return decode_object(raw, target.info.kind)
            except ProtobufError as exc:
                raise errors.bad_request(f"unable to decode the protobuf body: {exc}") from None
        if "protobuf" in ctype or "cbor" in ctype:
            raise ApiError(415, "UnsupportedMediaType",
                           f'the body of the request was in an unknown format - accepted media types include: '
                           f'application/json, application/yaml ({ctype} given)')
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.bad_request("the body of the request is not valid UTF-8") from None
        try:
            return json.loads(text)
        except ValueError as exc:
            if ctype in ("application/yaml", "application/apply-patch+yaml"):
                import yaml

                try:
                    return yaml.safe_load(text)
                except yaml.YAMLError:
                    pass
            raise errors.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None

    async def _resource_request(self, request: web.Request, t: _Target) -> web.StreamResponse:
        method = request.method
        q = request.query
        plural = t.info.plural
        if plural == "selfsubjectaccessreviews":
            if method != "POST" or t.name:
                raise errors.method_not_allowed()
            return await self._ssar(request)
        if plural == "selfsubjectreviews":
            if method != "POST" or t.name:
                raise errors.method_not_allowed()
            return self._whoami()
        if t.name is None:
            if method == "GET":
                if t.watch or _bool(q.get("watch")):
                    self._authorize("watch", t)
                    return await self._watch(request, t)
                self._authorize("list", t)
                return await self._list(request, t)
            if method == "POST":
                self._authorize("create", t)
                return await self._create(request, t)
            if method == "DELETE":
                self._authorize("deletecollection", t)
                return await self._delete_collection(request, t)
            raise errors.method_not_allowed()
        if t.watch:
            if method != "GET":
                raise errors.method_not_allowed()
            self._authorize("watch", t)
            return await self._watch(request, t, name=t.name)
        if t.sub == "log":
            if method != "GET":
                raise errors.method_not_allowed()
            self._authorize("get", t)
            return await self._log(request, t)
        if t.sub == "eviction":
            if method != "POST":
                raise errors.method_not_allowed()
            self._authorize("create", t)
            return await self._evict(request, t)
        verb = {"GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method)
        if verb is None or (verb == "delete" and t.sub):
            raise errors.method_not_allowed()
        self._authorize(verb, t)
        if verb == "get":
            return self._get(request, t)
        if verb == "delete":
            return await self._delete(request, t)
        if t.sub == "scale":
            return await self._scale_write(request, t, verb)
        if verb == "update":
            return await self._update(request, t)
        return await self._patch(request, t)

    def _current(self, t: _Target) -> dict:
        obj = self.store.get(t.info.plural, t.namespace or "", t.name or "")
        if obj is None:
            raise errors.not_found(t.info.plural, t.name or "")
        return obj

    def _respond_obj(self, request: web.Request, t: _Target, obj: dict, status: int = 200) -> web.Response:
        mode = _accept_mode(request)
        if mode == "table":
            include = request.query.get("includeObject", "Metadata")
            return _json(build_table(t.info.plural, [obj], obj["metadata"].get("resourceVersion", ""), include), status)
        if mode == "partial":
            return _json(_partial(obj), status)
        return _json(obj, status)

    def _get(self, request: web.Request, t: _Target) -> web.Response:
        obj = self._current(t)
        if t.sub == "scale":
            return _json(self._scale_of(t.info, obj))
        mode = _accept_mode(request)
        if mode == "json":
            data = self.store.get_data(t.info.plural, t.namespace or "", t.name or "")
            if data is not None:
                return _raw(data)
        return self._respond_obj(request, t, obj)

    async def _list(self, request: web.Request, t: _Target) -> web.StreamResponse:
        q = request.query
        limit, token = _int(q, "limit"), q.get("continue") or None
        if token and q.get("resourceVersion") not in (None, "", "0"):
            raise errors.bad_request("specifying resource version is not allowed when using continue")
        if q.get("resourceVersion") == "0" and not token:
            limit = None  # served from the watch cache: the whole list, as the real server does
        pager = self.__dict__.get("_pager") or self.__dict__.setdefault("_pager", Pager())
        page = pager.page(self.store, t.info.plural, t.namespace, q.get("labelSelector"), q.get("fieldSelector"),
                          limit, token)
        entries, rv = page.entries, page.rv
        list_meta: dict[str, Any] = {"resourceVersion": rv}
        if page.token:
            list_meta["continue"] = page.token
            if not q.get("labelSelector") and not q.get("fieldSelector"):
                list_meta["remainingItemCount"] = page.remaining
        mode = _accept_mode(request)
        if mode == "table":
            include = q.get("includeObject", "Metadata")
            extra = {k: v for k, v in list_meta.items() if k != "resourceVersion"}
            return _raw(build_table_bytes(t.info.plural, [o for o, _ in entries], rv, include, list_meta=extra))
        if mode == "partial":
            return _json({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                          "metadata": list_meta, "items": [_partial(o) for o, _ in entries]})
        head = (b'{"kind":"' + t.info.kind.encode() + b'List","apiVersion":"' + t.info.api_version.encode()
                + b'","metadata":' + dumps(list_meta) + b',"items":[')
        total = len(head) + sum(len(data) for _, data in entries) + max(len(entries) - 1, 0) + 2
        if total <= STREAM_LIST_BYTES:
            parts = [head]
            for n, (_, data) in enumerate(entries):
                if n:
                    parts.append(b",")
                parts.append(data)
            parts.append(b"]}")
            return _raw(b"".join(parts))
        return await _stream_list(request, head, [data for _, data in entries], total)

    async def _create(self, request: web.Request, t: _Target) -> web.Response:
        body = await self._body(request, target=t)
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format: expected an object")
        meta = body.get("metadata")
        if meta is None:
            meta = body["metadata"] = {}
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if t.info.namespaced:
            ns = t.namespace
            if ns is None:
                raise errors.method_not_allowed("create requires a namespace in the URL")
            if meta.get("namespace") and meta["namespace"] != ns:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            meta["namespace"] = ns
            if self.store.get("namespaces", "", ns) is None:
                raise errors.not_found("namespaces", ns)
        _check_fields(request, t.info.group, t.info.version, t.info.kind, body, "create", t.info.extra.get("schema"))
        if _dry_run(request):
            return self._respond_obj(request, t, body, 201)
        obj = self.store.create(t.info.plural, body)
        return self._respond_obj(request, t, obj, 201)

    def _check_identity(self, t: _Target, body: dict) -> dict:
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was in an unknown format: expected an object")
        meta = body.get("metadata")
        if not isinstance(meta, dict):
            meta = body["metadata"] = {}
        if meta.get("name") and meta["name"] != t.name:
            raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({t.name})")
        if t.info.namespaced and meta.get("namespace") and meta["namespace"] != t.namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["name"] = t.name
        if t.info.namespaced:
            meta["namespace"] = t.namespace
        return body

    async def _update(self, request: web.Request, t: _Target) -> web.Response:
        body = self._check_identity(t, await self._body(request, target=t))
        current = self._current(t)
        _check_fields(request, t.info.group, t.info.version, t.info.kind, body, "update", t.info.extra.get("schema"))
        if _dry_run(request):
            return self._respond_obj(request, t, body)
        if t.sub == "status":
            obj = self.store.update_status(t.info.plural, body, check_rv=True)
        else:
            if t.info.plural in STATUS_SUBRESOURCE:
                if "status" in current:
                    body["status"] = current["status"]
                else:
                    body.pop("status", None)
            obj = self.store.update(t.info.plural, body, check_rv=True)
        return self._respond_obj(request, t, obj)

    async def _patch(self, request: web.Request, t: _Target) -> web.Response:
        ctype = (request.content_type or "").lower()
        if ctype == APPLY_PATCH:
            raise ApiError(415, "UnsupportedMediaType", "server-side apply is not supported by the gotui sandbox; "
                           "use a strategic merge, merge or JSON patch")
        patch = await self._body(request)
        current = self._current(t)
        result = apply_patch(ctype, current, patch)
        result = self._patched(t, current, result)
        _check_fields(request, t.info.group, t.info.version, t.info.kind, result, "patch", t.info.extra.get("schema"))
        if _dry_run(request):
            return self._respond_obj(request, t, result)
        if t.sub == "status":
            obj = self.store.update_status(t.info.plural, result, check_rv=True)
        else:
            obj = self.store.update(t.info.plural, result, check_rv=True)
        return self._respond_obj(request, t, obj)

    def _patched(self, t: _Target, current: dict, result: Any) -> dict:
        if not isinstance(result, dict) or not isinstance(result.get("metadata"), dict):
            raise errors.invalid(t.info.plural, t.info.kind, t.name or "",
                                 [("FieldValueRequired", "Required value", "metadata")])
        meta = result["metadata"]
        cur_meta = current["metadata"]
        if meta.get("name") != cur_meta["name"] or (t.info.namespaced and meta.get("namespace") != cur_meta.get("namespace")):
            raise errors.invalid(t.info.plural, t.info.kind, t.name or "",
                                 [("FieldValueInvalid", "field is immutable", "metadata.name")])
        rv = meta.get("resourceVersion")
        if rv and rv != cur_meta["resourceVersion"]:
            raise errors.conflict(t.info.plural, t.name or "")
        meta["resourceVersion"] = cur_meta["resourceVersion"]
        if t.sub != "status" and t.info.plural in STATUS_SUBRESOURCE:
            if "status" in current:
                result["status"] = current["status"]
            else:
                result.pop("status", None)
        return result

    async def _delete(self, request: web.Request, t: _Target) -> web.Response:
        opts = await self._body(request, required=False) or {}
        if not isinstance(opts, dict):
            raise errors.bad_request("DeleteOptions must be an object")
        q = request.query
        grace = _int(q, "gracePeriodSeconds")
        if grace is None and isinstance(opts.get("gracePeriodSeconds"), int):
            grace = opts["gracePeriodSeconds"]
        propagation = q.get("propagationPolicy") or opts.get("propagationPolicy")
        if opts.get("orphanDependents") is True or q.get("orphanDependents") == "true":
            propagation = "Orphan"
        pre = opts.get("preconditions") or {}
        current = self._current(t)
        if t.info.plural == "namespaces" and t.name in PROTECTED_NAMESPACES:
            raise ApiError(403, "Forbidden", f'namespaces "{t.name}" is forbidden: this namespace may not be deleted',
                           {"name": t.name, "kind": "namespaces"})
        if _dry_run(request):
            return _json(current)
        final = self.store.delete(t.info.plural, t.namespace or "", t.name or "", grace_period_seconds=grace,
                                  propagation=propagation, uid=pre.get("uid") if isinstance(pre, dict) else None,
                                  resource_version=pre.get("resourceVersion") if isinstance(pre, dict) else None)
        if t.info.plural == "pods":
            return self._respond_obj(request, t, final)
        details = {"name": t.name, "kind": t.info.plural, "uid": current["metadata"].get("uid")}
        if t.info.group:
            details["group"] = t.info.group
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})

    async def _evict(self, request: web.Request, t: _Target) -> web.Response:
        """POST pods/NAME/eviction (a policy/v1 Eviction): the pod is deleted gracefully (the sandbox
        has no PodDisruptionBudgets, so no eviction is ever refused with 429)."""
        body = await self._body(request)
        if not isinstance(body, dict) or body.get("kind") not in (None, "Eviction"):
            raise errors.bad_request("the body must be a policy/v1 Eviction")
        if (body.get("metadata") or {}).get("name") not in (None, t.name):
            raise errors.bad_request("name in URL does not match name in Eviction object")
        _check_fields(request, *field_schema.SUBRESOURCE_KINDS["eviction"], body, "create")
        self._current(t)
        opts = body.get("deleteOptions") or {}
        grace = opts.get("gracePeriodSeconds") if isinstance(opts, dict) else None
        if not _dry_run(request):
            self.store.delete("pods", t.namespace or "", t.name or "",
                              grace_period_seconds=grace if isinstance(grace, int) else None)
        return _json({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}, 201)

    async def _delete_collection(self, request: web.Request, t: _Target) -> web.Response:
        opts = await self._body(request, required=False) or {}
        q = request.query
        grace = _int(q, "gracePeriodSeconds")
        if grace is None and isinstance(opts, dict) and isinstance(opts.get("gracePeriodSeconds"), int):
            grace = opts["gracePeriodSeconds"]
        objs, _ = self.store.list(t.info.plural, t.namespace, q.get("labelSelector"), q.get("fieldSelector"))
        done = []
        for obj in list(objs):
            meta = obj["metadata"]
            try:
                done.append(self.store.delete(t.info.plural, meta.get("namespace", ""), meta["name"],
                                              grace_period_seconds=grace))
            except ApiError as err:
                if err.code != 404:
                    raise
        return _json({"kind": f"{t.info.kind}List", "apiVersion": t.info.api_version,
                      "metadata": {"resourceVersion": self.store.resource_version}, "items": done})

    # --- scale ------------------------------------------------------------------------------------

    def _scale_of(self, info: ResourceInfo, obj: dict) -> dict:
        meta = obj["metadata"]
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": spec.get("replicas", 0)},
            "status": {"replicas": int(status.get("replicas") or 0),
                       "selector": label_selector_string(spec.get("selector"))},
        }

    async def _scale_write(self, request: web.Request, t: _Target, verb: str) -> web.Response:
        current = self._current(t)
        scale = self._scale_of(t.info, current)
        body = await self._body(request)
        if verb == "update":
            new_scale = self._check_identity(t, body)
        else:
            new_scale = apply_patch((request.content_type or "").lower(), scale, body)
        if not isinstance(new_scale, dict):
            raise errors.bad_request("Scale must be an object")
        _check_fields(request, *field_schema.SUBRESOURCE_KINDS["scale"], new_scale, verb)
        rv = (new_scale.get("metadata") or {}).get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(t.info.plural, t.name or "")
        replicas = (new_scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise errors.invalid(t.info.plural, "Scale", t.name or "",
                                 [("FieldValueInvalid", f"Invalid value: {replicas!r}: must be greater than or equal to 0",
                                   "spec.replicas")])
        new = json.loads(dumps(current))
        new["spec"]["replicas"] = replicas
        if _dry_run(request):
            return _json(self._scale_of(t.info, new))
        obj = self.store.update(t.info.plural, new, check_rv=False)
        return _json(self._scale_of(t.info, obj))

    # --- SSAR ------------------------------------------------------------------------------------

    async def _ssar(self, request: web.Request) -> web.Response:
        body = await self._body(request, protobuf_ssar=True)
        if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
            raise errors.invalid("selfsubjectaccessreviews", "SelfSubjectAccessReview", "",
                                 [("FieldValueRequired", "Required value", "spec")])
        spec = body["spec"]
        if not spec.get("resourceAttributes") and not spec.get("nonResourceAttributes"):
            raise errors.invalid("selfsubjectaccessreviews", "SelfSubjectAccessReview", "",
                                 [("FieldValueRequired",
                                   "Required value: exactly one of nonResourceAttributes or resourceAttributes "
                                   "must be specified", "spec.resourceAttributes")])
        out = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
               "metadata": {"creationTimestamp": None}, "spec": spec, "status": self.policy.review(body)}
        return _json(out, 201)

    def _whoami(self) -> web.Response:
        """A SelfSubjectReview (`kubectl auth whoami`): the authenticated user and groups."""
        user = CURRENT_USER.get()
        return _json({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                      "metadata": {"creationTimestamp": self.store.now()},
                      "status": {"userInfo": {"username": user.name, "groups": list(user.groups)}}}, 201)

    # --- watch -----------------------------------------------------------------------------------

    async def _watch(self, request: web.Request, t: _Target, name: str | None = None) -> web.StreamResponse:
        q = request.query
        plural = t.info.plural
        field_sel = q.get("fieldSelector")
        if name:
            field_sel = f"metadata.name={name}" + (f",{field_sel}" if field_sel else "")
        labels_m = parse_label_selector(q.get("labelSelector"))
        fields_m = parse_field_selector(plural, field_sel)
        timeout = _int(q, "timeoutSeconds")
        timeout_s = float(timeout) if timeout and timeout > 0 else DEFAULT_WATCH_TIMEOUT
        bookmarks = _bool(q.get("allowWatchBookmarks"))
        table = _accept_mode(request) == "table"
        include = q.get("includeObject", "Metadata")
        rv_param = q.get("resourceVersion", "")
        send_initial = q.get("sendInitialEvents")
        if send_initial is not None and send_initial not in ("true", "false"):
            raise errors.bad_request(f'invalid value for sendInitialEvents: "{send_initial}"')
        initial_events = send_initial == "true"
        if initial_events:
            causes = []
            if q.get("resourceVersionMatch") != "NotOlderThan":
                causes.append(("FieldValueForbidden", "Forbidden: sendInitialEvents requires setting "
                               "resourceVersionMatch to NotOlderThan", "resourceVersionMatch"))
            if not bookmarks:
                causes.append(("FieldValueForbidden", "Forbidden: sendInitialEvents requires setting "
                               "allowWatchBookmarks to true", "allowWatchBookmarks"))
            if causes:
                raise errors.invalid(plural, "ListOptions", "", causes)
        elif send_initial is None and q.get("resourceVersionMatch"):
            raise errors.invalid(plural, "ListOptions", "", [(
                "FieldValueForbidden", "Forbidden: resourceVersionMatch is forbidden for watch unless "
                "sendInitialEvents is provided", "resourceVersionMatch")])
        if rv_param not in ("", "0") and not rv_param.isdigit():
            raise errors.bad_request(f'invalid resource version: "{rv_param}"')
        namespace = t.namespace if t.info.namespaced else None

        def matches(obj: dict, labels: dict | None = None) -> bool:
            if namespace and obj["metadata"].get("namespace") != namespace:
                return False
            if labels_m is not None and not labels_m(labels if labels is not None else obj["metadata"].get("labels") or {}):
                return False
            return fields_m is None or fields_m(obj)

        watcher = _Watcher()
        backlog: list[tuple[str, bytes | None, dict | None]] = []
        expired: ApiError | None = None
        end_rv = None
        if initial_events or rv_param in ("", "0"):
            entries, end_rv = self.store.list_entries(plural, namespace, q.get("labelSelector"), field_sel)
            backlog = [("ADDED", d, o) for o, d in entries]
        else:
            try:
                history = self.store.history_since(int(rv_param), plural)
            except ApiError as err:
                expired = err
                history = []
            backlog = [e for ev in history for e in self._replay(ev, namespace, matches)]

        def listener(ev: HistoryEvent, obj: dict) -> None:
            if ev.resource != plural:
                return
            etype = self._transition(ev, obj, namespace, matches)
            if etype is not None:
                watcher.put((etype, ev.data, obj))

        unlisten = None
        if expired is None:
            unlisten = self.store.add_listener(listener)
            self._watchers.add(watcher)
        resp = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                       "Cache-Control": "no-cache, private"})
        resp.enable_chunked_encoding()
        try:
            await resp.prepare(request)
            if expired is not None:
                await resp.write(_event_line("ERROR", dumps(expired.to_status())))
                return resp
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout_s
            if backlog:
                await self._send(resp, plural, backlog, table, include)
            if initial_events:
                await resp.write(self._bookmark(t.info, end_rv or self.store.resource_version, initial_end=True))
            last_bookmark = loop.time()
            while not self._closing:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                if not watcher.items:
                    watcher.wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(watcher.wake.wait(), min(remaining, 1.0))
                if not watcher.items:
                    transport = request.transport
                    if transport is None or transport.is_closing():
                        break
                    if bookmarks and loop.time() - last_bookmark >= self.bookmark_interval:
                        await resp.write(self._bookmark(t.info, self.store.resource_version))
                        last_bookmark = loop.time()
                    continue
                batch = list(watcher.items)
                watcher.items.clear()
                stop = _SENTINEL in batch
                batch = [b for b in batch if b is not _SENTINEL]
                if batch:
                    await self._send(resp, plural, batch, table, include)
                if stop:
                    break
        except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if unlisten is not None:
                unlisten()
            self._watchers.discard(watcher)
        with contextlib.suppress(Exception):
            await resp.write_eof()
        return resp

    @staticmethod
    def _transition(ev: HistoryEvent, obj: dict, namespace: str | None, matches) -> str | None:
        """The event type a watcher with these selectors should see for one write (or None)."""
        now = matches(obj)
        if ev.type != "MODIFIED":
            return ev.type if now else None
        before = matches(obj, ev.old_labels) if ev.old_labels is not None else now
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        if before:
            return "DELETED"
        return None

    def _replay(self, ev: HistoryEvent, namespace: str | None, matches) -> list[tuple[str, bytes, dict | None]]:
        if namespace and ev.namespace != namespace:
            return []
        obj = json.loads(ev.data)
        etype = self._transition(ev, obj, namespace, matches)
        return [(etype, ev.data, obj)] if etype else []

    async def _send(self, resp: web.StreamResponse, plural: str, items: list, table: bool, include: str) -> None:
        if table:
            lines = []
            for etype, data, obj in items:
                if obj is None:
                    obj = json.loads(data)
                tbl = build_table(plural, [obj], obj["metadata"].get("resourceVersion", ""), include)
                lines.append(_event_line(etype, dumps(tbl)))
            await resp.write(b"".join(lines))
        else:
            await resp.write(b"".join(_event_line(etype, data) for etype, data, _ in items))

    @staticmethod
    def _bookmark(info: ResourceInfo, rv: str, *, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": rv}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return _event_line("BOOKMARK", dumps({"kind": info.kind, "apiVersion": info.api_version, "metadata": meta}))

    # --- logs ------------------------------------------------------------------------------------

    async def _log(self, request: web.Request, t: _Target) -> web.StreamResponse:
        pod = self._current(t)
        q = request.query
        source = getattr(self.controllers, "log_source", None)
        if source is None:
            raise ApiError(503, "ServiceUnavailable", "the sandbox has no log source (controllers are not running)")
        since_seconds = _int(q, "sinceSeconds")
        since_time = q.get("sinceTime")
        if since_seconds is not None and since_time:
            raise errors.invalid("pods", "PodLogOptions", pod["metadata"]["name"], [(
                "FieldValueForbidden", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
                "sinceSeconds")])
        if since_seconds is not None and since_seconds < 1:
            raise errors.invalid("pods", "PodLogOptions", pod["metadata"]["name"], [(
                "FieldValueInvalid", f"Invalid value: {since_seconds}: must be greater than 0", "sinceSeconds")])
        if since_time:
            ts = parse_time(since_time)
            if ts is None:
                raise errors.bad_request(f'invalid value for sinceTime: "{since_time}"')
            since_seconds = max(1, int(time.time() - ts))
        tail = _int(q, "tailLines")
        limit = _int(q, "limitBytes")
        if tail is not None and tail < 0:
            raise errors.invalid("pods", "PodLogOptions", pod["metadata"]["name"], [(
                "FieldValueInvalid", f"Invalid value: {tail}: must be greater than or equal to 0", "tailLines")])
        if limit is not None and limit < 1:
            raise errors.invalid("pods", "PodLogOptions", pod["metadata"]["name"], [(
                "FieldValueInvalid", f"Invalid value: {limit}: must be greater than 0", "limitBytes")])
        follow = _bool(q.get("follow"))
        result = source.read_log(t.namespace, t.name, q.get("container") or None, follow=follow, tail_lines=tail,
                                 since_seconds=since_seconds, timestamps=_bool(q.get("timestamps")),
                                 previous=_bool(q.get("previous")), limit_bytes=limit)
        if inspect.isawaitable(result):
            result = await result
        it = result.__aiter__()
        first = asyncio.ensure_future(it.__anext__())
        done, _ = await asyncio.wait({first}, timeout=0.5)
        pending_first = first
        if done:
            pending_first = None
            try:
                line = first.result()
            except StopAsyncIteration:
                return web.Response(body=b"", content_type="text/plain")
            # errors (ApiError) propagate from here as a Status
        resp = web.StreamResponse(status=200, headers={"Content-Type": "text/plain"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            if pending_first is not None:
                try:
                    line = await pending_first
                except StopAsyncIteration:
                    await resp.write_eof()
                    return resp
            await resp.write(_log_bytes(line))
            while not self._closing:
                try:
                    line = await it.__anext__()
                except StopAsyncIteration:
                    break
                await resp.write(_log_bytes(line))
        except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
            pass
        except ApiError as err:
            with contextlib.suppress(Exception):
                await resp.write(f"\nerror: {err.message}\n".encode())
        finally:
            aclose = getattr(it, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        with contextlib.suppress(Exception):
            await resp.write_eof()
        return resp

    # --- sandbox-only endpoints ------------------------------------------------------------------

    async def _sandbox_endpoint(self, request: web.Request, parts: list[str]) -> web.Response:
        if len(parts) != 2 or parts[0] != "v1":
            raise _not_found_path()
        what, method = parts[1], request.method
        if what == "policy":
            if method == "GET":
                return _json(self.policy.to_dict())
            if method in ("POST", "PUT"):
                try:
                    self.policy.set_rules(await self._body(request))
                except ValueError as exc:
                    raise errors.bad_request(str(exc)) from None
                return _json(self.policy.to_dict())
            raise errors.method_not_allowed()
        if what == "cpu":
            if method != "POST":
                raise errors.method_not_allowed()
            body = await self._body(request)
            if not isinstance(body, dict) or not isinstance(body.get("percent"), (int, float)) \
                    or not body.get("deployment") or isinstance(body.get("percent"), bool):
                raise errors.bad_request('expected {"namespace": .., "deployment": .., "percent": <number>}')
            set_cpu = getattr(self.controllers, "set_cpu", None)
            if set_cpu is None:
                raise ApiError(503, "ServiceUnavailable", "the sandbox controllers are not running")
            ns = body.get("namespace") or "shop"
            if self.store.get("deployments", ns, body["deployment"]) is None:
                raise errors.not_found("deployments", body["deployment"])
            result = set_cpu(ns, body["deployment"], body["percent"])
            if inspect.isawaitable(result):
                await result
            return _json({"namespace": ns, "deployment": body["deployment"], "percent": body["percent"]})
        if what == "compact":
            if method != "POST":
                raise errors.method_not_allowed()
            return _json({"oldestResourceVersion": str(self.store.compact())})
        if what == "churn":
            if method == "GET":
                return _json(self.churn.status())
            if method != "POST":
                raise errors.method_not_allowed()
            body = await self._body(request)
            rate, seconds = (body.get("rate"), body.get("seconds")) if isinstance(body, dict) else (None, None)
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in (rate, seconds)):
                raise errors.bad_request('expected {"rate": <pods a second>, "seconds": <how long>}')
            return _json(self.churn.start(float(rate), float(seconds)))  # type: ignore[arg-type]
        if what == "info":
            if method != "GET":
                raise errors.method_not_allowed()
            counts = {r: self.store.count(r) for r in RESOURCES if r not in REVIEWS}
            return _json({**self.info, "resourceVersion": self.store.resource_version,
                          "oldestResourceVersion": str(self.store.oldest_resource_version("pods")),
                          "oldestResourceVersions": {r: str(self.store.oldest_resource_version(r)) for r in counts},
                          "counts": counts,
                          "controllers": self.controllers is not None,
                          "loopLagMs": self.loop_lag.status()})
        raise _not_found_path()


FIELD_VALIDATION = ("Ignore", "Strict", "Warn")


def _check_fields(request: web.Request, group: str, version: str, kind: str, body: Any, verb: str,
                  crd_schema: Any = None) -> None:
    """The `fieldValidation` directive (Strict, Warn, Ignore; Warn when not given, as in the API
    server) applied to the fields of a written object: unknown fields are refused with 400 (Strict),
    or dropped, as decoding into the typed object (or a CRD's structural schema) drops them, with one
    `Warning` header each (Warn). `crd_schema`: a custom kind's openAPIV3Schema."""
    directive = request.query.get("fieldValidation") or "Warn"
    if directive not in FIELD_VALIDATION:
        raise errors.bad_request(f'fieldValidation: Unsupported value: "{directive}": supported values: '
                                 + ", ".join(f'"{v}"' for v in FIELD_VALIDATION))
    if not isinstance(body, dict):
        return
    model = field_schema.model_of(group, version, kind)
    if model is not None:
        unknown = field_schema.unknown_fields(model, body, prune=directive != "Strict")
    elif isinstance(crd_schema, dict):
        unknown = field_schema.unknown_by_schema(crd_schema, body, prune=directive != "Strict")
    else:
        return
    if not unknown:
        return
    found = [f'unknown field "{path}"' for path in unknown]
    if directive == "Strict":
        detail = "strict decoding error: " + ", ".join(found)
        if verb == "patch":
            raise errors.bad_request(detail)
        raise errors.bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: {detail}')
    if directive == "Warn":
        request.setdefault("warnings", []).extend(found)


def _warning_header(text: str) -> str:
    """RFC 7234 warn-text, as the API server sends it: `299 - "unknown field \\"spec.x\\""`."""
    return '299 - "' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dry_run(request: web.Request) -> bool:
    return "All" in request.query.getall("dryRun", [])


def _event_line(etype: str, data: bytes) -> bytes:
    return b'{"type":"' + etype.encode() + b'","object":' + data + b"}\n"


def _log_bytes(line: Any) -> bytes:
    """The log source yields whole lines with their newline, or a cut last chunk (limitBytes): as is."""
    return line if isinstance(line, bytes) else str(line).encode("utf-8", "replace")


# --- process lifecycle ---------------------------------------------------------------------------


def _load_controller_manager() -> Any:
    """The ControllerManager class, or None while the controllers package does not provide one."""
    try:
        from gotui.sandbox.controllers import ControllerManager
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("gotui.sandbox.controllers"):
            return None
        raise
    except ImportError as exc:
        if "ControllerManager" in str(exc):
            return None
        raise
    return ControllerManager


def is_loopback(host: str) -> bool:
    """True for localhost / 127.0.0.0/8 / ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Sandbox:
    """A running sandbox: its store, server, controllers and address."""

    store: ObjectStore
    api: ApiServer
    controllers: Any
    runner: web.AppRunner
    host: str
    port: int
    kubeconfig_path: str | None
    tls: bool = False
    workdir: str | None = None  # private temp dir holding key material (removed by stop())
    kubeconfig_paths: dict[str, str] | None = None  # per-method kubeconfigs (see kubeconfig.write_all)

    @property
    def url(self) -> str:
        """http[s]://HOST:PORT"""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    async def stop(self) -> None:
        """Stop controllers and the HTTP server; remove the key material."""
        try:
            if self.controllers is not None:
                with contextlib.suppress(Exception):
                    await self.controllers.stop()
            await self.runner.cleanup()
            self.store.close()
        finally:
            if self.workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)


def _ensure_namespaces(store: ObjectStore, names: tuple[str, ...]) -> None:
    for ns in names:
        if store.get("namespaces", "", ns) is None:
            store.create("namespaces", {"metadata": {"name": ns}})
    from gotui.sandbox.nodes import ensure_nodes

    ensure_nodes(store)


async def start(host: str = "127.0.0.1", port: int = 0, scenario: str = "default", seed: int = 1,
                pods: int | None = None, kubeconfig_out: str | None = None, *, allow_remote: bool = False,
                store: ObjectStore | None = None, tls: bool = False, auth: str | tuple[str, ...] = (),
                pki_dir: str | None = None) -> Sandbox:
    """Start a sandbox on the running loop: store, controllers (when available), HTTP(S) server, kubeconfig(s).
    `auth`: methods from auth.METHODS (or their --auth spelling); they need `tls`. Key material goes to a
    private temp dir removed by stop(), or to `pki_dir` (kept, and its CA and tokens reused)."""
    methods = parse_methods(auth) if isinstance(auth, str) else tuple(auth)
    if methods and not tls:
        raise ValueError(AUTH_NEEDS_TLS)
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to serve the sandbox on non-loopback host {host!r} without allow_remote "
                         "(it has no authentication)")
    # GOTUI_FROZEN_TIME freezes the sandbox's wall clock (timestamps) for screenshots and snapshots;
    # controllers still advance on the monotonic clock.
    clock = gotui_clock.timestamp if os.environ.get("GOTUI_FROZEN_TIME") else time.time
    store = store or ObjectStore(seed=seed, pod_termination_seconds=2.0, clock=clock)
    manager_cls = _load_controller_manager()
    controllers = None
    if manager_cls is not None:
        controllers = manager_cls(store, seed=seed, scenario=scenario, clock=clock)
        loaded = controllers.load_scenario(scenario, pods=pods) if pods is not None else controllers.load_scenario(scenario)
        if inspect.isawaitable(loaded):
            await loaded
        _ensure_namespaces(store, BASE_NAMESPACES)
        # the modules and the scenario's seed live as long as the sandbox: out of the cyclic collector's
        # sight before the first pods come (a full pass over them stalled the API 106 ms at 150,000 pods)
        gc.freeze()
        await controllers.start()
    else:
        _ensure_namespaces(store, BASE_NAMESPACES + ("shop",))
    workdir = tempfile.mkdtemp(prefix="gotui-sandbox-") if (tls or methods) and not pki_dir else None
    try:
        if pki_dir:
            os.makedirs(pki_dir, mode=0o700, exist_ok=True)
        pki, authenticator, credentials = security.build(pki_dir or workdir, tls, methods, keep=bool(pki_dir))
    except BaseException:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    api = ApiServer(store, controllers=controllers, info={"scenario": scenario, "seed": seed, "tls": tls,
                                                          "auth": list(methods)}, authenticator=authenticator)
    # pods/exec runs real processes here: never for anyone who can reach a remote address without credentials
    api.exec_allowed = is_loopback(host) or bool(methods)
    runner = web.AppRunner(api.make_app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    site = web.SockSite(runner, sock, ssl_context=pki.server_context() if pki is not None else None)
    await site.start()
    real_port = sock.getsockname()[1]
    sandbox = Sandbox(store, api, controllers, runner, host, real_port, None, tls, workdir)
    path = kubeconfig_out or str(kubeconfig.default_path(real_port))
    written = kubeconfig.write_all(path, sandbox.url, ca_pem=pki.ca_pem if pki is not None else None,
                                   credentials=tuple(credentials))
    sandbox.kubeconfig_path = str(written.pop(""))
    sandbox.kubeconfig_paths = {method: str(p) for method, p in written.items()}
    return sandbox


async def _serve(args: argparse.Namespace) -> int:
    sandbox = await start(args.host, args.port, args.scenario, args.seed, getattr(args, "pods", None),
                          args.kubeconfig_out, allow_remote=args.allow_remote, tls=getattr(args, "tls", False),
                          auth=getattr(args, "auth", None) or "none", pki_dir=getattr(args, "pki_dir", None))
    try:
        print(f"gotui sandbox: serving at {sandbox.url}", flush=True)
        for method, path in (sandbox.kubeconfig_paths or {}).items():
            print(f"gotui sandbox: kubeconfig ({method}) at {path}", flush=True)
        print(f"gotui sandbox: kubeconfig at {sandbox.kubeconfig_path}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0


def main(args: argparse.Namespace) -> int:
    """`gotui sandbox`: serve until SIGINT/SIGTERM (args: host, port, kubeconfig_out, scenario, pods, seed,
    allow_remote, tls, auth)."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        methods = parse_methods(getattr(args, "auth", None) or "none")
    except ValueError as exc:
        print(f"gotui sandbox: {exc}", file=sys.stderr, flush=True)
        return 2
    if methods and not getattr(args, "tls", False):
        print(f"gotui sandbox: {AUTH_NEEDS_TLS}", file=sys.stderr, flush=True)
        return 2
    if not getattr(args, "allow_remote", False) and not is_loopback(args.host):
        print(f"gotui sandbox: refusing non-loopback host {args.host} (no authentication); "
              "pass --allow-remote to override", file=sys.stderr, flush=True)
        return 2
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"gotui sandbox: {exc}", file=sys.stderr, flush=True)
        return 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The same options as `gotui sandbox` (for `python -m gotui.sandbox.server`)."""
    p = argparse.ArgumentParser(prog="python -m gotui.sandbox.server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--kubeconfig-out")
    p.add_argument("--scenario", choices=["default", "quiet", "big"], default="default")
    p.add_argument("--pods", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--allow-remote", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--auth", default="none")
    p.add_argument("--pki-dir")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main(parse_args()))
