"""Docker engine access: host resolution, lists, inspect, streams (events, logs, stats, build).

No Textual here. Every call is synchronous (docker-py); the UI runs them in thread workers.
Lists use the low-level API (`api.images()`, `api.containers(all=True)`): one request each, where
docker-py's high-level `list()` inspects every item.

Host resolution (first wins): an explicit host (flag / config) > DOCKER_HOST > the current Docker
context (DOCKER_CONTEXT, else `currentContext` in ~/.docker/config.json, read from
~/.docker/contexts/meta/<sha256(name)>/meta.json) > the default socket. unix://, tcp:// (with
DOCKER_TLS_VERIFY / DOCKER_CERT_PATH) and ssh:// (needs `docker[ssh]`) all work.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DEFAULT_HOST = "unix:///var/run/docker.sock"
REQUEST_TIMEOUT = 15


class EngineUnreachable(Exception):
    """The engine did not answer; the message is what the UI shows."""

    def __init__(self, host: str, cause: BaseException | None = None) -> None:
        self.host = host
        self.cause = cause
        super().__init__(f"Docker engine not reachable at {host} — is it running? Set DOCKER_HOST.")


def _docker_config_dir(env: dict[str, str]) -> Path:
    return Path(env.get("DOCKER_CONFIG") or Path.home() / ".docker")


def context_host(env: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(host, context name) of the current Docker CLI context, or None for the default."""
    env = dict(os.environ) if env is None else env
    cfg_dir = _docker_config_dir(env)
    name = env.get("DOCKER_CONTEXT")
    if not name:
        try:
            name = json.loads((cfg_dir / "config.json").read_text()).get("currentContext")
        except (OSError, ValueError, AttributeError):
            name = None
    if not name or name == "default":
        return None
    meta = cfg_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    try:
        data = json.loads(meta.read_text())
        host = data["Endpoints"]["docker"]["Host"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (host, name) if host else None


def resolve_host(explicit: str | None = None, env: dict[str, str] | None = None) -> tuple[str, str]:
    """(host URL, where it came from) following the order in the module docstring."""
    env = dict(os.environ) if env is None else env
    if explicit:
        return explicit, "flag/config"
    if env.get("DOCKER_HOST"):
        return env["DOCKER_HOST"], "DOCKER_HOST"
    ctx = context_host(env)
    if ctx:
        return ctx[0], f"context {ctx[1]}"
    return DEFAULT_HOST, "default"


def _is_connection_error(exc: BaseException) -> bool:
    name = type(exc).__name__
    if getattr(exc, "response", None) is not None or name in ("APIError", "NotFound", "ImageNotFound"):
        return False  # the engine answered (an HTTP error), so it is reachable
    if name in ("ConnectionError", "ConnectTimeout", "ReadTimeout", "ProtocolError", "MaxRetryError",
                "NewConnectionError", "ChunkedEncodingError", "ConnectionRefusedError",
                "FileNotFoundError", "BrokenPipeError", "ConnectionResetError", "SSHException"):
        return True
    if name == "DockerException" and "fetching server API version" in str(exc):
        return True
    return isinstance(exc, (ConnectionError, socket.timeout, socket.gaierror))


class Closable:
    """An iterator over a docker-py stream that another thread can close to stop it."""

    def __init__(self, iterator: Iterator[Any], response: Any) -> None:
        self._it = iterator
        self._response = response
        self.closed = False

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if self.closed:
            raise StopIteration
        try:
            return next(self._it)
        except StopIteration:
            raise
        except Exception:
            if self.closed:
                raise StopIteration from None
            raise

    def close(self) -> None:
        """Stop the stream: shut the socket down so a blocked read returns."""
        if self.closed:
            return
        self.closed = True
        try:
            from docker.types.daemon import CancellableStream

            CancellableStream(self._it, self._response).close()
        except Exception:  # noqa: BLE001 - ssh streams cannot be cancelled: close what we can
            try:
                self._response.close()
            except Exception:  # noqa: BLE001
                pass


class DockerSource:
    """One Docker engine. Thread-safe enough for one UI plus a few stream threads."""

    def __init__(self, host: str | None = None, *, timeout: int = REQUEST_TIMEOUT) -> None:
        self.host, self.origin = resolve_host(host)
        self.timeout = timeout
        self._api: Any = None
        self._lock = threading.Lock()

    # -- clients --------------------------------------------------------------------------------
    def _make_client(self, timeout: int | None, version: str | None = None) -> Any:
        import docker

        env = dict(os.environ)
        env["DOCKER_HOST"] = self.host
        kwargs: dict[str, Any] = {"environment": env, "timeout": timeout or REQUEST_TIMEOUT}
        if self.host.startswith("ssh://"):
            kwargs["use_ssh_client"] = os.environ.get("GOTUI_DOCKER_SSH_CLIENT", "") == "1"
        if version:
            kwargs["version"] = version
        client = docker.from_env(**kwargs)
        if timeout is None:
            client.api.timeout = None  # streams: no read timeout
        return client.api

    @property
    def api(self) -> Any:
        """The request client (connects and negotiates the API version on first use)."""
        with self._lock:
            if self._api is None:
                try:
                    self._api = self._make_client(self.timeout)
                except Exception as exc:
                    if _is_connection_error(exc) or type(exc).__name__ == "DockerException":
                        raise EngineUnreachable(self.host, exc) from exc
                    raise
            return self._api

    def stream_client(self) -> Any:
        """A fresh client without a read timeout, for one long-lived stream."""
        version = self.api.api_version
        return self._make_client(None, version)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run `fn(*args)`; connection failures become EngineUnreachable."""
        try:
            return fn(*args, **kwargs)
        except EngineUnreachable:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise EngineUnreachable(self.host, exc) from exc
            raise

    def ping(self) -> bool:
        return bool(self.call(lambda: self.api.ping()))

    def version(self) -> dict[str, Any]:
        return self.call(lambda: self.api.version())

    # -- lists and inspect -------------------------------------------------------------------------
    def list_images(self) -> list[dict[str, Any]]:
        """`GET /images/json` (all tagged and dangling top-level images)."""
        return self.call(lambda: self.api.images())

    def list_containers(self) -> list[dict[str, Any]]:
        """`GET /containers/json?all=1` (running and exited)."""
        return self.call(lambda: self.api.containers(all=True))

    def dangling_images(self) -> list[dict[str, Any]]:
        return self.call(lambda: self.api.images(filters={"dangling": True}))

    def history(self, image: str) -> list[dict[str, Any]]:
        return self.call(lambda: self.api.history(image))

    def inspect_image(self, image: str) -> dict[str, Any]:
        return self.call(lambda: self.api.inspect_image(image))

    def inspect_container(self, container: str) -> dict[str, Any]:
        return self.call(lambda: self.api.inspect_container(container))

    # -- changes ------------------------------------------------------------------------------------
    def remove_image(self, image: str, *, force: bool = False) -> list[dict[str, Any]]:
        return self.call(lambda: self.api.remove_image(image, force=force))

    def prune_dangling(self) -> dict[str, Any]:
        """`POST /images/prune` with dangling=true: {ImagesDeleted, SpaceReclaimed}."""
        return self.call(lambda: self.api.prune_images(filters={"dangling": True}))

    def tag(self, image: str, repository: str, tag: str | None = None) -> bool:
        return self.call(lambda: self.api.tag(image, repository, tag))

    def stop_container(self, container: str, timeout: int = 10) -> None:
        self.call(lambda: self.api.stop(container, timeout=timeout))

    def restart_container(self, container: str, timeout: int = 10) -> None:
        self.call(lambda: self.api.restart(container, timeout=timeout))

    def remove_container(self, container: str, *, force: bool = False) -> None:
        self.call(lambda: self.api.remove_container(container, force=force))

    def start_container(self, container: str) -> None:
        self.call(lambda: self.api.start(container))

    # -- volumes and networks ----------------------------------------------------------------------
    def list_volumes(self) -> list[dict[str, Any]]:
        """`GET /volumes` (no sizes: the engine computes those only in `system df`)."""
        return list((self.call(lambda: self.api.volumes()) or {}).get("Volumes") or [])

    def volume_sizes(self) -> dict[str, int]:
        """name -> bytes from `GET /system/df` (slow on big hosts: call it on demand)."""
        df = self.call(lambda: self.api.df()) or {}
        return {v.get("Name", ""): int((v.get("UsageData") or {}).get("Size", -1))
                for v in df.get("Volumes") or []}

    def inspect_volume(self, name: str) -> dict[str, Any]:
        return self.call(lambda: self.api.inspect_volume(name))

    def remove_volume(self, name: str) -> None:
        self.call(lambda: self.api.remove_volume(name))

    def prune_volumes(self, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.call(lambda: self.api.prune_volumes(filters=filters))

    def list_networks(self) -> list[dict[str, Any]]:
        return self.call(lambda: self.api.networks())

    def inspect_network(self, name: str) -> dict[str, Any]:
        return self.call(lambda: self.api.inspect_network(name))

    def remove_network(self, name: str) -> None:
        self.call(lambda: self.api.remove_network(name))

    def prune_networks(self) -> dict[str, Any]:
        return self.call(lambda: self.api.prune_networks())

    # -- exec and attach -----------------------------------------------------------------------------
    def exec_socket(self, container: str, cmd: list[str], *, size: tuple[int, int] | None = None) -> tuple[str, Any]:
        """Start `cmd` in `container` with a TTY and stdin (`docker exec -it`): (exec id, raw socket)."""
        client = self.call(self.stream_client)
        exec_id = self.call(lambda: client.exec_create(container, cmd, stdin=True, tty=True,
                                                       environment={"TERM": os.environ.get("TERM", "xterm")}))["Id"]
        sock = self.call(lambda: client.exec_start(exec_id, tty=True, socket=True))
        if size:
            try:
                client.exec_resize(exec_id, height=size[0], width=size[1])
            except Exception:  # noqa: BLE001 - a terminal that stays 80x24 is no reason to fail
                pass
        return exec_id, _raw_socket(sock)

    def exec_resize(self, exec_id: str, rows: int, cols: int) -> None:
        self.call(lambda: self.api.exec_resize(exec_id, height=rows, width=cols))

    def exec_exit_code(self, exec_id: str) -> int | None:
        return (self.call(lambda: self.api.exec_inspect(exec_id)) or {}).get("ExitCode")

    def attach_socket(self, container: str) -> tuple[Any, bool]:
        """Attach to the container's main process (stdin too when it keeps stdin open), detach keys
        ctrl-p ctrl-q: (raw socket, multiplexed: True when the container has no TTY)."""
        info = self.inspect_container(container)
        cfg = info.get("Config") or {}
        client = self.call(self.stream_client)
        params = {"stdout": 1, "stderr": 1, "stream": 1, "stdin": 1 if cfg.get("OpenStdin") else 0,
                  "detachKeys": "ctrl-p,ctrl-q"}
        sock = self.call(lambda: client.attach_socket(container, params=params))
        return _raw_socket(sock), not cfg.get("Tty")

    # -- streams ------------------------------------------------------------------------------------
    def events(self, filters: dict[str, Any] | None = None, since: int | None = None) -> Closable:
        """The engine's event stream (decoded dicts), closable from another thread; `since` (epoch
        seconds) replays the engine's recent events first."""
        client = self.call(self.stream_client)
        stream = self.call(lambda: client.events(decode=True, filters=filters, since=since))
        return Closable(iter(stream), stream._response)

    def logs(self, container: str, *, tail: int | str = 200, since: Any = None, follow: bool = True,
             timestamps: bool = True) -> Closable:
        """Log bytes (stdout and stderr merged, frame headers removed) as a closable stream.

        docker-py's own log stream makes two small reads per line; at 20,000 lines/s that starves
        the UI of the GIL. This takes whatever the (chunked) response has ready with `read1`, strips
        the 8-byte multiplexing headers in bulk and yields blocks that may hold many lines."""
        import struct

        client = self.call(self.stream_client)
        info = self.call(lambda: client.inspect_container(container))
        tty = bool((info.get("Config") or {}).get("Tty"))
        params: dict[str, Any] = {"stdout": 1, "stderr": 1, "follow": int(follow),
                                  "timestamps": int(timestamps), "tail": str(tail)}
        if since is not None:
            params["since"] = int(since.timestamp()) if hasattr(since, "timestamp") else int(since)
        url = client._url("/containers/{0}/logs", container)
        response = self.call(lambda: client._get(url, params=params, stream=True))
        client._raise_for_status(response)
        raw = response.raw
        reader = getattr(raw, "read1", None) or raw.read

        def blocks() -> Iterator[bytes]:
            buf = b""
            unpack = struct.Struct(">I").unpack_from
            while True:
                data = reader(262144)
                if not data:
                    break
                if tty:
                    yield data
                    continue
                buf += data
                out = []
                pos, size = 0, len(buf)
                while size - pos >= 8:
                    length = unpack(buf, pos + 4)[0]
                    if size - pos - 8 < length:
                        break
                    out.append(buf[pos + 8:pos + 8 + length])
                    pos += 8 + length
                buf = buf[pos:]
                if out:
                    yield b"".join(out)

        return Closable(blocks(), response)

    def export_image(self, image: str, chunk_size: int = 1 << 20) -> Closable:
        """`GET /images/{name}/get` (docker save) as a closable stream of byte chunks: read it
        once, never whole (a big image is gigabytes)."""
        client = self.call(self.stream_client)
        response = self.call(lambda: client._get(client._url("/images/{0}/get", image), stream=True))
        self.call(lambda: client._raise_for_status(response))
        return Closable(response.iter_content(chunk_size, decode_unicode=False), response)

    def log_tail(self, container: str, lines: int = 20) -> list[str]:
        """The last `lines` log lines of a container (not followed), undecorated."""
        data = self.call(lambda: self.api.logs(container, stream=False, follow=False, tail=lines))
        return log_lines(data)

    def stats(self, container: str) -> Closable:
        """Stats samples (about one a second) as a closable stream of dicts."""
        client = self.call(self.stream_client)
        captured: dict[str, Any] = {}
        original = client._get

        def _get(*args: Any, **kwargs: Any) -> Any:
            response = original(*args, **kwargs)
            captured["response"] = response
            return response

        client._get = _get
        it = self.call(lambda: client.stats(container, stream=True, decode=True))
        return Closable(it, captured["response"])

    def build(self, context_dir: str, *, dockerfile: str | None = None, target: str | None = None,
              buildargs: dict[str, str] | None = None, platform: str | None = None,
              labels: dict[str, str] | None = None, nocache: bool = False, pull: bool = False) -> Closable:
        """Start a classic-builder build (untagged) and return its decoded stream, closable."""
        client = self.call(self.stream_client)
        captured: dict[str, Any] = {}
        original = client._post

        def _post(*args: Any, **kwargs: Any) -> Any:
            response = original(*args, **kwargs)
            captured["response"] = response
            return response

        client._post = _post
        kwargs: dict[str, Any] = {"path": context_dir, "decode": True, "rm": True, "forcerm": True,
                                  "nocache": nocache, "pull": pull}
        if dockerfile:
            kwargs["dockerfile"] = dockerfile
        if target:
            kwargs["target"] = target
        if buildargs:
            kwargs["buildargs"] = buildargs
        if platform:
            kwargs["platform"] = platform
        if labels:
            kwargs["labels"] = labels
        # build() tars and uploads the context and sends the request before it returns
        gen = self.call(lambda: client.build(**kwargs))
        return Closable(gen, captured.get("response"))

    def buildkit_support(self) -> str | None:
        """None when the engine can build with BuildKit through the API (`version=2`: Linux engines
        from API 1.39, Docker 18.09), else the reason it cannot."""
        info = self.version()
        api = str(info.get("ApiVersion") or "0")
        try:
            major, minor = (int(x) for x in api.split(".")[:2])
        except ValueError:
            return f"unknown API version {api!r}"
        if (major, minor) < (1, 39):
            return f"API {api} is older than 1.39 (Docker 18.09)"
        if str(info.get("Os") or "linux").lower() != "linux":
            return f"the engine runs on {info.get('Os')}"
        return None

    def has_network(self, name: str) -> bool:
        """True when the engine has a network called exactly `name` (e.g. `bridge`)."""
        nets = self.call(lambda: self.api.networks(names=[name]))
        return any(n.get("Name") == name for n in nets or [])

    def build_buildkit(self, context_dir: str, *, dockerfile: str, replacement: str | None = None,
                       target: str | None = None, buildargs: dict[str, str] | None = None,
                       platform: str | None = None, labels: dict[str, str] | None = None,
                       nocache: bool = False, pull: bool = False, network: str | None = None) -> Closable:
        """Start a BuildKit build (`POST /build?version=2`, untagged, no session) and return its decoded
        JSON stream (BuildKit progress as `moby.buildkit.trace` aux messages), closable.
        `dockerfile` is an absolute path; `replacement` sends other text in its place."""
        client = self.call(self.stream_client)
        archive, name = context_archive(context_dir, dockerfile, replacement)
        params: dict[str, Any] = {"version": "2", "dockerfile": name, "rm": "1", "forcerm": "1",
                                  "nocache": "1" if nocache else "0", "pull": "1" if pull else "0"}
        if target:
            params["target"] = target
        if buildargs:
            params["buildargs"] = json.dumps(buildargs)
        if platform:
            params["platform"] = platform
        if labels:
            params["labels"] = json.dumps(labels)
        if network:
            params["networkmode"] = network
        try:
            response = self.call(lambda: client._post(client._url("/build"), params=params, data=archive,
                                                      headers={"Content-Type": "application/x-tar"},
                                                      stream=True, timeout=None))
        finally:
            archive.close()
        client._raise_for_status(response)
        return Closable(client._stream_helper(response, decode=True), response)


