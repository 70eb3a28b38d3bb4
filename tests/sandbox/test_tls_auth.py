"""The sandbox over TLS with authentication (`gotui sandbox --tls --auth ...`), through the real kubectl,
the official Python client and raw HTTPS: what a real cluster serves and refuses."""

from __future__ import annotations

import base64
import json
import os
import ssl
import stat
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from fixtures.sandbox import SRC, kubeconfig_ssl_context, start_sandbox, tls_default
from gotui.sandbox import exec_plugin
from gotui.sandbox.tls import Pki, client_context

# method -> (user, its own group)
USERS = {"cert": ("cert-user", "gotui:cert"), "token": ("token-user", "gotui:token"),
         "exec": ("exec-user", "gotui:exec"), "exec-v1beta1": ("exec-user", "gotui:exec")}
UNAUTHORIZED = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized",
                "reason": "Unauthorized", "code": 401}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A private sandbox with --tls --auth all."""
    running = start_sandbox(tmp_path_factory.mktemp("tls-all"), "quiet", 1, tls=True, auth="all")
    try:
        yield running
    finally:
        running.stop()


def _doc(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _ca_pem(kubeconfig: Path) -> str:
    return base64.b64decode(_doc(kubeconfig)["clusters"][0]["cluster"]["certificate-authority-data"]).decode()


def _kubectl(kubectl_bin: str, kubeconfig: Path, cache: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(cache))
    return subprocess.run([kubectl_bin, "--cache-dir", str(cache), "--request-timeout", "20s", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def _raw(url: str, ctx: ssl.SSLContext, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _variant(src: Path, dst: Path, **cluster: str | None) -> Path:
    """A copy of the kubeconfig `src` with cluster fields replaced (None removes one)."""
    doc = _doc(src)
    entry = doc["clusters"][0]["cluster"]
    for key, value in cluster.items():
        key = key.replace("_", "-")
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    dst.write_text(yaml.safe_dump(doc))
    return dst


def test_kubeconfig_files_one_per_method(secured):
    assert secured.url.startswith("https://127.0.0.1:")
    main = _doc(secured.kubeconfig)
    assert main["current-context"] == "gotui-sandbox"
    assert [c["name"] for c in main["contexts"]] == ["gotui-sandbox"] + [f"gotui-sandbox-{m}" for m in USERS]
    users = {u["name"]: u["user"] for u in main["users"]}
    assert users["gotui-sandbox"] == users["gotui-sandbox-cert"]  # the main context uses the first method
    assert set(users["gotui-sandbox-cert"]) == {"client-certificate", "client-key"}
    assert set(users["gotui-sandbox-token"]) == {"token"}
    assert users["gotui-sandbox-exec"]["exec"]["apiVersion"] == "client.authentication.k8s.io/v1"
    assert users["gotui-sandbox-exec-v1beta1"]["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert sorted(secured.kubeconfigs) == sorted(USERS)
    for method, path in secured.kubeconfigs.items():
        assert path == secured.kubeconfig.with_name(f"kubeconfig-{method}")
        doc = _doc(path)
        assert doc["current-context"] == f"gotui-sandbox-{method}"
        assert [c["name"] for c in doc["contexts"]] == [f"gotui-sandbox-{method}"]
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the key material is in the sandbox's own temp dir, not next to the kubeconfig
    key = Path(users["gotui-sandbox-cert"]["client-key"])
    assert key.parent != secured.kubeconfig.parent and stat.S_IMODE(key.stat().st_mode) == 0o600


@pytest.mark.parametrize("method", list(USERS))
def test_kubectl_through_every_kubeconfig(secured, kubectl_bin, tmp_path, method):
    kubeconfig = secured.kubeconfigs[method]
    user, group = USERS[method]
    pods = _kubectl(kubectl_bin, kubeconfig, tmp_path, "get", "pods", "-o", "name")
    assert pods.returncode == 0, pods.stderr
    assert "pod/go-api-blue-" in pods.stdout
    who = _kubectl(kubectl_bin, kubeconfig, tmp_path, "auth", "whoami", "-o", "json")
    assert who.returncode == 0, who.stderr
    info = json.loads(who.stdout)["status"]["userInfo"]
    assert info["username"] == user and group in info["groups"] and "system:authenticated" in info["groups"]
    can = _kubectl(kubectl_bin, kubeconfig, tmp_path, "auth", "can-i", "delete", "pods")
    assert (can.returncode, can.stdout.strip()) == (0, "yes"), can.stderr


@pytest.mark.parametrize("method", list(USERS))
def test_official_client_through_every_kubeconfig(secured, method):
    user, _ = USERS[method]
    api = config.new_client_from_config(config_file=str(secured.kubeconfigs[method]))
    try:
        names = [p.metadata.name for p in client.CoreV1Api(api).list_namespaced_pod("shop").items]
        assert any(n.startswith("go-api-blue-") for n in names)
        review = client.AuthenticationV1Api(api).create_self_subject_review(client.V1SelfSubjectReview())
        assert review.status.user_info.username == user
        ssar = client.AuthorizationV1Api(api).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
                verb="delete", resource="pods", namespace="shop"))))
        assert ssar.status.allowed is True
    finally:
        api.close()


def test_without_credentials_401_worded_as_the_api_server(secured, kubectl_bin, tmp_path):
    ca_only = client_context(_ca_pem(secured.kubeconfig))
    assert _raw(secured.url + "/api/v1/namespaces/shop/pods", ca_only) == (401, UNAUTHORIZED)
    assert _raw(secured.url + "/api/v1/namespaces", ca_only, {"Authorization": "Bearer not-a-token"}) \
        == (401, UNAUTHORIZED)
    assert _raw(secured.url + "/version", ca_only, {"Authorization": "Basic dTpw"}) == (401, UNAUTHORIZED)
    # the sandbox's own endpoints stay open (test harness back door)
    status, info = _raw(secured.url + "/sandbox/v1/info", ca_only)
    assert status == 200 and info["tls"] is True and info["auth"] == ["cert", "token", "exec"]
    # kubectl and the official client say what they say against a real cluster
    stale = _doc(secured.kubeconfig)
    stale["users"][0]["user"] = {"token": "revoked-token"}
    path = tmp_path / "stale"
    path.write_text(yaml.safe_dump(stale))
    proc = _kubectl(kubectl_bin, path, tmp_path, "get", "pods")
    assert proc.returncode != 0 and "You must be logged in to the server" in proc.stderr, proc.stderr
    api = config.new_client_from_config(config_file=str(path))
    try:
        with pytest.raises(ApiException) as info_:
            client.CoreV1Api(api).list_namespaced_pod("shop")
        assert info_.value.status == 401 and json.loads(info_.value.body) == UNAUTHORIZED
    finally:
        api.close()


def test_forbidden_names_the_authenticated_user(secured, kubectl_bin, tmp_path):
    pod = secured.request("GET", "/api/v1/namespaces/shop/pods")[1]["items"][0]["metadata"]["name"]
    secured.set_policy([{"verb": "delete", "resource": "pods", "namespace": "shop"}])
    try:
        for method in ("cert", "token", "exec"):
            user = USERS[method][0]
            proc = _kubectl(kubectl_bin, secured.kubeconfigs[method], tmp_path, "delete", "pod", pod, "--wait=false")
            assert proc.returncode != 0
            assert (f'pods "{pod}" is forbidden: User "{user}" cannot delete resource "pods" in API group "" '
                    f'in the namespace "shop"') in proc.stderr, proc.stderr
            can = _kubectl(kubectl_bin, secured.kubeconfigs[method], tmp_path, "auth", "can-i", "delete", "pods")
            assert can.stdout.startswith("no - denied by sandbox policy rule"), can.stdout
    finally:
        secured.set_policy([])


def test_client_certificate_from_another_ca_is_refused(secured, tmp_path):
    stranger = Pki.create(tmp_path).issue_client("cert-user", ("system:masters",))
    ctx = client_context(_ca_pem(secured.kubeconfig), stranger)
    with pytest.raises((ssl.SSLError, urllib.error.URLError, ConnectionError)):
        _raw(secured.url + "/api/v1/namespaces", ctx)
    # a certificate from the sandbox CA with its own CN and O is who it says
    pki_dir = Path(_doc(secured.kubeconfig)["users"][0]["user"]["client-key"]).parent
    assert sorted(p.name for p in pki_dir.iterdir()) == ["ca.crt", "cert-user.crt", "cert-user.key", "exec.token",
                                                        "server.crt", "server.key"]


def test_server_certificate_names_and_trust(secured, kubectl_bin, tmp_path):
    main = secured.kubeconfigs["cert"]
    port = secured.port
    ok = [_variant(main, tmp_path / "localhost", server=f"https://localhost:{port}"),
          _variant(main, tmp_path / "sni", server=f"https://127.0.0.1:{port}", tls_server_name="gotui-sandbox")]
    for path in ok:
        proc = _kubectl(kubectl_bin, path, tmp_path, "get", "ns", "shop", "-o", "name")
        assert (proc.returncode, proc.stdout.strip()) == (0, "namespace/shop"), proc.stderr
    wrong_name = _variant(main, tmp_path / "wrong", tls_server_name="api.example.com")
    proc = _kubectl(kubectl_bin, wrong_name, tmp_path, "get", "ns")
    assert proc.returncode != 0 and "x509: certificate is valid for" in proc.stderr, proc.stderr
    untrusted = _variant(main, tmp_path / "untrusted", certificate_authority_data=None)
    proc = _kubectl(kubectl_bin, untrusted, tmp_path, "get", "ns")
    assert proc.returncode != 0 and "certificate signed by unknown authority" in proc.stderr, proc.stderr


def test_key_material_removed_when_the_sandbox_stops(tmp_path):
    running = start_sandbox(tmp_path / "sb", "quiet", 1, tls=True, auth="cert")
    try:
        key = Path(_doc(running.kubeconfigs["cert"])["users"][0]["user"]["client-key"])
        assert key.is_file() and key.parent.name.startswith("gotui-sandbox-")
        assert running.request("GET", "/api/v1/namespaces/shop")[0] == 200
    finally:
        running.stop()
    assert running.proc.returncode == 0
    assert not key.parent.exists()


def test_restart_with_the_same_pki_dir_is_the_same_cluster_to_its_clients(tmp_path):
    first = start_sandbox(tmp_path / "a", "quiet", 1, tls=True, auth="cert,token", pki_dir=tmp_path / "pki")
    clients = {}
    try:
        for method in ("cert", "token"):
            clients[method] = config.new_client_from_config(config_file=str(first.kubeconfigs[method]))
            assert client.CoreV1Api(clients[method]).read_namespace("shop").metadata.name == "shop"
        ca = (tmp_path / "pki" / "ca.crt").read_bytes()
        first.stop()
        second = start_sandbox(tmp_path / "b", "quiet", 1, tls=True, auth="cert,token", pki_dir=tmp_path / "pki",
                               port=first.port)
        try:
            assert (tmp_path / "pki" / "ca.crt").read_bytes() == ca
            for method, api in clients.items():  # the clients made for the first run, unchanged
                assert client.CoreV1Api(api).read_namespace("shop").metadata.name == "shop", method
        finally:
            second.stop()
        assert (tmp_path / "pki" / "ca.key").is_file()  # the caller's directory is kept
    finally:
        for api in clients.values():
            api.close()
        first.stop()


@pytest.mark.parametrize(("args", "message"), [
    (["--auth", "cert"], "--auth needs --tls"),
    (["--auth", "token"], "--auth needs --tls"),
    (["--tls", "--auth", "cert,password"], "unknown --auth method(s) ['password']"),
])
def test_bad_security_flags_refused(args, message):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.run([sys.executable, "-m", "gotui", "sandbox", "--port", "0", *args], capture_output=True,
                          text=True, timeout=60, env=env)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_exec_plugin_answers_the_version_asked(tmp_path, monkeypatch, capsys):
    token = tmp_path / "t"
    token.write_text("abc\n")
    monkeypatch.setenv("KUBERNETES_EXEC_INFO", json.dumps({"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                           "kind": "ExecCredential", "spec": {"interactive": False}}))
    assert exec_plugin.main(["--token-file", str(token)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["apiVersion"] == "client.authentication.k8s.io/v1beta1" and out["kind"] == "ExecCredential"
    assert out["status"]["token"] == "abc" and out["status"]["expirationTimestamp"].endswith("Z")
    monkeypatch.setenv("KUBERNETES_EXEC_INFO", json.dumps({"apiVersion": "client.authentication.k8s.io/v2"}))
    assert exec_plugin.main(["--token-file", str(token)]) == 1
    assert "unsupported apiVersion" in capsys.readouterr().err
    monkeypatch.delenv("KUBERNETES_EXEC_INFO")
    assert exec_plugin.main(["--token-file", str(tmp_path / "missing")]) == 1
    assert "cannot read" in capsys.readouterr().err
    token.write_text("")
    assert exec_plugin.main(["--token-file", str(token)]) == 1


def test_the_shared_fixture_follows_the_tls_switch(sandbox):
    """Test sandboxes serve TLS + client certificates unless GOTUI_TEST_SANDBOX_TLS=0 asks for plain HTTP."""
    assert sandbox.tls is tls_default()
    ctx = kubeconfig_ssl_context(sandbox.kubeconfig)
    assert (ctx is not None) is tls_default()
    status, body = sandbox.request("GET", "/apis/authentication.k8s.io/v1")
    assert status == 200 and [r["name"] for r in body["resources"]] == ["selfsubjectreviews"]
    status, review = sandbox.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                     {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert status == 201
    expected = "cert-user" if tls_default() else "system:anonymous"
    assert review["status"]["userInfo"]["username"] == expected


def test_auth_methods_and_who_a_request_is():
    from gotui.sandbox.auth import ANONYMOUS, Authenticator, parse_methods

    assert parse_methods("none") == () and parse_methods("") == ()
    assert parse_methods("all") == ("cert", "token", "exec")
    assert parse_methods("exec, cert") == ("cert", "exec")  # always in METHODS order
    with pytest.raises(ValueError, match="password"):
        parse_methods("cert,password")
    open_door = Authenticator()
    assert open_door.authenticate({"Authorization": "Bearer x"}, None) is ANONYMOUS
    auth = Authenticator(("token",))
    token = auth.new_token("token-user", ("gotui:token",))
    peer = {"subject": ((("organizationName", "team"),), (("commonName", "cert-user"),))}
    assert auth.authenticate({"Authorization": f"Bearer {token}"}, None).name == "token-user"
    assert auth.authenticate({"Authorization": f"bearer  {token} "}, None).name == "token-user"
    assert auth.authenticate({}, peer) is None  # certificates count only when cert is enabled
    assert auth.authenticate({"Authorization": "Bearer " + token[:-1]}, None) is None
    both = Authenticator(("cert", "token"))
    user = both.authenticate({"Authorization": "Bearer wrong"}, peer)  # a valid certificate wins, as upstream
    assert user is not None and (user.name, user.groups) == ("cert-user", ("team", "system:authenticated"))
    assert both.authenticate({}, {"subject": ((("organizationName", "team"),),)}) is None  # no CN: nobody
