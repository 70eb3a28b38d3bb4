"""The one Kubernetes client of gotui: the kubeconfig, loaded once, and every HTTP request to the API.

- `load_kubeconfig(explicit)`: the kubeconfig files in effect (--kubeconfig, $KUBECONFIG or
  ~/.kube/config), each parsed ONCE per (file set, mtime, size) per process and merged as kubectl merges
  them (`gotui.sources.kube_auth`); the TUI's connect, the context picker and the headless commands share
  the result.
- `make_api_client(kubeconfig, context)`: the authenticated `kubernetes.client.ApiClient` (TLS, token,
  exec plugin, proxy) for a context of that kubeconfig; `connect()` adds the namespace probe the TUI does.
- `send` / `request` / `api_get`: one HTTP request through that client's auth and connection pool, raw
  JSON on the wire (the generated `CoreV1Api` & co. are never used: importing them costs ~0.8 s of CPU and
  their typed models are not what the cache, the ops or the panes read).

The streaming watch layer (`gotui.sources.kube_source.Watcher`, `gotui.kube.resources.TableWatcher`),
`gotui.ops.kube_io.KubeIO` and every ops/ module get their client from here. ui/ never imports this
module's transport names (checked by tests/unit/test_layers.py). No Textual import here.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gotui.sources.kube_auth import KubeConfig, KubeConfigProblem, build_api_client, merge_kubeconfig

__all__ = [
    "Connection", "ContextInfo", "KubeConfigProblem", "api_get", "connect", "finish", "kubeconfig_paths", "list_contexts",
    "list_namespaces", "load_kubeconfig", "make_api_client", "read_json", "read_object", "request", "send",
    "server_version",
]

STRATEGIC_PATCH = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"


# -- the kubeconfig, parsed once -------------------------------------------------------------------
def kubeconfig_paths(explicit: str | None = None) -> list[Path]:
    """The kubeconfig file(s) in effect: the explicit value, else $KUBECONFIG, else ~/.kube/config."""
    value = explicit or os.environ.get("KUBECONFIG") or "~/.kube/config"
    return [Path(os.path.expanduser(p)) for p in value.split(os.pathsep) if p]


_cache_lock = threading.Lock()
_cache: dict[tuple, KubeConfig] = {}
parses = 0  # files parsed by this process (tests count them)


def _stamp(path: Path) -> tuple[str, int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_mtime_ns, st.st_size, st.st_ino)


def _parse(path: Path) -> dict[str, Any]:
    """One kubeconfig file as a mapping, with the file and line of a problem."""
    global parses
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KubeConfigProblem(f"kubeconfig {path}: cannot read it ({exc.strerror}). Fix its permissions.") from None
    parses += 1
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        raise KubeConfigProblem(
            f"kubeconfig {where}: {getattr(exc, 'problem', None) or 'not valid YAML'}. Fix the YAML there."
        ) from None
    if data is not None and not isinstance(data, dict):
        raise KubeConfigProblem(f"kubeconfig {path}: the top level must be a mapping (apiVersion, clusters, contexts...).")
    return data or {}


def load_kubeconfig(explicit: str | None = None) -> KubeConfig:
    """The merged kubeconfig in effect, parsed once per (file set, mtime, size): a file that changes on
    disk is read again on the next call, an unchanged one never."""
    paths = kubeconfig_paths(explicit)
    stamps = [s for s in (_stamp(p) for p in paths) if s is not None]
    if not stamps:
        names = ", ".join(str(p) for p in paths)
        raise KubeConfigProblem(
            f"kubeconfig {names} does not exist. Point --kubeconfig / KUBECONFIG at a valid file, "
            "or run `gotui --demo` to try the sandbox cluster."
        )
    key = tuple(stamps)
    with _cache_lock:
        cfg = _cache.get(key)
        if cfg is None:
            existing = [Path(s[0]) for s in stamps]
            cfg = merge_kubeconfig([(p, _parse(p)) for p in existing])
            stale = [k for k in _cache if [s[0] for s in k] == [s[0] for s in key]]
            for k in stale:  # keep one entry per file set
                del _cache[k]
            _cache[key] = cfg
    return cfg


@dataclass(frozen=True)
class ContextInfo:
    name: str
    cluster: str
    namespace: str | None
    current: bool


def list_contexts(kubeconfig: str | None = None) -> list[ContextInfo]:
    """Every context in the kubeconfig, the current one flagged (a kubeconfig without a
    current-context is fine: none is flagged)."""
    cfg = load_kubeconfig(kubeconfig)
    return [ContextInfo(name, str(e.body.get("cluster") or "?"), e.body.get("namespace"), name == cfg.current)
            for name, e in cfg.contexts.items()]


def make_api_client(kubeconfig: str | None = None, context: str | None = None) -> tuple[Any, str, str | None]:
    """Build a `kubernetes.client.ApiClient` (see `kube_auth`); returns (client, context name, the
    context's namespace). Runs the user's exec credential plugin, if any, before returning; a
    credential that cannot be had raises `KubeConfigProblem` (no request goes out without it)."""
    return build_api_client(load_kubeconfig(kubeconfig), context)


@dataclass
class Connection:
    """The outcome of `connect`: the client (None when it could not be built), the context, the
    namespace to use (None: all namespaces), and a problem to show (`fatal`: do not start watchers)."""

    api_client: Any
    context: str | None
    namespace: str | None
    problem: str = ""
    fatal: bool = False


def connect(kubeconfig: str | None, context: str | None, namespace: str | None) -> Connection:
    """Build the client for `context` and check that `namespace` exists ("*": all namespaces; None or
    "": the context's own, else "default"). A 403 on the namespace is normal for namespaced users; an
    unreachable server is reported but not fatal (watchers retry with backoff)."""
    from gotui.ops.kube_text import kube_error

    try:
        client, ctx_name, ctx_ns = make_api_client(kubeconfig, context)
    except KubeConfigProblem as exc:
        return Connection(None, None, None, str(exc), True)
    except Exception as exc:  # noqa: BLE001
        return Connection(None, None, None, kube_error(exc, what="kubeconfig"), True)
    ns = None if namespace == "*" else (namespace or ctx_ns or "default")
    conn = Connection(client, ctx_name, ns)
    if ns:
        try:
            finish(api_get(client, f"/api/v1/namespaces/{ns}", timeout=(5, 10)))
        except Exception as exc:  # noqa: BLE001
            status = getattr(exc, "status", None)
            if status == 404:
                conn.problem = f"namespace {ns!r} does not exist in context {ctx_name!r} — press n to pick another."
                conn.fatal = True
            elif status == 401:
                conn.problem, conn.fatal = f"context {ctx_name!r}: {kube_error(exc)}", True
            elif status != 403:
                conn.problem = f"cannot reach the cluster of context {ctx_name!r}: {kube_error(exc)}"
    return conn


# -- requests ---------------------------------------------------------------------------------------
def send(api_client: Any, method: str, path: str, query: list[tuple[str, Any]] | None = None, *,
         accept: str = "application/json", body: Any = None, content_type: str | None = None,
         timeout: Any = 30.0) -> Any:
    """One HTTP request through the client's auth, TLS and pool; the urllib3 response, unread, whatever
    its status. Transport errors (urllib3, OSError) are raised as they come."""
    headers = {"Accept": accept}
    if content_type or body is not None:
        headers["Content-Type"] = content_type or "application/json"
    m, url, hdrs, data, post = api_client.param_serialize(
        method=method, resource_path=path, query_params=query or [], header_params=headers, body=body,
        auth_settings=["BearerToken"])
    return api_client.call_api(m, url, header_params=hdrs, body=data, post_params=post,
                               _request_timeout=timeout).response


def request(api_client: Any, method: str, path: str, query: list[tuple[str, Any]] | None = None, *,
            accept: str = "application/json", body: Any = None, content_type: str | None = None,
            timeout: Any = 30.0) -> Any:
    """`send`, raising the client's ApiException subclass (NotFoundException, ForbiddenException...)
    on an HTTP error status; the response unread (stream it or read `.data`, then `release_conn()`)."""
    from kubernetes.client.exceptions import ApiException

    resp = send(api_client, method, path, query, accept=accept, body=body, content_type=content_type,
                timeout=timeout)
    if not 200 <= resp.status <= 299:
        raw = resp.data
        resp.release_conn()
        ApiException.from_response(http_resp=resp, body=raw.decode("utf-8", "replace") if raw else None, data=None)
    return resp


def api_get(api_client: Any, path: str, query: list[tuple[str, Any]] | None = None, *, timeout: Any = 30.0) -> Any:
    """GET `path` (see `request`)."""
    return request(api_client, "GET", path, query, timeout=timeout)


def finish(resp: Any) -> None:
    """Done with a response whose body is not wanted: read the rest, then give the connection back to the
    pool. (`release_conn()` alone pools it with the body unread; the next request on it — over TLS the
    rest may sit decrypted in a buffer no readiness check sees — then reads that body as its status line.)"""
    try:
        resp.drain_conn()
    except Exception:  # noqa: BLE001 - a broken stream: never pool its connection
        resp.close()
    resp.release_conn()


def read_json(resp: Any) -> Any:
    """The JSON body of an unread response, the connection released."""
    try:
        return json.loads(resp.data) if resp.data else None
    finally:
        resp.release_conn()


def read_object(api_client: Any, kind: str, namespace: str, name: str, timeout: float = 10.0) -> dict:
    """One whole object as the API has it now (the cache keeps pods slimmed; YAML views use this)."""
    from gotui.sources.kube_wire import object_path

    return read_json(api_get(api_client, object_path(kind, namespace or None, name), timeout=timeout))


def list_namespaces(api_client: Any, timeout: float = 10.0) -> list[str]:
    """Namespace names (raw JSON list)."""
    data = read_json(api_get(api_client, "/api/v1/namespaces", timeout=timeout)) or {}
    return sorted(item["metadata"]["name"] for item in data.get("items", []))


def server_version(api_client: Any, timeout: float = 5.0) -> str:
    """The server's gitVersion (a cheap reachability probe)."""
    return (read_json(api_get(api_client, "/version", timeout=timeout)) or {}).get("gitVersion", "?")