def _raw_socket(sock: Any) -> Any:
    """The plain socket under docker-py's SocketIO wrapper (unix or tcp)."""
    return getattr(sock, "_sock", sock)


def log_lines(data: bytes) -> list[str]:
    """Log bytes split into lines at `\\n` only (a CRLF's `\\r` dropped): `str.splitlines` would also
    split at a bare `\\r` (progress bars), `\\v`, `\\f`, U+2028…, inventing lines the program never wrote."""
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def context_archive(context_dir: str, dockerfile: str, replacement: str | None = None) -> tuple[Any, str]:
    """The build context as a gzip'd tar (a temporary file) and the Dockerfile's name inside it.

    `dockerfile` is a path (absolute, or relative to the context). `.dockerignore` is honoured as
    docker-py does. A Dockerfile outside the context, or one whose text is `replacement`, is added
    under a random name, as the docker CLI does for `-f` outside the context. Gzip (level 1) because
    BuildKit's remote-context loader recognises a plain tar only when its first header fits in 1 KiB
    (a pax header in front makes it read the whole tar as a Dockerfile)."""
    import gzip
    import shutil
    import tempfile

    from docker.api.build import process_dockerfile
    from docker.utils import tar

    root = os.path.abspath(context_dir)
    exclude = None
    ignore = os.path.join(root, ".dockerignore")
    if os.path.exists(ignore):
        with open(ignore) as f:
            exclude = [line.strip() for line in f.read().splitlines() if line.strip() and not line.strip().startswith("#")]
    name, contents = process_dockerfile(dockerfile, root)
    if replacement is not None:
        name, contents = f".dockerfile.{os.urandom(10).hex()}", replacement
    raw = tar(root, exclude=exclude, dockerfile=(name, contents))
    out = tempfile.TemporaryFile()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as z:
        shutil.copyfileobj(raw, z, 1 << 20)
    raw.close()
    out.seek(0)
    return out, str(name)


