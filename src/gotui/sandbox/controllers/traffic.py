"""Real loopback HTTP for HTTP apps: one port per Ready pod, one port per Service.

A pod is an HTTP app when a container has a port named `http` or the pod has label `app=go-api`.
Pod ports answer `GET /healthz` -> 200 `ok` and `GET /version` -> `{"version": <image tag>, "pod": ..}`.
A Service port forwards each request to one of the Service's CURRENT ready pods (read from the store at
request time, round robin), so a selector patch takes effect on the next request; a failed forward is
retried on the next ready pod. URLs are published as the annotation `sandbox.gotui.dev/url` on pods and
Services. All sites share one aiohttp runner; each listens on 127.0.0.1 port 0 (a free port).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from .util import fast_copy, pod_is_ready, selector_matches

if TYPE_CHECKING:
    from .manager import ControllerManager

URL_ANNOTATION = "sandbox.gotui.dev/url"
log = logging.getLogger(__name__)


def is_http_app(pod: dict) -> bool:
    """Pods with a container port named `http`, or labelled app=go-api."""
    if ((pod.get("metadata") or {}).get("labels") or {}).get("app") == "go-api":
        return True
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == "http":
                return True
    return False


def image_tag(pod: dict) -> str:
    """The tag of the pod's first container image (`1.4.2`)."""
    containers = (pod.get("spec") or {}).get("containers") or []
    image = str(containers[0].get("image") or "") if containers else ""
    last = image.rsplit("/", 1)[-1]
    return last.rsplit(":", 1)[1] if ":" in last else "latest"


