"""gotui's own exec and port-forward client (sources/kube_ws.py, ops/kube_exec.py, ops/port_forward.py)
against the sandbox, with the kubeconfig's TLS and client certificate."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

import pytest

from gotui.ops.kube_exec import ExecSession, StreamError
from gotui.ops.kube_io import KubeIO
from gotui.ops.port_forward import Forward, Forwards, parse_local
from gotui.sources.kube_source import make_api_client
from gotui.sources.kube_ws import exit_code

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]


def serving_pod(api) -> str:
    io = KubeIO(api)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pods = [p for p in io.list("pods", "shop", "app=go-api")
                if (p["metadata"].get("annotations") or {}).get("sandbox.gotui.dev/url")]
        if pods:
            return pods[0]["metadata"]["name"]
        time.sleep(0.1)
    raise AssertionError("no serving go-api pod")


def read_all(sock: socket.socket) -> bytes:
    sock.settimeout(20)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_exec_session_pipes_stdin_stdout_and_exit_code(sandbox):
    api, _, _ = make_api_client(str(sandbox.kubeconfig), "gotui-sandbox")
    pod = serving_pod(api)
    session = ExecSession(api, "shop", pod, None, ["sh", "-c", "echo $HOSTNAME; read x; echo got $x; exit 5"], tty=False)
    sock = session.open()
    sock.sendall(b"hello\n")
    assert read_all(sock) == f"{pod}\ngot hello\n".encode()
    assert session.wait() == 5
    sock.close()
    # end of input (a half-close) reaches the process as EOF: `cat` ends and the shell exits 0
    session = ExecSession(api, "shop", pod, None, ["sh", "-c", "cat; echo end"], tty=False)
    sock = session.open()
    sock.sendall(b"abc\n")
    sock.shutdown(socket.SHUT_WR)
    assert read_all(sock) == b"abc\nend\n"
    assert session.wait() == 0
    # a terminal: the process sees a tty of the size sent on channel 4
    session = ExecSession(api, "shop", pod, None, ["sh", "-c", "stty size; test -t 0 && echo tty"], tty=True)
    sock = session.open(size=(33, 101))
    assert read_all(sock).split() == [b"33", b"101", b"tty"]
    assert session.wait() == 0
    with pytest.raises(StreamError, match="not found"):
        ExecSession(api, "shop", "no-such-pod", None, ["true"]).open()


def test_forwards_start_serve_refuse_and_stop(sandbox):
    api, _, _ = make_api_client(str(sandbox.kubeconfig), "gotui-sandbox")
    pod = serving_pod(api)
    forwards = Forwards()
    fwd = forwards.start(api, Forward("shop", pod, 8080, 0))
    assert fwd.local > 0 and forwards.all() == [fwd]
    for _ in range(2):
        with urllib.request.urlopen(f"http://127.0.0.1:{fwd.local}/version", timeout=10) as resp:
            assert json.loads(resp.read())["pod"] == pod
    assert fwd.connections == 2 and fwd.bytes_in > 0
    with pytest.raises(StreamError, match="in use"):
        forwards.start(api, Forward("shop", pod, 8080, fwd.local))
    with pytest.raises(StreamError, match="does not listen on port 9999"):
        forwards.start(api, Forward("shop", pod, 9999, 0))
    assert forwards.stop(fwd.id) is fwd and forwards.all() == []
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{fwd.local}/version", timeout=5)


def test_exit_status_and_local_port_parsing():
    failure = {"status": "Failure", "reason": "NonZeroExitCode", "message": "x",
               "details": {"causes": [{"reason": "ExitCode", "message": "42"}]}}
    assert exit_code(json.dumps(failure)) == (42, "x")
    assert exit_code(b'{"metadata":{},"status":"Success"}') == (0, "")
    assert exit_code(json.dumps({"status": "Failure", "message": "boom"}))[0] == 1
    assert parse_local("", 8080) == 8080 and parse_local("auto", 80) == 0 and parse_local("0", 80) == 0
    assert parse_local(" 9000 ", 80) == 9000
    for bad in ("x", "70000", "-1"):
        with pytest.raises(ValueError):
            parse_local(bad, 80)
