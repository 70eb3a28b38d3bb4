"""`pods/NAME/exec` over WebSocket, as the API server relays a kubelet's exec:

    GET|POST /api/v1/namespaces/NS/pods/NAME/exec?command=sh&command=-c&command=...&stdin=true
        &stdout=true&stderr=true&tty=false&container=C      Sec-WebSocket-Protocol: v5.channel.k8s.io

Every binary message starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 the final metav1.Status
(Success, or Failure with reason NonZeroExitCode and cause ExitCode), 4 terminal resize
`{"Width":W,"Height":H}`, and in v5 255 "close stream N" (the client's end of stdin). The command is a
REAL process on this machine (the sandbox has no containers): run in a scratch directory per pod with
HOSTNAME=<pod>, through a pty when tty=true (stderr then merges into stdout, as in a container), pipes
otherwise. Needs `create pods/exec`; answered 400 when the pod is not running or the container unknown,
403 always when the sandbox serves a non-loopback address without authentication.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import shutil
import signal
import struct
import tempfile
import termios
from collections.abc import Sequence
from typing import Any

from aiohttp import WSMsgType, web

from gotui.sandbox import errors
from gotui.sandbox.auth import CURRENT_USER
from gotui.sandbox.errors import ApiError

ROUTE = "/api/v1/namespaces/{namespace}/pods/{name}/exec"
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
FIRST_RESIZE_WAIT = 2.0  # s (at most; under load 0.3 s was too short) a tty exec waits for the client's first size before starting the process


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


def running_pod(server: Any, ns: str, name: str, subresource: str) -> dict:
    """The pod, after the RBAC check (`create pods/<subresource>`); ApiError when it cannot be used."""
    allowed, _ = server.policy.check("create", "pods", ns, name, "", subresource)
    if not allowed:
        raise errors.forbidden(f"pods/{subresource}", name, "create", ns, CURRENT_USER.get().name)
    pod = server.store.get("pods", ns, name)
    if pod is None:
        raise errors.not_found("pods", name)
    phase = (pod.get("status") or {}).get("phase") or "Pending"
    if phase in ("Succeeded", "Failed"):
        raise errors.bad_request(f"cannot {subresource} into a container in a completed pod; current phase is {phase}")
    if phase != "Running" or (pod.get("metadata") or {}).get("deletionTimestamp"):
        raise errors.bad_request(f"pod {name} is not running (phase {phase})")
    return pod


class PodSubresource:
    """A streaming pod subresource of one ApiServer (`exec`, `portforward`): GET or POST on a running pod
    the caller may `create pods/<SUBRESOURCE>` on; an ApiError becomes its Status answer."""

    SUBRESOURCE = ""

    def __init__(self, server: Any) -> None:
        self.server = server

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._handle(request)
        except ApiError as err:
            return web.json_response(err.to_status(), status=err.code)

    def target(self, request: web.Request) -> dict:
        """The pod the request names, checked (method, RBAC, running)."""
        if request.method not in ("GET", "POST"):
            raise errors.method_not_allowed()
        self.precheck()
        return running_pod(self.server, request.match_info["namespace"], request.match_info["name"],
                           self.SUBRESOURCE)

    def precheck(self) -> None:
        """A refusal before the pod is looked at (subclasses)."""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raise NotImplementedError


def pick_container(pod: dict, wanted: str) -> str:
    names = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
    name = (pod.get("metadata") or {}).get("name")
    if not wanted:
        if len(names) == 1:
            return names[0]
        raise errors.bad_request(f"a container name must be specified for pod {name}, choose one of: "
                                 f"[{' '.join(names)}]")
    if wanted not in names:
        raise errors.bad_request(f"container {wanted} is not valid for pod {name}")
    return wanted


def exit_status(code: int | None, command: list[str]) -> dict:
    """The channel-3 Status kubectl turns into its own exit code."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    rc = 128 - code if code is not None and code < 0 else (code if code is not None else 1)  # -N: killed by signal N
    shown = " ".join(command)
    return {"metadata": {}, "status": "Failure",
            "message": f"command terminated with non-zero exit code: error executing command [{shown}], exit code {rc}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(rc)}]}}


class PodExec(PodSubresource):
    """The exec handler of one ApiServer; scratch directories live in one private temp dir."""

    SUBRESOURCE = "exec"

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.root: str | None = None
        self.processes: set[asyncio.subprocess.Process] = set()

    def scratch_dir(self, ns: str, name: str) -> str:
        if self.root is None:
            self.root = tempfile.mkdtemp(prefix="gotui-sandbox-pods-")
        path = os.path.join(self.root, ns, name)
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def precheck(self) -> None:
        if not getattr(self.server, "exec_allowed", True):
            raise ApiError(403, "Forbidden", "pods/exec is disabled: this sandbox serves a non-loopback address "
                                             "without authentication (start it with --tls --auth)")

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ns, name = request.match_info["namespace"], request.match_info["name"]
        pod = self.target(request)
        container = pick_container(pod, request.query.get("container", ""))
        command = request.query.getall("command", [])
        if not command:
            raise errors.bad_request("you must specify at least 1 command")
        tty, stdin = _flag(request, "tty"), _flag(request, "stdin")
        stdout, stderr = _flag(request, "stdout"), _flag(request, "stderr") and not tty
        if not (stdin or stdout or stderr):
            raise errors.bad_request("you must specify at least 1 of stdin, stdout, stderr")
        ws = web.WebSocketResponse(protocols=PROTOCOLS, autoping=True, max_msg_size=0)
        if not ws.can_prepare(request).ok:
            raise errors.bad_request("Upgrade request required")
        await ws.prepare(request)
        env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOSTNAME": name,
               "HOME": self.scratch_dir(ns, name), "TERM": "xterm" if tty else "dumb",
               "POD_NAMESPACE": ns, "CONTAINER_NAME": container}
        try:
            await _Session(ws, command, env, tty=tty, stdin=stdin, stdout=stdout, stderr=stderr,
                           processes=self.processes).run()
        finally:
            await ws.close()
        return ws

    def stop(self) -> None:
        """Kill what still runs and remove the scratch directories."""
        for proc in list(self.processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)


