"""The few Kubernetes calls the release operations make, in wire form (raw JSON dicts).

A thin layer over `gotui.kube.client` (sync; run it in a worker thread from the UI). Every
call returns or takes plain dicts so the domain code (bluegreen, cutover, rollout) stays pure and the
same objects come from here or from the ClusterStore. Errors become `KubeError(status, reason, message)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gotui.kube.client import send
from gotui.sources.kube_wire import object_path

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


class KubeError(Exception):
    """An API error: HTTP status, the Status reason (`Conflict`, `NotFound`, ...) and its message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message or reason or f"HTTP {status}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def conflict(self) -> bool:
        """True for a failed precondition: 409 Conflict, or a JSON-patch `test` op that failed."""
        text = (self.message or "").lower()
        return self.status == 409 or (self.status == 422 and "test" in text)


def answer_lost(exc: BaseException) -> bool:
    """True when a request got no usable answer, so whether a write applied is unknown and a read may be
    retried: the connection dropped, was reset or refused, the read timed out (urllib3 errors, OSError),
    or the server answered 5xx / 429."""
    if isinstance(exc, KubeError):
        return exc.status >= 500 or exc.status == 429
    if isinstance(exc, (OSError, TimeoutError)):
        return True
    return any(cls.__module__.startswith("urllib3") for cls in type(exc).__mro__)


def describe_lost(exc: BaseException) -> str:
    """A short description of a lost answer (`HTTP 503: …`, `ProtocolError: Connection aborted`)."""
    if isinstance(exc, KubeError):
        return f"HTTP {exc.status}: {exc}"[:200]
    text = str(exc).split(": ", 1)[0] if "Max retries" not in str(exc) else "no answer after retries"
    return f"{type(exc).__name__}: {text}"[:200]


def escape_pointer(key: str) -> str:
    """Escape a map key for a JSON pointer (RFC 6901): `~` -> `~0`, `/` -> `~1`."""
    return key.replace("~", "~0").replace("/", "~1")


@dataclass
class KubeIO:
    """Raw-dict access to one cluster through a `kubernetes.client.ApiClient`."""

    api_client: Any
    timeout: float = 10.0

    def _path(self, kind: str, namespace: str | None, name: str | None = None, sub: str | None = None) -> str:
        path = object_path(kind, namespace, name)
        return f"{path}/{sub}" if sub else path

    def _send(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
              body: Any = None, content_type: str | None = None, accept: str = "application/json",
              timeout: float | None = None) -> tuple[int, bytes]:
        """One request: (HTTP status, body). Transport errors (urllib3, OSError) are raised as they come."""
        resp = send(self.api_client, method, path, query, accept=accept, body=body, content_type=content_type,
                    timeout=timeout or self.timeout)
        try:
            raw = resp.data
        finally:
            resp.release_conn()
        return int(resp.status), raw or b""

    def _call(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
              body: Any = None, content_type: str | None = None) -> Any:
        status, raw = self._send(method, path, query=query, body=body, content_type=content_type)
        if not 200 <= status <= 299:
            reason, message = "", ""
            try:
                data = json.loads(raw)
                if isinstance(data, dict):
                    message, reason = str(data.get("message") or ""), str(data.get("reason") or "")
            except ValueError:
                message = raw[:300].decode("utf-8", "replace")
            raise KubeError(status, reason, message or f"HTTP {status}")
        return json.loads(raw) if raw else None

    def access_review(self, verb: str, resource: str, group: str, namespace: str | None,
                      subresource: str = "") -> tuple[bool, str]:
        """Ask a SelfSubjectAccessReview: (allowed, the authorizer's reason)."""
        attrs = {"namespace": namespace or "", "verb": verb, "group": group, "resource": resource}
        if subresource:
            attrs["subresource"] = subresource
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attrs}}
        reply = self._call("POST", SSAR_PATH, body=body, content_type="application/json")
        status = (reply or {}).get("status") or {}
        return bool(status.get("allowed")), str(status.get("reason") or "")

    # -- reads ----------------------------------------------------------------------------------
    def list(self, kind: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict[str, Any]]:
        """Every object of `kind` (in `namespace`, matching `label_selector`)."""
        query = [("labelSelector", label_selector)] if label_selector else []
        data = self._call("GET", self._path(kind, namespace), query=query)
        return list((data or {}).get("items") or [])

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """One object, or None when it does not exist."""
        try:
            return self._call("GET", self._path(kind, namespace, name))
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    def proxy_get(self, kind: str, namespace: str, name: str, port: str | int | None, path: str,
                  timeout: float | None = None) -> tuple[int, bytes]:
        """GET `path` on a pod's or Service's port through the API server's proxy subresource
        (`pods/NAME:PORT/proxy/PATH`): the API server connects, with the caller's RBAC, so no URL from the
        cluster's objects is ever fetched directly. Returns (status, body); transport errors raise."""
        target = f"{name}:{port}" if port not in (None, "") else name
        full = self._path(kind, namespace, target, "proxy") + "/" + path.lstrip("/")
        return self._send("GET", full, accept="*/*", timeout=timeout)

    # -- writes ---------------------------------------------------------------------------------
    def patch(self, kind: str, namespace: str, name: str, body: Any, content_type: str = JSON_PATCH,
              sub: str | None = None) -> dict[str, Any]:
        """PATCH with the given patch type; returns the object as the server answered it."""
        return self._call("PATCH", self._path(kind, namespace, name, sub), body=body, content_type=content_type)


def api_client_from_settings(settings: Any) -> tuple[Any, str, str]:
    """(ApiClient, context name, namespace) from the kubeconfig named in `settings` (or the default),
    loaded as the TUI loads it (`gotui.sources.kube_auth`: exec plugins off the terminal, no key files).

    Raises `ValueError` with a readable message when the kubeconfig cannot be used.
    """
    from gotui.kube.client import KubeConfigProblem, make_api_client

    try:
        client, ctx_name, ctx_ns = make_api_client(settings.kubeconfig or None, settings.context or None)
    except KubeConfigProblem as exc:
        raise ValueError(str(exc)) from None
    return client, ctx_name, settings.namespace or ctx_ns or "default"
