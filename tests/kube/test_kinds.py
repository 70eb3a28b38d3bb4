"""The kinds registry (filled from discovery) and the generic Table access, against the sandbox with the
official client; kubectl is the oracle for what discovery lists and for the Table columns."""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest
from kubernetes import client

from gotui.kube.kinds import build_registry, discover
from gotui.kube.resources import TableWatcher, list_table

pytestmark = pytest.mark.sandbox


def kubectl(sb, *args: str) -> str:  # noqa: ANN001
    env = dict(os.environ, KUBECONFIG=str(sb.kubeconfig), HOME=str(sb.kubeconfig.parent))
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, check=True, env=env, timeout=60).stdout


def wait_for(pred, timeout=15.0, what="condition"):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_registry_lists_what_kubectl_lists(sandbox):
    reg = discover(sandbox.api_client)
    assert not reg.errors
    ours = {k.group_resource for k in reg}
    theirs = set(kubectl(sandbox, "api-resources", "-o", "name").split())
    assert ours == theirs
    deploy = reg.lookup("deploy")
    assert deploy is not None and (deploy.group, deploy.version, deploy.kind, deploy.namespaced) == \
        ("apps", "v1", "Deployment", True)
    assert "scale" not in deploy.resource and "list" in deploy.verbs and "all" in deploy.categories
    ns = reg.lookup("ns")
    assert ns is not None and not ns.namespaced and ns.path() == "/api/v1/namespaces"


@pytest.mark.parametrize(("alias", "expected"), [
    ("po", "pods"), ("pod", "pods"), ("Pods", "pods"), ("deploy", "deployments.apps"), ("dp", "deployments.apps"),
    ("deployment", "deployments.apps"), ("deployments.apps", "deployments.apps"), ("deployments.v1.apps", "deployments.apps"),
    ("rs", "replicasets.apps"), ("svc", "services"), ("ep", "endpoints"), ("ev", "events"), ("ns", "namespaces"),
    ("cm", "configmaps"), ("sec", "secrets"), ("secret", "secrets"), ("hpa", "horizontalpodautoscalers.autoscaling"),
    ("HorizontalPodAutoscaler", "horizontalpodautoscalers.autoscaling"),
    ("endpointslice", "endpointslices.discovery.k8s.io"),
    ("sts", "statefulsets.apps"), ("ds", "daemonsets.apps"), ("crd", "customresourcedefinitions.apiextensions.k8s.io"),
])
def test_lookup_by_every_alias(sandbox, alias, expected):
    kind = discover(sandbox.api_client).lookup(alias)
    assert kind is not None and kind.group_resource == expected


def test_the_well_known_kinds_are_what_discovery_says(sandbox):
    """The registry's static part (the watch cache's and the operations' kinds, by plural) addresses
    every kind where the server's discovery puts it."""
    from gotui.kube.kinds import WELL_KNOWN
    from gotui.sources.kube_source import KINDS
    from gotui.sources.kube_wire import object_path

    reg = discover(sandbox.api_client)
    checked = 0
    for known in WELL_KNOWN:
        served = reg.lookup(known.group_resource)
        if served is None:  # the sandbox serves no StatefulSets/DaemonSets
            assert known.resource not in KINDS and known.group == "apps", known.group_resource
            continue
        checked += 1
        assert (served.kind, served.namespaced) == (known.kind, known.namespaced)
        assert object_path(known.resource, "ns", "x") == served.path("ns", "x")
    assert set(KINDS) <= {k.resource for k in WELL_KNOWN} and checked >= len(KINDS) + 1


def test_unknown_and_unserved_names(sandbox):
    reg = discover(sandbox.api_client)
    assert reg.lookup("nosuch") is None
    assert reg.lookup("job") is None  # a k9s alias, but the sandbox serves no Jobs
    assert reg.lookup("pods/log") is None  # subresources are not kinds
    assert reg.complete("de")[0] == "deploy"


def test_registry_takes_any_group_discovery_lists():
    """A CRD's group needs no code: what discovery lists is a kind (k9s aliases only for what exists)."""
    docs = [
        {"groupVersion": "v1", "resources": [
            {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": ["list"], "shortNames": ["po"]},
            {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
            {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event", "verbs": ["list"], "shortNames": ["ev"]}]},
        {"groupVersion": "stable.example.com/v1", "resources": [
            {"name": "crontabs", "singularName": "crontab", "namespaced": True, "kind": "CronTab",
             "verbs": ["get", "list", "watch", "delete"], "shortNames": ["ct"], "categories": ["all"]}]},
        {"groupVersion": "events.k8s.io/v1", "resources": [
            {"name": "events", "singularName": "event", "namespaced": True, "kind": "Event", "verbs": ["list"], "shortNames": ["ev"]}]},
    ]
    reg = build_registry(docs)
    ct = reg.lookup("ct")
    assert ct is not None and ct.group_resource == "crontabs.stable.example.com"
    assert reg.lookup("CronTab") == ct and reg.lookup("crontabs.stable.example.com") == ct
    assert ct.path("ns1", "x") == "/apis/stable.example.com/v1/namespaces/ns1/crontabs/x"
    assert reg.lookup("ev").group == ""  # the core group wins a shared plural
    assert reg.lookup("events.events.k8s.io").group == "events.k8s.io"
    assert reg.lookup("pods/log") is None and len(reg) == 4


def test_table_columns_match_kubectl_get(sandbox):
    reg = discover(sandbox.api_client)
    for name in ("deploy", "svc", "cm", "hpa"):
        kind = reg.lookup(name)
        cols, rows, rv = list_table(sandbox.api_client, kind, "shop")
        header = kubectl(sandbox, "get", kind.group_resource, "-n", "shop").splitlines()[0].split()
        ours = " ".join(c.name.upper() for c in cols if not c.priority).split()
        assert ours == header, name
        assert rv and rows and all(r.namespace == "shop" for r in rows)


def test_table_watcher_lists_then_follows_changes(fresh_sandbox):
    sb = fresh_sandbox("quiet")
    core = client.CoreV1Api(sb.api_client)
    kind = discover(sb.api_client).lookup("cm")
    changed = threading.Event()
    w = TableWatcher(sb.api_client, kind, "shop", changed.set, watch_timeout=60)
    w.start()
    try:
        wait_for(lambda: w.state == "live", what="listed")
        reset, _ = w.take()
        assert reset
        core.create_namespaced_config_map("shop", {"metadata": {"name": "live-one"}, "data": {"a": "1", "b": "2"}})
        wait_for(lambda: ("shop", "live-one") in w.rows, what="added by the watch")
        assert w.rows[("shop", "live-one")].cells[:2] == ["live-one", "2"]
        reset, keys = w.take()
        assert not reset and ("shop", "live-one") in keys
        core.patch_namespaced_config_map("live-one", "shop", {"data": {"c": "3"}})
        wait_for(lambda: w.rows[("shop", "live-one")].cells[1] == "3", what="modified")
        # an expired resourceVersion (410) relists and the rows stay right
        sb.compact()
        w.stop()
        w2 = TableWatcher(sb.api_client, kind, "shop", lambda: None, watch_timeout=60)
        w2.resource_version = "1"
        w2.start()
        core.delete_namespaced_config_map("live-one", "shop")
        wait_for(lambda: w2.state == "live" and w2.rows and ("shop", "live-one") not in w2.rows, what="relisted")
        w2.stop()
    finally:
        w.stop()
