"""The one client module: the kubeconfig is parsed once per (file set, mtime) per process, whoever asks
(the TUI's connect, the context picker, the headless commands); a changed file is read again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from fixtures.pilot import until
from gotui.config import Settings
from gotui.sources.kube_source import list_contexts, make_api_client

KUBECONFIG = """\
apiVersion: v1
kind: Config
current-context: one
clusters:
- name: c
  cluster: {server: "http://127.0.0.1:9"}
users:
- name: u
  user: {token: abc}
contexts:
- name: one
  context: {cluster: c, user: u, namespace: ns1}
"""


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every yaml.safe_load of a kubeconfig's text in this process, counted."""
    seen: list[str] = []
    real = yaml.safe_load

    def counting(stream, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        text = stream if isinstance(stream, str) else ""
        if "contexts:" in text and "clusters:" in text:
            seen.append(text)
        return real(stream, *a, **kw)

    monkeypatch.setattr(yaml, "safe_load", counting)
    return seen


def test_one_parse_per_file_version(tmp_path: Path, parses: list[str]) -> None:
    kc = tmp_path / "config"
    kc.write_text(KUBECONFIG)
    assert [c.name for c in list_contexts(str(kc))] == ["one"]  # the context picker
    for _ in range(3):  # connect, reconnect, a headless command in the same process
        _, ctx, ns = make_api_client(str(kc))
        assert (ctx, ns) == ("one", "ns1")
    make_api_client(str(kc), "one")
    assert len(parses) == 1

    # the file changes on disk (the operator switched the current context): read again, once
    kc.write_text(KUBECONFIG + "- name: two\n  context: {cluster: c, user: u, namespace: ns2}\n")
    st = kc.stat()
    os.utime(kc, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert [c.name for c in list_contexts(str(kc))] == ["one", "two"]
    assert make_api_client(str(kc), "two")[1:] == ("two", "ns2")
    assert len(parses) == 2


def test_broken_kubeconfig_still_named_with_its_line(tmp_path: Path) -> None:
    from gotui.sources.kube_source import KubeConfigProblem

    kc = tmp_path / "config"
    kc.write_text("clusters: [\ncontexts: x\n")
    with pytest.raises(KubeConfigProblem, match=r"config, line \d+"):
        make_api_client(str(kc))


@pytest.mark.sandbox
@pytest.mark.timeout(60)
async def test_tui_start_and_a_headless_command_parse_the_kubeconfig_once(sandbox, tmp_path: Path,
                                                                          parses: list[str]) -> None:
    from gotui.commands.cutover import connect
    from gotui.ui.app import GotuiApp

    kc = tmp_path / "kubeconfig"  # a private copy: the session sandbox's file may be cached already
    kc.write_text(Path(sandbox.kubeconfig).read_text())
    settings = Settings(audit_log=tmp_path / "audit.jsonl", kubeconfig=str(kc),
                        docker_host=f"unix://{tmp_path}/no-docker.sock", config_path=tmp_path / "c.yaml")
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: (b := app.services.get("kube")) is not None and b.state == "connected",
                    what="connected to the sandbox")
        assert len(parses) == 1
    import io

    assert connect(settings, "status", io.StringIO()) is not None
    assert len(parses) == 1


def deployment(name: str, paused: bool) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "paused": paused, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "app", "image": "go-api:1.4.2"}]}}}}


@pytest.mark.sandbox
@pytest.mark.timeout(60)
def test_the_pods_pane_restart_is_the_one_rollout_restart(sandbox, tmp_path: Path) -> None:
    """The Pods pane's R goes through `workload.restart` like the releases pane and `gotui` commands:
    kubectl's refusal of a paused Deployment, and the audit's before/after restartedAt."""
    from gotui.ops.pods import restart_deployment, restart_deployment_action
    from gotui.ops.rollout import RolloutError

    ns = "oneclient-restart"
    assert sandbox.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})[0] in (201, 409)
    for name, paused in (("live", False), ("held", True)):
        status, _ = sandbox.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(name, paused))
        assert status in (201, 409)
    api, ctx, _ = make_api_client(str(sandbox.kubeconfig))
    settings = Settings(audit_log=tmp_path / "audit.jsonl", config_path=tmp_path / "c.yaml")
    with pytest.raises(RolloutError, match="can't restart paused deployment"):
        restart_deployment(api, restart_deployment_action(ns, "held", ctx), settings)
    out = restart_deployment(api, restart_deployment_action(ns, "live", ctx), settings)
    assert out == "deployment.apps/live restarted"
    after = getattr(out, "after", None) or {}
    _, dep = sandbox.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/live")
    assert after["restartedAt"] == dep["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
