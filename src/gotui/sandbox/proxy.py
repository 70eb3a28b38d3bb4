"""The API server's proxy subresources for pods and Services (`GET` only), as a real apiserver serves them:

    /api/v1/namespaces/NS/pods/NAME[:PORT]/proxy[/PATH]
    /api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy[/PATH]

A client that can reach the API server reaches a pod's or Service's port through it, with its own RBAC
(`get pods/proxy`, `get services/proxy`), without knowing or trusting any URL. Here the request is
forwarded to the sandbox traffic manager's loopback site of that pod or Service. PORT (a number or a port
name) must be one the pod's containers (or the Service) declare, else 503 as a refused dial would give;
without PORT the first declared port is used.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

from gotui.sandbox import errors
from gotui.sandbox.errors import ApiError

POD_ROUTE = "/api/v1/namespaces/{namespace}/pods/{target}/proxy{tail:.*}"
SERVICE_ROUTE = "/api/v1/namespaces/{namespace}/services/{target}/proxy{tail:.*}"


def _split(target: str, *, service: bool) -> tuple[str, str]:
    """(name, port) from `NAME[:PORT]` (Services also `SCHEME:NAME[:PORT]`); port '' when absent."""
    parts = target.split(":")
    if service and len(parts) == 3:
        parts = parts[1:]
    if len(parts) > 2:
        raise ApiError(400, "BadRequest", f"invalid proxy target {target!r}")
    return parts[0], (parts[1] if len(parts) == 2 else "")


def pod_ports(pod: dict[str, Any]) -> list[tuple[str, int]]:
    """(name, containerPort) of every container port a pod declares."""
    return [(str(p.get("name") or ""), int(p.get("containerPort") or 0))
            for c in (pod.get("spec") or {}).get("containers") or [] for p in c.get("ports") or []]


def service_ports(svc: dict[str, Any]) -> list[tuple[str, int]]:
    """(name, port) of every port a Service declares."""
    return [(str(p.get("name") or ""), int(p.get("port") or 0)) for p in (svc.get("spec") or {}).get("ports") or []]


def _declared(port: str, declared: list[tuple[str, int]]) -> bool:
    if not port:
        return bool(declared)
    return any(port == name or port == str(number) for name, number in declared)


class Proxy:
    """The two proxy handlers of one ApiServer (its store, policy and controllers)."""

    def __init__(self, server: Any) -> None:
        self.server = server

    async def pod(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "pods")

    async def service(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "services")

    async def _handle(self, request: web.Request, resource: str) -> web.StreamResponse:
        try:
            return await self._forward(request, resource)
        except ApiError as err:
            return web.json_response(err.to_status(), status=err.code)

    async def _forward(self, request: web.Request, resource: str) -> web.StreamResponse:
        tail = request.match_info.get("tail") or ""
        if tail and not tail.startswith("/"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if request.method not in ("GET", "HEAD"):
            raise errors.method_not_allowed()
        ns = request.match_info["namespace"]
        name, port = _split(request.match_info["target"], service=resource == "services")
        allowed, _ = self.server.policy.check("get", resource, ns, name, "", "proxy")
        if not allowed:
            raise errors.forbidden(f"{resource}/proxy", name, "get", ns)
        obj = self.server.store.get(resource, ns, name)
        if obj is None:
            raise errors.not_found(resource, name)
        declared = pod_ports(obj) if resource == "pods" else service_ports(obj)
        traffic = getattr(self.server.controllers, "traffic", None)
        base = None
        if traffic is not None:
            base = traffic.pod_url(ns, name) if resource == "pods" else traffic.service_url(ns, name)
        if not _declared(port, declared) or base is None:
            raise ApiError(503, "ServiceUnavailable",
                           f"error trying to reach {resource[:-1]}: dial tcp {name}:{port or '?'}: connect: "
                           "connection refused")
        url = base + (tail or "/")
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, \
                    session.get(url, params=request.query) as resp:
                body = await resp.read()
                ctype = resp.headers.get("Content-Type", "text/plain")
                return web.Response(status=resp.status, body=body, headers={"Content-Type": ctype})
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ApiError(503, "ServiceUnavailable", f"error trying to reach {resource[:-1]}: {exc}") from None