class TrafficManager:
    """Opens and closes loopback sites as pods become ready/go away and Services come and go."""

    def __init__(self, mgr: ControllerManager, *, host: str = "127.0.0.1") -> None:
        self.mgr = mgr
        self.host = host
        self.enabled = True
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._pod_sites: dict[tuple[str, str], tuple[web.TCPSite, int, str]] = {}  # (ns, pod) -> site, port, uid
        self._svc_sites: dict[tuple[str, str], tuple[web.TCPSite, int]] = {}
        self._by_port: dict[int, tuple[str, str, str]] = {}  # port -> ("pod"|"svc", ns, name)
        self._rr: dict[tuple[str, str], itertools.count] = {}
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._pending: set[tuple[str, str, str]] = set()
        self.requests_served = 0

    # ---- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        if not self.enabled or self._runner is not None:
            return
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5),
                                              connector=aiohttp.TCPConnector(limit=64, force_close=True))
        self._queue = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._worker(), name="sandbox-traffic")
        # catch up with objects that exist already
        services, _ = self.mgr.store.list("services")
        for svc in services:
            self.service_changed("ADDED", svc)
        pods, _ = self.mgr.store.list("pods")
        for pod in pods:
            self.pod_changed("MODIFIED", pod)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._pod_sites.clear()
        self._svc_sites.clear()
        self._by_port.clear()

    # ---- reactions (synchronous; the work happens in the worker task) --------------------------
    def pod_changed(self, event: str, pod: dict) -> None:
        if self._queue is None:
            return
        meta = pod["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        want = event != "DELETED" and pod_is_ready(pod) and is_http_app(pod)
        have = key in self._pod_sites
        if event == "DELETED" or meta.get("deletionTimestamp"):
            want = have and event != "DELETED"  # a terminating pod keeps serving until it is removed
        if want and not have:
            self._enqueue("open-pod", *key)
        elif have and not want:
            self._enqueue("close-pod", *key)

    def pod_gone(self, namespace: str, name: str) -> None:
        if self._queue is not None and (namespace, name) in self._pod_sites:
            self._enqueue("close-pod", namespace, name)

    def service_changed(self, event: str, svc: dict) -> None:
        if self._queue is None:
            return
        meta = svc["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if event == "DELETED":
            if key in self._svc_sites:
                self._enqueue("close-svc", *key)
        elif key not in self._svc_sites and (svc.get("spec") or {}).get("selector"):
            self._enqueue("open-svc", *key)

    def _enqueue(self, op: str, ns: str, name: str) -> None:
        assert self._queue is not None
        item = (op, ns, name)
        if item in self._pending:
            return
        self._pending.add(item)
        self._queue.put_nowait(item)

    async def _worker(self) -> None:
        assert self._queue is not None
        while True:
            op, ns, name = await self._queue.get()
            self._pending.discard((op, ns, name))
            try:
                await getattr(self, "_" + op.replace("-", "_"))(ns, name)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                self.mgr.log_exception(f"traffic {op} {ns}/{name}")

    async def _open_site(self) -> tuple[web.TCPSite, int]:
        assert self._runner is not None
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return site, port

    async def _open_pod(self, ns: str, name: str) -> None:
        pod = self.mgr.store.get("pods", ns, name)
        if pod is None or (ns, name) in self._pod_sites or not pod_is_ready(pod):
            return
        site, port = await self._open_site()
        self._pod_sites[(ns, name)] = (site, port, pod["metadata"].get("uid", ""))
        self._by_port[port] = ("pod", ns, name)
        self._annotate("pods", ns, name, f"http://{self.host}:{port}")

    async def _close_pod(self, ns: str, name: str) -> None:
        entry = self._pod_sites.pop((ns, name), None)
        if entry is None:
            return
        site, port, _ = entry
        self._by_port.pop(port, None)
        await site.stop()
        pod = self.mgr.store.get("pods", ns, name)
        if pod is not None and not pod["metadata"].get("deletionTimestamp"):
            self._annotate("pods", ns, name, None)

    async def _open_svc(self, ns: str, name: str) -> None:
        if (ns, name) in self._svc_sites or self.mgr.store.get("services", ns, name) is None:
            return
        site, port = await self._open_site()
        self._svc_sites[(ns, name)] = (site, port)
        self._by_port[port] = ("svc", ns, name)
        self._annotate("services", ns, name, f"http://{self.host}:{port}")

    async def _close_svc(self, ns: str, name: str) -> None:
        entry = self._svc_sites.pop((ns, name), None)
        if entry is None:
            return
        site, port = entry
        self._by_port.pop(port, None)
        await site.stop()

    def _annotate(self, resource: str, ns: str, name: str, url: str | None) -> None:
        obj = self.mgr.store.get(resource, ns, name)
        if obj is None:
            return
        ann = (obj["metadata"].get("annotations")) or {}
        if ann.get(URL_ANNOTATION) == url or (url is None and URL_ANNOTATION not in ann):
            return
        new = fast_copy(obj)
        ann = new["metadata"].setdefault("annotations", {})
        if url is None:
            ann.pop(URL_ANNOTATION, None)
        else:
            ann[URL_ANNOTATION] = url
        self.mgr.store.update(resource, new, check_rv=False)

    # ---- lookups ------------------------------------------------------------------------------
    def pod_url(self, ns: str, name: str) -> str | None:
        """The loopback URL of a pod's server, if open."""
        entry = self._pod_sites.get((ns, name))
        return f"http://{self.host}:{entry[1]}" if entry else None

    def service_url(self, ns: str, name: str) -> str | None:
        """The loopback URL of a Service's port, if open."""
        entry = self._svc_sites.get((ns, name))
        return f"http://{self.host}:{entry[1]}" if entry else None

    def open_pod_count(self) -> int:
        return len(self._pod_sites)

    # ---- HTTP ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        sock = request.transport.get_extra_info("sockname") if request.transport else None
        port = sock[1] if sock else 0
        target = self._by_port.get(port)
        if target is None:
            return web.Response(status=503, text="no backend\n")
        kind, ns, name = target
        if kind == "pod":
            return self._pod_response(request, ns, name)
        return await self._proxy(request, ns, name)

    def _pod_response(self, request: web.Request, ns: str, name: str) -> web.Response:
        pod = self.mgr.store.get("pods", ns, name)
        if pod is None:
            return web.Response(status=503, text="pod is gone\n")
        self.requests_served += 1
        headers = {"X-Pod": name}
        path = request.path
        if path == "/healthz":
            return web.Response(text="ok", headers=headers)
        if path == "/version":
            body = {"version": image_tag(pod), "pod": name, "namespace": ns,
                    "image": ((pod.get("spec") or {}).get("containers") or [{}])[0].get("image")}
            return web.Response(text=json.dumps(body), content_type="application/json", headers=headers)
        if path in ("/", "/api/orders", "/api/products", "/api/cart"):
            body = {"pod": name, "version": image_tag(pod), "path": path, "items": []}
            return web.Response(text=json.dumps(body), content_type="application/json", headers=headers)
        return web.Response(status=404, text="404 page not found\n", headers=headers)

    def _ready_backends(self, ns: str, svc_name: str) -> list[tuple[str, int]]:
        svc = self.mgr.store.get("services", ns, svc_name)
        if svc is None:
            return []
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            return []
        out = []
        pods, _ = self.mgr.store.list("pods", ns)
        for p in pods:
            if not selector_matches(selector, p["metadata"].get("labels")) or not pod_is_ready(p):
                continue
            entry = self._pod_sites.get((ns, p["metadata"]["name"]))
            if entry is not None:
                out.append((p["metadata"]["name"], entry[1]))
        return out

    async def _proxy(self, request: web.Request, ns: str, name: str) -> web.Response:
        backends = self._ready_backends(ns, name)
        if not backends or self._session is None:
            return web.Response(status=503, text=f'no endpoints available for service "{name}"\n')
        counter = self._rr.setdefault((ns, name), itertools.count())
        start = next(counter)
        body = await request.read()
        last_error = ""
        for i in range(len(backends)):
            pod, port = backends[(start + i) % len(backends)]
            url = f"http://{self.host}:{port}{request.path_qs}"
            try:
                async with self._session.request(request.method, url, data=body or None) as resp:
                    data = await resp.read()
                    headers = {"X-Pod": resp.headers.get("X-Pod", pod)}
                    ctype = resp.headers.get("Content-Type", "text/plain")
                    return web.Response(status=resp.status, body=data, headers={**headers, "Content-Type": ctype})
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                last_error = str(exc)
                continue
        return web.Response(status=502, text=f"all endpoints failed: {last_error}\n")
