"""Kubeconfigs as real clusters hand them out, against the real sandbox: tokenFile, no current-context,
SOCKS5 proxy-url, inline keys never on disk, and TLS failures named (and not retried forever) — TLS via a
loopback terminator with real certificates in front of the plain-HTTP sandbox."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures.kubeauth_kit import (
    TOKEN,
    RecordingProxy,
    Socks5Proxy,
    TlsFront,
    files_containing,
    make_ca,
    make_cert,
    write_kubeconfig,
)
from gotui.ops.errors import describe_error
from gotui.sources.kube_source import (
    KubeConfigProblem,
    Watcher,
    list_contexts,
    make_api_client,
    server_version,
)
from gotui.store import ClusterStore

pytestmark = pytest.mark.sandbox
ROOT = Path(__file__).resolve().parents[2]


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


# -- tokens --------------------------------------------------------------------------------------
def test_token_file_with_trailing_newline_is_trimmed_like_kubectl(plain_sandbox, tmp_path, proxy):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, {"tokenFile": str(token_file)},
                          cluster_extra={"proxy-url": proxy.url})
    api, _, _ = make_api_client(str(kc))
    assert server_version(api)
    assert proxy.requests and {auth for _, _, auth in proxy.requests} == {f"Bearer {TOKEN}"}


def test_token_file_relative_to_the_kubeconfig_and_rotated(plain_sandbox, tmp_path, proxy, monkeypatch):
    from gotui.sources import kube_auth

    (tmp_path / "token").write_text(f"  {TOKEN}\n\n")
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, {"tokenFile": "token"}, cluster_extra={"proxy-url": proxy.url})
    monkeypatch.setattr(kube_auth, "TOKEN_FILE_RECHECK", 0.0)
    api, _, _ = make_api_client(str(kc))
    server_version(api)
    (tmp_path / "token").write_text("rotated-token-value\n")
    os.utime(tmp_path / "token", (time.time() + 5, time.time() + 5))
    server_version(api)
    assert [auth for _, _, auth in proxy.requests] == [f"Bearer {TOKEN}", "Bearer rotated-token-value"]


def test_token_with_a_line_break_inside_is_refused_without_showing_it(plain_sandbox, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, {"token": f"{TOKEN}\nsecond-line"})
    try:
        api, _, _ = make_api_client(str(kc))
        server_version(api)
    except Exception as exc:  # noqa: BLE001 - whatever fails, its wording must not hold the token
        message = describe_error(exc)
    else:
        pytest.fail("a token with a line break inside was sent")
    assert TOKEN not in message and "second-line" not in message
    assert "line break" in message


# -- contexts ------------------------------------------------------------------------------------
def test_no_current_context_works_with_a_named_context(plain_sandbox, tmp_path):
    kc = write_kubeconfig(tmp_path / "kc", plain_sandbox.url, {}, current=None)
    assert [(c.name, c.current) for c in list_contexts(str(kc))] == [("ctx", False)]
    api, ctx, ns = make_api_client(str(kc), "ctx")
    assert (ctx, ns) == ("ctx", "shop") and server_version(api)
    with pytest.raises(KubeConfigProblem, match=r"sets no current-context\. Pick one with --context .*it has: ctx"):
        make_api_client(str(kc))


def test_two_files_merge_like_kubectl(plain_sandbox, tmp_path):
    """The first file to name an entry or a current-context wins (kubectl's rule)."""
    first = write_kubeconfig(tmp_path / "a", plain_sandbox.url, {}, current=None)
    second = write_kubeconfig(tmp_path / "b", "http://127.0.0.1:1", {}, current="ctx", namespace="other")
    api, ctx, ns = make_api_client(f"{first}{os.pathsep}{second}")
    assert (ctx, ns) == ("ctx", "shop") and server_version(api)


# -- SOCKS5 --------------------------------------------------------------------------------------
def test_socks5_proxy_url_reaches_the_cluster_and_the_proxy_resolves_the_name(plain_sandbox, tmp_path):
    socks = Socks5Proxy()
    try:
        kc = write_kubeconfig(tmp_path / "kc", f"http://localhost:{plain_sandbox.port}", {"token": TOKEN},
                              cluster_extra={"proxy-url": socks.url})
        api, _, _ = make_api_client(str(kc))
        assert server_version(api)
        assert ("domain", "localhost", plain_sandbox.port) in socks.targets  # socks5:// as kubectl: name sent to the proxy
    finally:
        socks.close()


def test_proxy_from_the_environment_as_kubectl(plain_sandbox, tmp_path, monkeypatch):
    """Without proxy-url, HTTP(S)_PROXY applies (the official client did this too); NO_PROXY and
    loopback addresses bypass it."""
    env_proxy = RecordingProxy(upstream=("127.0.0.1", plain_sandbox.port))
    try:
        for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("HTTP_PROXY", env_proxy.url)
        far = write_kubeconfig(tmp_path / "far", f"http://cluster.gotui.test:{plain_sandbox.port}", {"token": TOKEN})
        api, _, _ = make_api_client(str(far))
        assert server_version(api)
        assert env_proxy.hosts == [f"cluster.gotui.test:{plain_sandbox.port}"]
        near = write_kubeconfig(tmp_path / "near", plain_sandbox.url, {"token": TOKEN})
        assert server_version(make_api_client(str(near))[0])
        monkeypatch.setenv("NO_PROXY", ".gotui.test")
        api, _, _ = make_api_client(str(far))
        with pytest.raises(Exception):  # noqa: B017 - the name does not resolve: it went direct
            server_version(api, timeout=5)
        assert len(env_proxy.hosts) == 1
    finally:
        env_proxy.close()


def test_pysocks_is_a_declared_dependency():
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.lower().startswith("pysocks") for d in deps)


