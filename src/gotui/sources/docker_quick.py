"""The first Docker lists at start-up, without the docker client (stdlib HTTP over the unix socket).

Importing docker-py and negotiating the API version cost several tenths of a second before the first
request; the Images pane's first rows should not wait for that. `quick_lists(host)` does the two list
requests the pane needs (`GET /images/json`, `GET /containers/json?all=1`, unversioned: the engine
answers in its own API version, the same JSON docker-py's `api.images()` / `api.containers(all=True)`
return) on one plain HTTP/1.1 connection. Only `unix://` hosts are handled; for any other host, or on
any failure, it returns None and the ordinary client does the work a moment later. No Textual here.

`start_early(host)` makes those requests in a thread as soon as the TUI's settings are known, while
the interpreter still imports Textual; the Images pane takes the answer (`take_early`) when it mounts.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from typing import Any

TIMEOUT = 10.0


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def _get(conn: http.client.HTTPConnection, path: str) -> Any:
    conn.request("GET", path, headers={"User-Agent": "gotui"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise OSError(f"{path}: HTTP {response.status}")
    return json.loads(body)


def quick_lists(host: str, timeout: float = TIMEOUT) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """(images, containers) from the engine at `host`, or None (not a unix socket, or it failed)."""
    if not host.startswith("unix://"):
        return None
    path = host[len("unix://"):]
    conn = _UnixConnection(path, timeout)
    try:
        images = _get(conn, "/images/json")
        containers = _get(conn, "/containers/json?all=1")
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    if not isinstance(images, list) or not isinstance(containers, list):
        return None
    return images, containers


Lists = tuple[list[dict[str, Any]], list[dict[str, Any]]]


class Early:
    """The lists being fetched in a thread since start-up."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.result: Lists | None = None
        self.done = threading.Event()
        threading.Thread(target=self._run, name="docker-early-lists", daemon=True).start()

    def _run(self) -> None:
        try:
            self.result = quick_lists(self.host)
        finally:
            self.done.set()

    def wait(self, timeout: float = TIMEOUT) -> Lists | None:
        return self.result if self.done.wait(timeout) else None


_early: dict[str, Early] = {}
_early_lock = threading.Lock()


def start_early(host: str) -> None:
    """Start fetching the lists of `host` (a unix socket) in a thread; `take_early` hands them over."""
    if not host.startswith("unix://"):
        return
    with _early_lock:
        if host not in _early:
            _early[host] = Early(host)


def take_early(host: str) -> Early | None:
    """The fetch `start_early` began for `host` (once; later callers get None)."""
    with _early_lock:
        return _early.pop(host, None)
