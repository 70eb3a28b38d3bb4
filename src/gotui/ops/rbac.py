"""RBAC through SelfSubjectAccessReview, cached a minute per (context, namespace, verb, resource, group)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from gotui.ops.actions import Action

TTL = 60.0


class RbacChecker:
    """`checker(action) -> reason | None`: None when allowed (or when the question cannot be asked).

    `ask(verb, resource, group, namespace)` is injectable for tests of the cache; by default it
    POSTs a SelfSubjectAccessReview through `api_client`.
    """

    def __init__(self, api_client: Any, context: str | None, *, ttl: float = TTL,
                 ask: Callable[[str, str, str, str | None], tuple[bool, str]] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.api_client = api_client
        self.context = context
        self.ttl = ttl
        self._ask = ask or self._ssar
        self._clock = clock
        self._cache: dict[tuple, tuple[float, bool, str]] = {}
        self._lock = threading.Lock()
        self.requests = 0

    def _ssar(self, verb: str, resource: str, group: str, namespace: str | None) -> tuple[bool, str]:
        from gotui.ops.kube_io import KubeIO

        resource, _, sub = resource.partition("/")  # "pods/exec": resource pods, subresource exec
        return KubeIO(self.api_client).access_review(verb, resource, group, namespace, sub)

    def allowed(self, verb: str, resource: str, group: str, namespace: str | None) -> tuple[bool, str]:
        """(allowed, reason), from the cache when fresh."""
        key = (self.context, namespace or None, verb, resource, group)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit and now - hit[0] < self.ttl:
                return hit[1], hit[2]
        try:
            ok, reason = self._ask(verb, resource, group, namespace)
        except Exception:  # noqa: BLE001 - cannot ask: let the API answer the real request
            return True, ""
        with self._lock:
            self.requests += 1
            self._cache[key] = (now, ok, reason)
        return ok, reason

    def cached(self, action: Action) -> tuple[bool, str] | None:
        """The cached answer for `action`, or None when not known (no request is made)."""
        if not action.rbac:
            return True, ""
        verb, resource, group = action.rbac
        with self._lock:
            hit = self._cache.get((self.context, action.namespace or None, verb, resource, group))
        if hit and self._clock() - hit[0] < self.ttl:
            return hit[1], hit[2]
        return None

    def __call__(self, action: Action) -> str | None:
        if not action.rbac:
            return None
        verb, resource, group = action.rbac
        ok, reason = self.allowed(verb, resource, group, action.namespace)
        if ok:
            return None
        who = f"{group}/{resource}" if group else resource
        return f"RBAC: you may not {verb} {who} in {action.namespace or 'any namespace'}" + (f" ({reason})" if reason else "")

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
