"""The sandbox's pods/exec and pods/portforward, through the real kubectl (v5 channels; SPDY/3.1 tunnelled
in a WebSocket) and the official Python client (v5/v4 channels)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest
from kubernetes import client
from kubernetes.stream import portforward, stream

from gotui.ops.kube_io import KubeIO

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]


def serving_pod(sb) -> str:
    """A shop go-api pod whose loopback HTTP site is open."""
    io = KubeIO(sb.api_client)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pods = [p for p in io.list("pods", "shop", "app=go-api")
                if (p["metadata"].get("annotations") or {}).get("sandbox.gotui.dev/url")]
        if pods:
            return pods[0]["metadata"]["name"]
        time.sleep(0.1)
    raise AssertionError("no serving go-api pod")


def test_kubectl_exec_output_exit_code_and_stdin(sandbox, kubectl_for):
    kubectl = kubectl_for(sandbox)
    pod = serving_pod(sandbox)
    out = kubectl.run("-n", "shop", "exec", pod, "--", "sh", "-c", "echo hi; echo oops >&2; echo $HOSTNAME; exit 3")
    assert out.returncode == 3, out.stderr
    assert out.stdout.splitlines() == ["hi", pod]
    assert "oops" in out.stderr and "command terminated with exit code 3" in out.stderr
    # stdin reaches the process and its end (v5 close on channel 255) ends `cat`
    env = dict(os.environ, KUBECONFIG=str(kubectl.kubeconfig), HOME=str(kubectl.cache_dir))
    piped = subprocess.run([kubectl.binary, "-n", "shop", "exec", "-i", pod, "--", "sh", "-c", "cat; echo done"],
                           input="typed\n", capture_output=True, text=True, timeout=30, env=env)
    assert piped.returncode == 0 and piped.stdout == "typed\ndone\n", piped.stderr
    missing = kubectl.run("-n", "shop", "exec", pod, "--", "no-such-command-xyz")
    assert missing.returncode != 0 and "executable file not found" in missing.stderr
    wrong = kubectl.run("-n", "shop", "exec", pod, "-c", "nope", "--", "true")
    assert wrong.returncode != 0 and "container nope is not valid" in wrong.stderr
    # -it from a terminal (util-linux `script` gives kubectl a pty of 30x100): the process gets a tty of
    # that size from its start (kubectl's first resize), and the exit code comes back through it
    if shutil.which("script"):
        inner = f"stty rows 30 cols 100; {kubectl.binary} -n shop exec -it {pod} -- sh -c 'stty size; exit 7'"
        tty = subprocess.run(["script", "-eqc", inner, "/dev/null"], stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=30, env=env)
        assert tty.returncode == 7 and "30 100" in tty.stdout, tty.stdout + tty.stderr


def test_kubectl_port_forward_reaches_the_pod(sandbox, kubectl_for):
    kubectl = kubectl_for(sandbox)
    pod = serving_pod(sandbox)
    env = dict(os.environ, KUBECONFIG=str(kubectl.kubeconfig), HOME=str(kubectl.cache_dir))
    proc = subprocess.Popen([kubectl.binary, "-n", "shop", "port-forward", f"pod/{pod}", ":8080", ":9999",
                             "--address", "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        ports: list[int] = []
        deadline = time.monotonic() + 20
        while len(ports) < 2 and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            m = re.search(r"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)", line)
            if m:
                ports.append(int(m.group(1)))
        assert len(ports) == 2, proc.stderr.read() if proc.poll() is not None else "no Forwarding lines"  # type: ignore[union-attr]
        for _ in range(2):  # one SPDY stream pair per connection, both on one tunnel
            with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/version", timeout=10) as resp:
                body = json.loads(resp.read())
            assert body["pod"] == pod and body["namespace"] == "shop"
        # a port the pod does not listen on: the error stream says so and kubectl gives up, as with a real pod
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{ports[1]}/version", timeout=10).read()
        proc.wait(timeout=20)
        err = proc.stderr.read()  # type: ignore[union-attr]
        assert "9999" in err and "connection refused" in err
    finally:
        proc.kill()
        proc.wait()


def test_python_client_exec_and_portforward(sandbox):
    pod = serving_pod(sandbox)
    v1 = client.CoreV1Api(sandbox.api_client)
    resp = stream(v1.connect_get_namespaced_pod_exec, pod, "shop", command=["sh", "-c", "echo $HOSTNAME; exit 4"],
                  stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    resp.run_forever(timeout=20)
    assert resp.read_stdout() == pod + "\n"
    assert resp.returncode == 4
    pf = portforward(v1.connect_get_namespaced_pod_portforward, pod, "shop", ports="8080")
    try:
        sock = pf.socket(8080)
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200") and json.loads(data.split(b"\r\n\r\n", 1)[1])["pod"] == pod
        assert pf.error(8080) is None
    finally:
        pf.close()


def test_exec_and_portforward_need_rbac(fresh_sandbox, kubectl_for):
    sb = fresh_sandbox("quiet", 1)
    kubectl = kubectl_for(sb)
    pod = serving_pod(sb)
    sb.set_policy([{"verb": "create", "resource": "pods/exec"}, {"verb": "create", "resource": "pods/portforward"}])
    out = kubectl.run("-n", "shop", "exec", pod, "--", "true")
    assert out.returncode != 0 and 'cannot create resource "pods/exec"' in out.stderr
    code, body = sb.request("GET", f"/api/v1/namespaces/shop/pods/{pod}/portforward?ports=8080")
    assert code == 403 and "pods/portforward" in json.dumps(body)
    sb.set_policy([])
    code, body = sb.request("GET", f"/api/v1/namespaces/shop/pods/{pod}/exec?command=true&stdout=true")
    assert code == 400 and "Upgrade request required" in json.dumps(body)  # a plain GET is no stream


async def _exec_frames(api_allowed: bool) -> tuple[int, list[bytes]]:
    """Run `echo hi; exit 2` through an in-process ApiServer over v4 channels: (handshake status, frames)."""
    import aiohttp
    from aiohttp import web

    from gotui.sandbox.server import ApiServer
    from gotui.sandbox.store import ObjectStore

    store = ObjectStore()
    store.create("namespaces", {"metadata": {"name": "n"}})
    pod = store.create("pods", {"metadata": {"name": "p", "namespace": "n"},
                                "spec": {"containers": [{"name": "c", "image": "x"}]}})
    pod["status"] = {"phase": "Running"}
    store.update("pods", pod, check_rv=False)
    api = ApiServer(store)
    api.exec_allowed = api_allowed
    runner = web.AppRunner(api.make_app(), access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001
    frames: list[bytes] = []
    try:
        async with aiohttp.ClientSession() as session:
            try:
                ws = await session.ws_connect(
                    f"http://127.0.0.1:{port}/api/v1/namespaces/n/pods/p/exec",
                    params=[("command", "sh"), ("command", "-c"), ("command", "echo hi; exit 2"), ("stdout", "true")],
                    protocols=("v4.channel.k8s.io",))
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status, frames
            assert ws.protocol == "v4.channel.k8s.io"
            async for msg in ws:
                frames.append(msg.data)
            return 101, frames
    finally:
        await runner.cleanup()


async def test_inprocess_exec_v4_frames_and_remote_guard():
    status, frames = await _exec_frames(True)
    assert status == 101 and frames[0] == b"\x01hi\n"
    final = json.loads(frames[-1][1:])
    assert frames[-1][0] == 3 and final["reason"] == "NonZeroExitCode"
    assert final["details"]["causes"] == [{"reason": "ExitCode", "message": "2"}]
    # a sandbox reachable from other hosts without authentication runs nobody's commands
    assert (await _exec_frames(False))[0] == 403
