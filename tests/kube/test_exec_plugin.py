"""Exec credential plugins against the real sandbox: off the terminal, bounded, and a failure stops the
connection with the plugin's own message and installHint (never an unauthenticated request)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from fixtures.kubeauth_kit import (
    TOKEN,
    RecordingProxy,
    exec_user,
    json_log,
    write_kubeconfig,
    write_plugin,
)
from gotui.sources.kube_source import KubeConfigProblem, Watcher, make_api_client, server_version
from gotui.store import ClusterStore

pytestmark = pytest.mark.sandbox
HINT = "Install the fake plugin:\n  pip install fake-auth-plugin\nthen retry."


def wait_for(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def proxy():
    p = RecordingProxy()
    try:
        yield p
    finally:
        p.close()


def plugin_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PLUGIN_LOG": str(tmp_path / "plugin.json"), "PLUGIN_TOKEN": TOKEN, **extra}


def test_plugin_token_is_used_and_the_plugin_never_gets_the_terminal(plain_sandbox, tmp_path, proxy, capfd):
    plugin = write_plugin(tmp_path)
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url,
                          exec_user(str(plugin), plugin_env(tmp_path, PLUGIN_STDERR="noise-from-the-plugin\n")),
                          cluster_extra={"proxy-url": proxy.url})
    api, ctx, ns = make_api_client(str(kc))
    assert (ctx, ns) == ("ctx", "shop")
    assert server_version(api)
    assert proxy.requests and all(auth == f"Bearer {TOKEN}" for _, _, auth in proxy.requests)
    rec = json_log(tmp_path / "plugin.json")
    assert rec["stdin"] == "b''"  # stdin is closed: reading it ends at once
    assert rec["tty"] is False  # its own session: /dev/tty cannot be opened either
    assert rec["exec_info"]["spec"]["interactive"] is False
    out, err = capfd.readouterr()
    assert "noise-from-the-plugin" not in out + err


def test_failing_plugin_stops_the_connection_with_its_message_and_hint(plain_sandbox, tmp_path):
    plugin = write_plugin(tmp_path, "aws")
    stderr = ("\nAn error occurred (ExpiredTokenException) when calling the GetCallerIdentity operation:\n"
              "\x1b[31mThe security token included in the request is expired\x1b[0m\n")
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url,
                          exec_user(str(plugin), plugin_env(tmp_path, PLUGIN_MODE="fail", PLUGIN_EXIT="255",
                                                            PLUGIN_STDERR=stderr), installHint=HINT))
    with pytest.raises(KubeConfigProblem) as info:
        make_api_client(str(kc))
    message = str(info.value)
    assert "\n" not in message and "\x1b" not in message
    assert "`aws` failed (exit 255)" in message
    assert "ExpiredTokenException" in message and "security token included in the request is expired" in message
    assert "pip install fake-auth-plugin then retry." in message
    assert "context 'ctx'" in message


def test_missing_plugin_is_named_with_its_install_hint(plain_sandbox, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url,
                          exec_user("gke-gcloud-auth-plugin-not-installed", {}, installHint=HINT))
    with pytest.raises(KubeConfigProblem) as info:
        make_api_client(str(kc))
    message = str(info.value)
    assert "`gke-gcloud-auth-plugin-not-installed` was not found on PATH" in message
    assert "pip install fake-auth-plugin" in message and "\n" not in message


def test_interactive_always_is_refused_without_running_the_plugin(plain_sandbox, tmp_path):
    plugin = write_plugin(tmp_path)
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url,
                          exec_user(str(plugin), plugin_env(tmp_path), interactiveMode="Always"))
    with pytest.raises(KubeConfigProblem, match="needs a terminal to prompt"):
        make_api_client(str(kc))
    assert not (tmp_path / "plugin.json.started").exists()


def test_hanging_plugin_times_out_and_is_killed(plain_sandbox, tmp_path):
    from gotui.kube.client import load_kubeconfig
    from gotui.sources.kube_auth import build_api_client

    plugin = write_plugin(tmp_path)
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, exec_user(str(plugin), plugin_env(tmp_path, PLUGIN_MODE="hang")))
    t0 = time.monotonic()
    with pytest.raises(KubeConfigProblem, match=r"did not answer within 2s"):
        build_api_client(load_kubeconfig(str(kc)), exec_timeout=2.0)
    assert time.monotonic() - t0 < 10
    pid = int((tmp_path / "plugin.json.started").read_text())
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2],
             5, "the plugin to be killed")


def test_plugin_failing_on_refresh_ends_the_watch_with_its_message(plain_sandbox, tmp_path, proxy):
    """The credential expires; the renewal fails: the watcher stops with the plugin's message and no
    request goes out without the credential."""
    from gotui.sources import kube_auth

    plugin = write_plugin(tmp_path)
    env = plugin_env(tmp_path, PLUGIN_TTL=str(kube_auth.EXPIRY_SKEW + 3), PLUGIN_COUNT=str(tmp_path / "runs"),
                     PLUGIN_FAIL_FROM_RUN="2", PLUGIN_STDERR="sso session expired, run aws sso login\n")
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, exec_user(str(plugin), env),
                          cluster_extra={"proxy-url": proxy.url})
    api, _, _ = make_api_client(str(kc))
    store = ClusterStore()
    # The recording proxy returns whole responses, so the watch is short-lived and comes back soon.
    w = Watcher(api, "deployments", store, "shop", watch_timeout=2, backoff_cap=0.5)
    w.start()
    try:
        wait_for(lambda: w.fatal, 40, "the watcher to stop on the failed renewal")
        w.join(5)
        assert not w.is_alive()
        assert w.state == "error"
        assert "sso session expired, run aws sso login" in w.fatal and "\n" not in w.fatal
        assert (tmp_path / "runs").read_text() == "2"
        assert all(auth == f"Bearer {TOKEN}" for _, _, auth in proxy.requests)
    finally:
        w.stop()


def test_hanging_plugin_dies_with_a_killed_gotui(plain_sandbox, tmp_path):
    """gotui gets SIGKILL (no exit hooks run) while a plugin hangs: the plugin goes too."""
    import signal
    import subprocess

    plugin = write_plugin(tmp_path)
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, exec_user(str(plugin), plugin_env(tmp_path, PLUGIN_MODE="hang")))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from gotui.sources.kube_source import make_api_client; "
                             "make_api_client(sys.argv[1])", str(kc)], env=env)
    try:
        wait_for(lambda: (tmp_path / "plugin.json").exists(), 30, "the plugin to hang")
        pid = int((tmp_path / "plugin.json.started").read_text())
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z",
                 10, "the orphaned plugin to die")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_plugin_client_certificate_is_used(plain_sandbox, tmp_path):
    """A plugin that answers with a client certificate and key (EKS-style exec with certs): the TLS
    server demanding a client certificate accepts it."""
    from fixtures.kubeauth_kit import TlsFront, make_ca, make_cert
    from gotui.ops.kube_io import KubeIO

    ca, client_ca = make_ca("cluster-ca"), make_ca("client-ca")
    client = make_cert("operator", client_ca, client=True)
    (tmp_path / "c.pem").write_bytes(client.cert)
    (tmp_path / "k.pem").write_bytes(client.key)
    front_dir = tmp_path / "front"
    front_dir.mkdir()
    front = TlsFront(plain_sandbox.port, make_cert("apiserver", ca, ips=("127.0.0.1",)), front_dir, client_ca)
    try:
        plugin = write_plugin(tmp_path)
        user = exec_user(str(plugin), plugin_env(tmp_path, PLUGIN_CERT=str(tmp_path / "c.pem"), PLUGIN_KEY=str(tmp_path / "k.pem")))
        kc = write_kubeconfig(tmp_path / "kc", front.url, user, cluster_extra={"certificate-authority-data": ca.cert_b64})
        api, _, _ = make_api_client(str(kc))
        assert KubeIO(api).list("pods", "shop")
        assert not front.handshake_errors
    finally:
        front.close()


# -- the real TUI in tmux (80x24) ------------------------------------------------------------------
@pytest.fixture
def tui(tmp_path):
    """Start `python -m gotui --kubeconfig KC` (this worktree's code) in tmux; yields a starter."""
    import shutil

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
    from tmux import TmuxSession

    state = tmp_path / "state"
    env = {"XDG_STATE_HOME": str(state), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "GOTUI_CONFIG": str(tmp_path / "cfg.yaml"), "GOTUI_AUDIT_LOG": str(state / "audit.jsonl"),
           "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    workdir = tmp_path / "tmux"
    workdir.mkdir()
    session = TmuxSession(workdir, env=env)

    def start(kubeconfig: Path):
        session.run(f"{sys.executable} -m gotui --kubeconfig {kubeconfig}")
        return session

    try:
        yield start
    finally:
        session.kill()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_tui_plugin_cannot_draw_on_the_screen_or_read_keys(plain_sandbox, tmp_path, tui):
    plugin = write_plugin(tmp_path)
    env = plugin_env(tmp_path, PLUGIN_STDIN_WAIT="4", PLUGIN_STDERR="NOISE-FROM-PLUGIN-STDERR\n")
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, exec_user(str(plugin), env))
    session = tui(kc)
    wait_for(lambda: (tmp_path / "plugin.json.started").exists(), 60, "the plugin to start")
    session.send_keys("2")  # the operator's key, sent while the plugin waits on its stdin
    screens = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        screens.append(session.screen())
        if "ctx ctx" in screens[-1] and "▸2 Pods" in screens[-1] and "gotui-live" not in screens[-1]:
            if (tmp_path / "plugin.json").exists():
                break
        time.sleep(0.1)
    screen = screens[-1]
    assert "ctx ctx" in screen and "ns shop" in screen, screen
    assert "▸2 Pods" in screen, screen  # the key reached gotui, not the plugin
    assert not any("NOISE-FROM-PLUGIN" in s for s in screens)
    assert json_log(tmp_path / "plugin.json")["stdin"] == "b''"
    assert json_log(tmp_path / "plugin.json")["tty"] is False


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_tui_quits_at_once_while_a_plugin_hangs(plain_sandbox, tmp_path, tui):
    plugin = write_plugin(tmp_path)
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, exec_user(str(plugin), plugin_env(tmp_path, PLUGIN_MODE="hang")))
    session = tui(kc)
    wait_for(lambda: (tmp_path / "plugin.json").exists(), 60, "the plugin to hang")
    pid = int((tmp_path / "plugin.json.started").read_text())
    session.wait_text("ctx", 30)
    t0 = time.monotonic()
    session.send_keys("q")
    session.wait_prompt(timeout=10)
    assert time.monotonic() - t0 < 10
    wait_for(lambda: not Path(f"/proc/{pid}").exists() or Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z",
             5, "the hanging plugin to be killed")