# -- inline keys never on disk -------------------------------------------------------------------
LOADER = """
import os, sys, time
from gotui.sources.kube_source import make_api_client
make_api_client(sys.argv[1])
print("loaded", flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["exit", "SIGTERM", "SIGHUP"])
def test_inline_client_key_never_reaches_the_disk(tmp_path, how):
    ca = make_ca("test-ca")
    client = make_cert("operator", ca, client=True)
    kc = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:1",
                          {"client-certificate-data": client.cert_b64, "client-key-data": client.key_b64},
                          cluster_extra={"certificate-authority-data": ca.cert_b64})
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": str(ROOT / "src")}
    script = LOADER if how != "exit" else LOADER.replace("time.sleep(60)", "")
    proc = subprocess.Popen([sys.executable, "-c", script, str(kc)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "loaded", proc.stderr.read() if proc.stderr else ""
        key_line = client.key.splitlines()[1]
        assert not files_containing(tmpdir, key_line), "key material written while running"
        if how != "exit":
            proc.send_signal(getattr(signal, how))
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not files_containing(tmpdir, key_line)
    assert not files_containing(tmpdir, client.cert.splitlines()[1])


# -- TLS -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pki():
    ca = make_ca("cluster-ca")
    other_ca = make_ca("some-other-ca")
    client_ca = make_ca("client-ca")
    return {
        "ca": ca, "other_ca": other_ca, "client_ca": client_ca,
        "server": make_cert("apiserver", ca, dns=("localhost", "kubernetes.default"), ips=("127.0.0.1",)),
        "server_named": make_cert("apiserver", ca, dns=("kubernetes.internal",)),
        "client": make_cert("operator", client_ca, client=True),
        "stranger": make_cert("stranger", other_ca, client=True),
    }


@pytest.fixture
def front(plain_sandbox, tmp_path):
    fronts = []

    def start(server, client_ca=None):
        d = tmp_path / f"front{len(fronts)}"
        d.mkdir()
        f = TlsFront(plain_sandbox.port, server, d, client_ca)
        fronts.append(f)
        return f

    try:
        yield start
    finally:
        for f in fronts:
            f.close()


def tls_kubeconfig(path, url, ca, client=None, **cluster):
    user = {"client-certificate-data": client.cert_b64, "client-key-data": client.key_b64} if client else {}
    return write_kubeconfig(path, url, user, cluster_extra={"certificate-authority-data": ca.cert_b64, **cluster})


def first_failure(api, tmp_path, blips=0):
    """(message, watcher) after one Watcher meets the failure; the watcher must have stopped (after at
    most `blips` retries of an ambiguous EOF)."""
    w = Watcher(api, "pods", ClusterStore(), "shop", backoff_cap=0.2)
    w.start()
    try:
        wait_for(lambda: w.fatal, 30, "a terminal error")
        w.join(5)
        assert not w.is_alive(), "still retrying a TLS failure"
        assert w.stats.reconnects <= blips and w.state == "error"
        return w.fatal, w
    finally:
        w.stop()


def test_tls_with_the_right_ca_and_client_certificate_works(front, pki, tmp_path):
    f = front(pki["server"], client_ca=pki["client_ca"])
    kc = tls_kubeconfig(tmp_path / "kc", f.url, pki["ca"], pki["client"])
    api, _, _ = make_api_client(str(kc))
    assert server_version(api)


def test_tls_wrong_ca_is_named_and_not_retried(front, pki, tmp_path):
    f = front(pki["server"])
    kc = tls_kubeconfig(tmp_path / "kc", f.url, pki["other_ca"])
    api, _, _ = make_api_client(str(kc))
    message, _ = first_failure(api, tmp_path)
    assert message.startswith("TLS: the server's certificate is not signed by the kubeconfig's certificate-authority")
    assert "(context ctx)" in message and "fix certificate-authority-data" in message
    assert "is the server running" not in message


def test_tls_name_mismatch_is_named_and_tls_server_name_fixes_it(front, pki, tmp_path):
    f = front(pki["server_named"])
    kc = tls_kubeconfig(tmp_path / "kc", f.url, pki["ca"])
    api, _, _ = make_api_client(str(kc))
    message, _ = first_failure(api, tmp_path)
    assert "not valid for the server's name (context ctx)" in message and "tls-server-name" in message
    kc2 = tls_kubeconfig(tmp_path / "kc2", f.url, pki["ca"], **{"tls-server-name": "kubernetes.internal"})
    api2, _, _ = make_api_client(str(kc2))
    assert server_version(api2)


def test_tls_rejected_client_certificate_is_named_and_not_retried(front, pki, tmp_path):
    f = front(pki["server"], client_ca=pki["client_ca"])
    kc = tls_kubeconfig(tmp_path / "kc", f.url, pki["ca"], pki["stranger"])
    api, _, _ = make_api_client(str(kc))
    # TLS 1.3: the server judges the client certificate after the client's handshake is done, so the
    # client meets either the server's alert (terminal) or, racing it, a bare EOF (retried).
    message, _ = first_failure(api, tmp_path, blips=5)
    # (the alert: "rejected the client certificate"; bare EOFs three times running: "refuse the client certificate")
    assert re.match(r"TLS: the server (rejected the client certificate \(context ctx\)|hangs up after the "
                    r"handshake \(context ctx\), as when it refuses the client certificate)", message), message
    assert "client-certificate" in message


def test_transport_blips_are_still_retried(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    kc = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}", {})
    api, _, _ = make_api_client(str(kc))
    w = Watcher(api, "pods", ClusterStore(), "shop", backoff_cap=0.2)
    w.start()
    try:
        wait_for(lambda: w.stats.reconnects >= 2, 30, "retries")
        assert w.is_alive() and w.fatal is None and w.state == "reconnecting"
    finally:
        w.stop()
        w.join(5)


# -- the sandbox's own TLS + authentication (`gotui sandbox --tls --auth all`) ----------------------
USERS = {"cert": "cert-user", "token": "token-user", "exec": "exec-user", "exec-v1beta1": "exec-user"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    from fixtures.sandbox import start_sandbox

    running = start_sandbox(tmp_path_factory.mktemp("secured"), "quiet", 1, tls=True, auth="all")
    try:
        yield running
    finally:
        running.stop()


def variant(src: Path, dst: Path, user: dict | None = None, **cluster) -> Path:
    """A copy of a one-context kubeconfig with cluster keys changed (None removes) and maybe another user."""
    import yaml

    doc = yaml.safe_load(src.read_text())
    body = doc["clusters"][0]["cluster"]
    for key, value in cluster.items():
        key = key.replace("_", "-")
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    if user is not None:
        doc["users"][0]["user"] = user
    dst.write_text(yaml.safe_dump(doc))
    return dst


@pytest.mark.parametrize("method", list(USERS))
def test_secured_sandbox_through_every_kubeconfig(secured, method):
    from gotui.ops.kube_io import KubeIO
    from gotui.sources.kube_source import list_namespaces

    api, ctx, _ = make_api_client(str(secured.kubeconfigs[method]))
    assert ctx == f"gotui-sandbox-{method}"
    assert "shop" in list_namespaces(api)
    review = KubeIO(api)._call("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                               body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                               content_type="application/json")
    assert review["status"]["userInfo"]["username"] == USERS[method]


def test_secured_sandbox_without_credentials_is_a_terminal_401(secured, tmp_path):
    kc = variant(secured.kubeconfigs["token"], tmp_path / "kc", user={"token": "not-the-token"})
    api, _, _ = make_api_client(str(kc))
    message, _ = first_failure(api, tmp_path)
    assert "Unauthorized" in message and "credentials were refused" in message
    assert "not-the-token" not in message


def test_secured_sandbox_tls_failures_named(secured, tmp_path, pki):
    src = secured.kubeconfigs["token"]
    cases = {
        "wrong-ca": (variant(src, tmp_path / "a", certificate_authority_data=pki["other_ca"].cert_b64),
                     "not signed by the kubeconfig's certificate-authority"),
        "wrong-name": (variant(src, tmp_path / "b", tls_server_name="api.example.com"),
                       "not valid for the server's name"),
        "stranger-cert": (variant(secured.kubeconfigs["cert"], tmp_path / "c",
                                  user={"client-certificate-data": pki["stranger"].cert_b64,
                                        "client-key-data": pki["stranger"].key_b64}),
                          # the sandbox hangs up instead of sending an alert: named after three in a row
                          "the client certificate"),
    }
    for name, (kc, expected) in cases.items():
        api, ctx, _ = make_api_client(str(kc))
        message, _ = first_failure(api, tmp_path, blips=5 if name == "stranger-cert" else 0)
        assert message.startswith("TLS: ") and expected in message and f"(context {ctx})" in message, (name, message)
    ok = variant(src, tmp_path / "d", tls_server_name="gotui-sandbox")
    api, _, _ = make_api_client(str(ok))
    assert server_version(api)


def test_secured_sandbox_a_refused_exec_token_reruns_the_plugin_once(secured, tmp_path):
    """client-go's rule: a 401 runs the exec plugin again (its token was revoked before it expired);
    if the new token is refused too, the 401 is final."""
    import yaml

    from fixtures.kubeauth_kit import exec_user, write_plugin

    token = yaml.safe_load(secured.kubeconfigs["token"].read_text())["users"][0]["user"]["token"]
    plugin = write_plugin(tmp_path)
    runs = tmp_path / "runs"
    # run 1 answers a stale token, later runs the valid one
    stale = tmp_path / "stale-plugin"
    stale.write_text(f"#!/bin/sh\nn=$(cat {runs} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {runs}\n"
                     f"if [ $n -eq 1 ]; then export PLUGIN_TOKEN=stale-token-value; fi\nexec {plugin}\n")
    stale.chmod(0o755)
    kc = variant(secured.kubeconfigs["token"], tmp_path / "kc",
                 user=exec_user(str(stale), {"PLUGIN_TOKEN": token}))
    api, _, _ = make_api_client(str(kc))
    store = ClusterStore()
    w = Watcher(api, "pods", store, "shop", backoff_cap=0.2)
    w.start()
    try:
        wait_for(lambda: store.synced("pods") and store.count("pods") > 0, 30, "the list after the re-run")
        assert runs.read_text().strip() == "2" and w.fatal is None
    finally:
        w.stop()
        w.join(5)
    runs.unlink()
    always_stale = variant(secured.kubeconfigs["token"], tmp_path / "kc2",
                           user=exec_user(str(plugin), {"PLUGIN_TOKEN": "stale-token-value",
                                                        "PLUGIN_COUNT": str(runs)}))
    api, _, _ = make_api_client(str(always_stale))
    message, _ = first_failure(api, tmp_path)
    assert "Unauthorized" in message and runs.read_text().strip() == "2"


def test_the_resource_views_table_watcher_runs_on_the_one_watch_loop(front, pki, tmp_path):
    """TableWatcher (resource view) and Watcher (cache) share `ListWatch`: a kubeconfig problem ends the
    table watch too, with the same wording, instead of retrying a TLS failure forever."""
    from gotui.kube.kinds import well_known
    from gotui.kube.resources import TableWatcher

    f = front(pki["server"])
    kc = tls_kubeconfig(tmp_path / "kc", f.url, pki["other_ca"])
    api, _, _ = make_api_client(str(kc))
    cache_message, _ = first_failure(api, tmp_path)
    w = TableWatcher(api, well_known("pods"), "shop", lambda: None, watch_timeout=30)
    w.start()
    try:
        wait_for(lambda: getattr(w, "fatal", None), 30, "a terminal error of the table watch")
        w.join(5)
        assert not w.is_alive(), "the table watch still retries a TLS failure"
        assert (w.state, w.detail) == ("error", cache_message) and w.fatal == cache_message
    finally:
        w.stop()
