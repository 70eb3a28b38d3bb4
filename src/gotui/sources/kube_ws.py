"""WebSocket streams to the API server (pods/exec, pods/portforward) with the credentials and TLS of a
`kubernetes.client.ApiClient` built by kube_auth (its CA, client certificate, bearer token, proxy).

They run on one background event loop thread (`stream_loop()`), not the UI's: a shell session suspends
the UI loop, and forwards must keep working meanwhile. No Textual here.

Channel protocol (`v5.channel.k8s.io` / `v4.channel.k8s.io`): each binary message is a channel byte
and a payload. exec: 0 stdin, 1 stdout, 2 stderr, 3 the final Status, 4 resize, 255 close (v5).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlencode

import aiohttp

EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
PORTFORWARD_PROTOCOLS = ("v4.channel.k8s.io",)
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
_REASONS = {401: "the API server did not accept the credentials (401 Unauthorized)",
            403: "forbidden by RBAC (403)", 404: "not found (404: the pod is gone?)"}


class StreamError(Exception):
    """A stream could not be opened or broke; the message says why in operator terms."""


class _Loop:
    """One daemon thread running an asyncio loop for every stream of the process."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="gotui-kube-streams", daemon=True)
        self.thread.start()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)


_loop: _Loop | None = None
_loop_lock = threading.Lock()


def stream_loop() -> _Loop:
    """The background loop (started on first use)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = _Loop()
        return _loop


def _auth_header(api: Any) -> dict[str, str]:
    conf = api.configuration
    hook = getattr(conf, "refresh_api_key_hook", None)
    if hook is not None:
        hook(conf)
    token = (conf.api_key or {}).get("BearerToken") or (conf.api_key or {}).get("authorization")
    return {"Authorization": token} if token else {}


def stream_url(api: Any, path: str, query: list[tuple[str, str]]) -> str:
    host = str(api.configuration.host).rstrip("/")
    return f"{host}{path}?{urlencode(query)}" if query else host + path


async def connect(api: Any, path: str, query: list[tuple[str, str]], protocols: tuple[str, ...],
                  timeout: float = 15.0) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """Open a WebSocket to `path` on `api`'s server; StreamError naming the cause when it cannot."""
    tls = getattr(api, "gotui_tls", None)
    proxy = getattr(api, "gotui_proxy", "") or None
    if proxy and not proxy.lower().startswith(("http://", "https://")):
        raise StreamError(f"streams cannot go through proxy {proxy} (only http(s) proxies are supported for exec "
                          "and port-forward)")
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout))
    kw: dict[str, Any] = {"ssl": tls if tls is not None else None, "protocols": protocols,
                          "headers": _auth_header(api), "heartbeat": 30.0, "max_msg_size": 0, "proxy": proxy,
                          "timeout": aiohttp.ClientWSTimeout(ws_close=5.0)}
    if getattr(api, "gotui_tls_server_name", None):
        kw["server_hostname"] = api.gotui_tls_server_name
    try:
        ws = await asyncio.wait_for(session.ws_connect(stream_url(api, path, query), **kw), timeout)
    except aiohttp.WSServerHandshakeError as exc:
        await session.close()
        raise StreamError(_REASONS.get(exc.status, f"the API server refused the stream ({exc.status} {exc.message})")) \
            from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        await session.close()
        raise StreamError(f"cannot reach the API server: {exc or type(exc).__name__}") from None
    except BaseException:
        await session.close()
        raise
    return session, ws


def exit_code(status_payload: bytes | str) -> tuple[int, str]:
    """(exit code, message) from the channel-3 Status of an exec (1 when it is not a NonZeroExitCode)."""
    try:
        status = json.loads(status_payload)
    except ValueError:
        text = status_payload.decode("utf-8", "replace") if isinstance(status_payload, bytes) else status_payload
        return (1, text.strip()) if text.strip() else (0, "")
    if not isinstance(status, dict) or status.get("status") == "Success":
        return 0, ""
    message = str(status.get("message") or "")
    if status.get("reason") == "NonZeroExitCode":
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("reason") == "ExitCode":
                try:
                    return int(cause.get("message")), message
                except (TypeError, ValueError):
                    break
    return 1, message