WATCHED = ("container", "image", "volume", "network")


class EventWatcher:
    """Follows the engine's events in a thread and reports coalesced changes.

    `on_change(kinds)` gets the set of object types that changed ("container", "image"), at most
    once per `coalesce` seconds. `on_state(state, detail)` gets "connected" or "unreachable" (with
    the message to show). While unreachable it retries with capped backoff (0.5 s doubling to
    `max_backoff`); on reconnection it reports a full change so the UI re-lists.
    """

    def __init__(self, source: DockerSource, on_change: Callable[[set[str]], object],
                 on_state: Callable[[str, str], object], *, coalesce: float = 0.25,
                 max_backoff: float = 8.0) -> None:
        self.source = source
        self.on_change = on_change
        self.on_state = on_state
        self.coalesce = coalesce
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._stream: Closable | None = None
        self._pending: set[str] = set()
        self._pending_lock = threading.Lock()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for target, name in ((self._run, "docker-events"), (self._flusher, "docker-events-flush")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        stream = self._stream
        if stream is not None:
            stream.close()

    def _flusher(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            time.sleep(self.coalesce)  # let the burst finish
            with self._pending_lock:
                kinds, self._pending = self._pending, set()
                self._wake.clear()
            if kinds:
                try:
                    self.on_change(kinds)
                except Exception:  # noqa: BLE001 - a UI that went away must not kill the thread
                    pass

    def _note(self, kind: str) -> None:
        with self._pending_lock:
            self._pending.add(kind)
        self._wake.set()

    def _run(self) -> None:
        backoff = 0.5
        connected = False
        while not self._stop.is_set():
            try:
                self.source.ping()
                self._stream = self.source.events(filters={"type": list(WATCHED)})
                if self._stop.is_set():
                    self._stream.close()
                    return
                connected = True
                backoff = 0.5
                self.on_state("connected", self.source.host)
                # the first list (and the one after a reconnection) goes out now: the coalescing
                # delay is for bursts of events, not for the list the user is waiting for
                try:
                    self.on_change({"container", "image"})
                except Exception:  # noqa: BLE001 - a UI that went away must not kill the thread
                    pass
                for event in self._stream:
                    if self._stop.is_set():
                        return
                    kind = event.get("Type") if isinstance(event, dict) else None
                    if kind in WATCHED:
                        action = str(event.get("Action") or event.get("status") or "")
                        if action.startswith(("exec_", "top", "attach", "resize")):
                            continue
                        self._note(kind)
                # the stream ended: the engine went away (or closed the connection)
                raise EngineUnreachable(self.source.host)
            except Exception as exc:  # noqa: BLE001 - every failure means: retry later
                if self._stop.is_set():
                    return
                message = str(exc) if isinstance(exc, EngineUnreachable) else str(EngineUnreachable(self.source.host))
                if not _is_connection_error(exc) and not isinstance(exc, EngineUnreachable):
                    from gotui.ops.errors import describe_error

                    message = describe_error(exc, what=f"Docker at {self.source.host}")
                if connected or backoff == 0.5:
                    self.on_state("unreachable", message)
                connected = False
                self._stop.wait(backoff)
                backoff = min(self.max_backoff, backoff * 2)
