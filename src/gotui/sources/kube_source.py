"""Kubernetes I/O: kubeconfig loading with clear errors, API clients, and one Watcher thread per kind.

A `Watcher` lists a kind (raw JSON, no typed models), hands the items to a sink (the ClusterStore),
then watches from the list's resourceVersion with bookmarks. A 410 Gone relists; a dropped
connection reconnects with capped, jittered backoff (and relists, so a restarted API server is
picked up correctly). In steady state the only requests are watch renewals every few minutes.
No Textual import here.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

# Every kind the cache holds: plural name -> (API class name, namespaced list fn, all-namespaces list fn)
KINDS: dict[str, tuple[str, str, str]] = {
    "pods": ("CoreV1Api", "list_namespaced_pod", "list_pod_for_all_namespaces"),
    "deployments": ("AppsV1Api", "list_namespaced_deployment", "list_deployment_for_all_namespaces"),
    "replicasets": ("AppsV1Api", "list_namespaced_replica_set", "list_replica_set_for_all_namespaces"),
    "services": ("CoreV1Api", "list_namespaced_service", "list_service_for_all_namespaces"),
    "endpoints": ("CoreV1Api", "list_namespaced_endpoints", "list_endpoints_for_all_namespaces"),
    "horizontalpodautoscalers": (
        "AutoscalingV2Api",
        "list_namespaced_horizontal_pod_autoscaler",
        "list_horizontal_pod_autoscaler_for_all_namespaces",
    ),
    "events": ("CoreV1Api", "list_namespaced_event", "list_event_for_all_namespaces"),
    "secrets": ("CoreV1Api", "list_namespaced_secret", "list_secret_for_all_namespaces"),
}
# Only Helm's release Secrets are cached, never the others.
LABEL_SELECTORS = {"secrets": "owner=helm"}


class KubeConfigProblem(Exception):
    """The kubeconfig cannot be used; the message names the file, the line when known, and the fix."""


def kubeconfig_paths(explicit: str | None = None) -> list[Path]:
    """The kubeconfig file(s) in effect: the explicit value, else $KUBECONFIG, else ~/.kube/config."""
    value = explicit or os.environ.get("KUBECONFIG") or "~/.kube/config"
    return [Path(os.path.expanduser(p)) for p in value.split(os.pathsep) if p]


def _config_arg(explicit: str | None) -> str:
    paths = kubeconfig_paths(explicit)
    return os.pathsep.join(str(p) for p in paths)


def _check_files(explicit: str | None) -> list[Path]:
    paths = kubeconfig_paths(explicit)
    existing = [p for p in paths if p.exists()]
    if not existing:
        names = ", ".join(str(p) for p in paths)
        raise KubeConfigProblem(
            f"kubeconfig {names} does not exist. Point --kubeconfig / KUBECONFIG at a valid file, "
            "or run `gotui --demo` to try the sandbox cluster."
        )
    import yaml

    for path in existing:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KubeConfigProblem(f"kubeconfig {path}: cannot read it ({exc.strerror}). Fix its permissions.") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
            raise KubeConfigProblem(
                f"kubeconfig {where}: {getattr(exc, 'problem', None) or 'not valid YAML'}. Fix the YAML there."
            ) from None
        if data is not None and not isinstance(data, dict):
            raise KubeConfigProblem(f"kubeconfig {path}: the top level must be a mapping (apiVersion, clusters, contexts...).")
    return existing


@dataclass(frozen=True)
class ContextInfo:
    name: str
    cluster: str
    namespace: str | None
    current: bool


def list_contexts(kubeconfig: str | None = None) -> list[ContextInfo]:
    """Every context in the kubeconfig, the current one flagged."""
    from kubernetes import config

    files = _check_files(kubeconfig)
    try:
        contexts, current = config.list_kube_config_contexts(config_file=_config_arg(kubeconfig))
    except config.ConfigException as exc:
        raise KubeConfigProblem(f"kubeconfig {files[0]}: {exc}. Check its `contexts:` section.") from None
    current_name = (current or {}).get("name")
    out = []
    for ctx in contexts or []:
        body = ctx.get("context") or {}
        out.append(ContextInfo(ctx.get("name", "?"), body.get("cluster", "?"), body.get("namespace"), ctx.get("name") == current_name))
    return out


def make_api_client(kubeconfig: str | None = None, context: str | None = None) -> tuple[Any, str, str | None]:
    """Build a `kubernetes.client.ApiClient`; returns (client, context name, the context's namespace)."""
    from kubernetes import config

    files = _check_files(kubeconfig)
    names = [c.name for c in list_contexts(kubeconfig)]
    if not names:
        raise KubeConfigProblem(f"kubeconfig {files[0]} has no contexts. Add one or use another file.")
    if context and context not in names:
        raise KubeConfigProblem(
            f"context {context!r} is not in kubeconfig {files[0]} (it has: {', '.join(names)}). "
            "Pick one with --context or the context picker (c)."
        )
    try:
        client = config.new_client_from_config(config_file=_config_arg(kubeconfig), context=context, persist_config=False)
    except config.ConfigException as exc:
        raise KubeConfigProblem(f"kubeconfig {files[0]}: {exc}. Fix the context/cluster/user entries.") from None
    except Exception as exc:  # noqa: BLE001 - e.g. an exec plugin or a bad certificate file
        raise KubeConfigProblem(f"kubeconfig {files[0]}: {type(exc).__name__}: {exc}") from None
    ctx = next(c for c in list_contexts(kubeconfig) if c.name == (context or next((c.name for c in list_contexts(kubeconfig) if c.current), names[0])))
    return client, ctx.name, ctx.namespace


def list_namespaces(api_client: Any, timeout: float = 10.0) -> list[str]:
    """Namespace names (raw JSON list)."""
    from kubernetes import client

    resp = client.CoreV1Api(api_client).list_namespace(_preload_content=False, _request_timeout=timeout)
    data = json.loads(resp.data)
    return sorted(item["metadata"]["name"] for item in data.get("items", []))


def server_version(api_client: Any, timeout: float = 5.0) -> str:
    """The server's gitVersion (a cheap reachability probe)."""
    from kubernetes import client

    resp = client.VersionApi(api_client).get_code(_preload_content=False, _request_timeout=timeout)
    return json.loads(resp.data).get("gitVersion", "?")


class Sink(Protocol):
    def replace(self, kind: str, items: list[dict]) -> None: ...
    def upsert(self, kind: str, obj: dict) -> None: ...
    def delete(self, kind: str, obj: dict) -> None: ...


class WatchExpired(Exception):
    """The watch's resourceVersion is too old (410 Gone): relist."""


def _list_fn(api_client: Any, kind: str, namespace: str | None) -> Callable[..., Any]:
    from kubernetes import client

    api_name, ns_fn, all_fn = KINDS[kind]
    api = getattr(client, api_name)(api_client)
    if namespace:
        fn = getattr(api, ns_fn)
        return lambda **kw: fn(namespace, **kw)
    return getattr(api, all_fn)


@dataclass
class WatchStats:
    lists: int = 0
    watches: int = 0
    events: int = 0
    relists_410: int = 0
    reconnects: int = 0


class Watcher(threading.Thread):
    """List then watch one kind, feeding `sink`; reports state changes through `on_state`.

    `on_state(kind, state, detail)` gets "connecting", "connected", "reconnecting" (with the error
    and the next retry) or "error" (a 401/403/404 that retrying will not fix soon; still retried).
    """

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
        super().__init__(name=f"gotui-watch-{kind}", daemon=True)
        self.api_client = api_client
        self.kind = kind
        self.sink = sink
        self.namespace = namespace
        self.on_state = on_state or (lambda kind, state, detail: None)
        self.watch_timeout = watch_timeout
        self.backoff_cap = backoff_cap
        self.request_timeout = request_timeout
        self.resource_version: str | None = None
        self.state = "connecting"
        self.detail = ""
        self.stats = WatchStats()
        self._halt = threading.Event()
        self._response: Any = None
        self._lock = threading.Lock()

    # -- control --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the thread; closes the open watch connection so it returns at once."""
        self._halt.set()
        with self._lock:
            resp = self._response
        if resp is not None:
            try:
                resp.shutdown() if hasattr(resp, "shutdown") else None
            except Exception:  # noqa: BLE001
                pass
            try:
                resp.close()
            except Exception:  # noqa: BLE001
                pass

    @property
    def stopped(self) -> bool:
        return self._halt.is_set()

    def _set_state(self, state: str, detail: str = "") -> None:
        if (state, detail) != (self.state, self.detail):
            self.state, self.detail = state, detail
            self.on_state(self.kind, state, detail)

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> None:
        failures = 0
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
                failures += 1
                self.stats.reconnects += 1
                self.resource_version = None  # relist: the server may have restarted with other RVs
                delay = min(self.backoff_cap, 0.25 * (2 ** min(failures, 10))) * (0.75 + random.random() / 2)
                status = getattr(exc, "status", None)
                from gotui.ops.kube_text import kube_error as describe_error

                message = describe_error(exc)
                if status in (401, 403, 404):
                    self._set_state("error", f"{message}")
                else:
                    self._set_state("reconnecting", f"{message} — retrying in {delay:.0f}s")
                self._halt.wait(delay)

    def _request(self, **kw: Any) -> Any:
        fn = _list_fn(self.api_client, self.kind, self.namespace)
        selector = LABEL_SELECTORS.get(self.kind)
        if selector:
            kw["label_selector"] = selector
        return fn(_preload_content=False, **kw)

    def _list(self) -> None:
        resp = self._request(_request_timeout=(5, max(self.request_timeout, 60)))
        try:
            body = resp.data
        finally:
            resp.release_conn()
        data = json.loads(body)
        self.stats.lists += 1
        items = data.get("items") or []
        kind_name = (data.get("kind") or "").removesuffix("List")
        api_version = data.get("apiVersion")
        for item in items:  # list items carry no kind/apiVersion on the wire
            if kind_name and "kind" not in item:
                item["kind"] = kind_name
            if api_version and "apiVersion" not in item:
                item["apiVersion"] = api_version
        self.sink.replace(self.kind, items)
        self.resource_version = (data.get("metadata") or {}).get("resourceVersion") or "0"

    def _watch(self) -> None:
        timeout = int(self.watch_timeout * (0.9 + random.random() * 0.2))
        resp = self._request(
            watch=True,
            allow_watch_bookmarks=True,
            resource_version=self.resource_version,
            timeout_seconds=timeout,
            _request_timeout=(5, timeout + 30),
        )
        with self._lock:
            self._response = resp
        self.stats.watches += 1
        try:
            if self._halt.is_set():
                return
            buffer = b""
            for chunk in resp.stream(65536, decode_content=True):
                if self._halt.is_set():
                    return
                buffer += chunk
                if b"\n" not in buffer:
                    continue
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._event(json.loads(line))
            if buffer.strip():
                self._event(json.loads(buffer))
        finally:
            with self._lock:
                self._response = None
            try:
                resp.release_conn()
            except Exception:  # noqa: BLE001
                pass

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
            self.sink.upsert(self.kind, obj)
        elif etype == "DELETED":
            self.sink.delete(self.kind, obj)
        if rv:
            self.resource_version = rv