class _Session:
    """One exec: the process, its pumps, and the WebSocket."""

    def __init__(self, ws: web.WebSocketResponse, command: list[str], env: dict[str, str], *, tty: bool,
                 stdin: bool, stdout: bool, stderr: bool, processes: set) -> None:
        self.ws, self.command, self.env = ws, command, env
        self.tty, self.stdin, self.stdout, self.stderr = tty, stdin, stdout, stderr
        self.processes = processes
        self.v5 = ws.ws_protocol == "v5.channel.k8s.io"
        self.master: int | None = None
        self.initial_size: tuple[int, int] | None = None
        self.proc: asyncio.subprocess.Process | None = None

    async def send(self, channel: int, data: bytes) -> None:
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await self.ws.send_bytes(bytes([channel]) + data)

    async def run(self) -> None:
        first: asyncio.Task | None = None
        early: list[Any] = []  # messages before the size (stdin typed ahead): replayed once it runs
        if self.tty:
            # kubectl sends the terminal's size right after connecting: give the pty that size before
            # the process starts (a shell then prints and wraps for the right width from its first line).
            # Other messages may come first (stdin): keep them and wait on for the size.
            deadline = asyncio.get_running_loop().time() + FIRST_RESIZE_WAIT
            while True:
                first = asyncio.ensure_future(self.ws.receive())
                await asyncio.wait([first], timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
                if not first.done() or first.exception():
                    break
                msg = first.result()
                first = None
                if msg.type == WSMsgType.BINARY and msg.data[:1] == bytes([RESIZE]):
                    self.initial_size = _size(msg.data[1:])
                    break
                if msg.type != WSMsgType.BINARY:  # closed or an error: nothing more will come
                    early.append(msg)
                    break
                early.append(msg)
        try:
            await self._spawn()
        except OSError as exc:
            what = "executable file not found in $PATH" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
            status = {"metadata": {}, "status": "Failure", "reason": "InternalError",
                      "message": f'exec failed: unable to start container process: exec: "{self.command[0]}": {what}'}
            await self.send(ERROR, json.dumps(status).encode())
            return
        assert self.proc is not None
        self.processes.add(self.proc)
        reader = asyncio.create_task(self._from_client(first, early))
        try:
            await asyncio.gather(*self._output_pumps())
            code = await self.proc.wait()
            await self.send(ERROR, json.dumps(exit_status(code, self.command)).encode())
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            if self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                await self.proc.wait()
            self.processes.discard(self.proc)
            if self.master is not None:
                os.close(self.master)

    async def _spawn(self) -> None:
        cwd = self.env["HOME"]
        if self.tty:
            master, slave = pty.openpty()
            if self.initial_size is not None:
                with contextlib.suppress(OSError):
                    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *self.initial_size, 0, 0))
            try:
                self.proc = await asyncio.create_subprocess_exec(
                    *self.command, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=self.env,
                    start_new_session=True, preexec_fn=_controlling_tty)
            except BaseException:
                os.close(master)
                raise
            finally:
                os.close(slave)
            os.set_blocking(master, False)
            self.master = master
            return
        pipe = asyncio.subprocess.PIPE
        self.proc = await asyncio.create_subprocess_exec(
            *self.command, stdin=pipe if self.stdin else asyncio.subprocess.DEVNULL,
            stdout=pipe if self.stdout else asyncio.subprocess.DEVNULL,
            stderr=pipe if self.stderr else asyncio.subprocess.DEVNULL, cwd=cwd, env=self.env,
            start_new_session=True)

    def _output_pumps(self) -> list:
        if self.master is not None:
            return [self._pump_pty()]
        assert self.proc is not None
        pumps = []
        if self.proc.stdout is not None:
            pumps.append(self._pump(self.proc.stdout, STDOUT))
        if self.proc.stderr is not None:
            pumps.append(self._pump(self.proc.stderr, STDERR))
        return pumps

    async def _pump(self, stream: asyncio.StreamReader, channel: int) -> None:
        while data := await stream.read(32768):
            await self.send(channel, data)

    async def _pump_pty(self) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        master = self.master
        assert master is not None

        def readable() -> None:
            try:
                data = os.read(master, 32768)
            except BlockingIOError:
                return
            except OSError:  # EIO: every slave end is closed (the shell exited)
                data = b""
            if not data:
                loop.remove_reader(master)
            queue.put_nowait(data)

        loop.add_reader(master, readable)
        try:
            while data := await queue.get():
                if self.stdout:
                    await self.send(STDOUT, data)
        finally:
            loop.remove_reader(master)

    async def _from_client(self, first: asyncio.Task | None, early: Sequence[Any] = ()) -> None:
        for msg in early:
            await self._message(msg)
        if early and early[-1].type != WSMsgType.BINARY:
            return await self._client_gone()
        if first is not None:
            await self._message(await first)
        async for msg in self.ws:
            await self._message(msg)
        await self._client_gone()

    async def _client_gone(self) -> None:
        """The client went away: end the process as the kubelet does."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGHUP)

    async def _message(self, msg: Any) -> None:
        if msg.type != WSMsgType.BINARY or not msg.data:
            return
        channel, data = msg.data[0], msg.data[1:]
        if channel == STDIN and data:
            await self._write_stdin(data)
        elif channel == RESIZE and self.master is not None:
            size = _size(data)
            if size is not None:
                with contextlib.suppress(OSError):
                    fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
        elif channel == CLOSE and self.v5 and data[:1] == bytes([STDIN]):
            self._close_stdin()

    async def _write_stdin(self, data: bytes) -> None:
        if self.master is not None:
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(self.master, view):]
                except BlockingIOError:
                    await asyncio.sleep(0.01)
                except OSError:
                    return
            return
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                self.proc.stdin.write(data)
                await self.proc.stdin.drain()

    def _close_stdin(self) -> None:
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.write(self.master, b"\x04")  # end of input at the start of a line, as a terminal does
        elif self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()


def _size(payload: bytes) -> tuple[int, int] | None:
    """(rows, cols) from a resize message `{"Width":W,"Height":H}`."""
    try:
        size = json.loads(payload)
        return max(0, int(size["Height"])), max(0, int(size["Width"]))
    except (ValueError, KeyError, TypeError):
        return None


def _controlling_tty() -> None:
    """In the child, after setsid: the pty (its stdin) becomes the controlling terminal (job control, ^C)."""
    with contextlib.suppress(OSError):
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
