"""The sandbox API through the official kubernetes Python client over real HTTP."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.sandbox


def _ns(api_client) -> str:
    name = f"t-{uuid.uuid4().hex[:8]}"
    client.CoreV1Api(api_client).create_namespace({"metadata": {"name": name}})
    return name


def _pod(name: str, labels: dict | None = None, node: str | None = None) -> dict:
    spec: dict = {"containers": [{"name": "app", "image": "go-api:1.4.2", "ports": [{"containerPort": 8080}]}]}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "labels": labels or {"app": "t"}}, "spec": spec}


def _deployment(name: str, labels: dict, template_labels: dict | None = None, replicas: int = 2) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": template_labels or labels},
                         "spec": {"containers": [{"name": "app", "image": "go-api:1.4.2"}]}},
        },
    }


def test_list_returns_typed_pods_filtered_by_labels(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    for i, colour in enumerate(["blue", "green", "blue"]):
        core.create_namespaced_pod(ns, _pod(f"web-{i}", {"app": "web", "version": colour}))
    pods = core.list_namespaced_pod(ns)
    assert [p.metadata.name for p in pods.items] == ["web-0", "web-1", "web-2"]
    assert all(isinstance(p, client.V1Pod) for p in pods.items)
    assert int(pods.metadata.resource_version) >= 3
    blue = core.list_namespaced_pod(ns, label_selector="app=web,version in (blue)")
    assert [p.metadata.name for p in blue.items] == ["web-0", "web-2"]
    not_blue = core.list_namespaced_pod(ns, label_selector="version!=blue")
    assert [p.metadata.name for p in not_blue.items] == ["web-1"]
    by_name = core.list_namespaced_pod(ns, field_selector="metadata.name=web-1")
    assert [p.metadata.name for p in by_name.items] == ["web-1"]
    everywhere = core.list_pod_for_all_namespaces(label_selector="app=web")
    assert {p.metadata.name for p in everywhere.items if p.metadata.namespace == ns} == {"web-0", "web-1", "web-2"}
    one = core.read_namespaced_pod("web-0", ns)
    assert one.metadata.uid and one.metadata.creation_timestamp is not None
    assert one.status.phase == "Pending"


def test_watch_streams_added_modified_deleted_from_list_rv(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    listed = core.list_namespaced_config_map(ns)
    seen: list[tuple[str, str, str]] = []
    done = threading.Event()

    def consume():
        w = watch.Watch()
        for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=listed.metadata.resource_version,
                           timeout_seconds=10):
            seen.append((ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("step", "")))
            if ev["type"] == "DELETED":
                w.stop()
        done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    time.sleep(0.3)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "w1"}, "data": {"step": "one"}})
    core.patch_namespaced_config_map("w1", ns, {"data": {"step": "two"}})
    core.delete_namespaced_config_map("w1", ns)
    assert done.wait(15), seen
    assert seen == [("ADDED", "w1", "one"), ("MODIFIED", "w1", "two"), ("DELETED", "w1", "two")]


def test_watch_with_label_selector_sees_objects_leave_and_enter(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "c", "labels": {"tier": "a"}}})
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.patch_namespaced_config_map("c", ns, {"metadata": {"labels": {"tier": "b"}}})
    core.patch_namespaced_config_map("c", ns, {"metadata": {"labels": {"tier": "a"}}})
    core.patch_namespaced_config_map("c", ns, {"data": {"k": "v"}})
    events = [(e["type"], e["object"].metadata.labels["tier"]) for e in watch.Watch().stream(
        core.list_namespaced_config_map, ns, label_selector="tier=a", resource_version=rv, timeout_seconds=1)]
    assert events == [("DELETED", "b"), ("ADDED", "a"), ("MODIFIED", "a")]


def test_watch_from_old_but_retained_rv_replays_history(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    rv = core.list_namespaced_config_map(ns).metadata.resource_version
    for i in range(300):
        core.create_namespaced_config_map(ns, {"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}})
    names = [e["object"].metadata.name for e in watch.Watch().stream(
        core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=1)]
    assert names == [f"cm-{i}" for i in range(300)]


def test_watch_expired_rv_gives_410_then_relist_and_watch_works(fresh_sandbox):
    sbx = fresh_sandbox()
    core = client.CoreV1Api(sbx.api_client)
    ns = _ns(sbx.api_client)
    old_rv = core.list_namespaced_config_map(ns).metadata.resource_version
    core.create_namespaced_config_map(ns, {"metadata": {"name": "before"}})
    sbx.compact()
    # the raw stream: 200, then one ERROR event carrying a 410 Expired Status
    resp = core.list_namespaced_config_map(ns, watch=True, resource_version=old_rv, timeout_seconds=5,
                                    _preload_content=False)
    lines = [json.loads(line) for line in resp.read().decode().splitlines() if line.strip()]
    assert resp.status == 200
    assert lines == [{"type": "ERROR", "object": lines[0]["object"]}]
    assert lines[0]["object"]["code"] == 410 and lines[0]["object"]["reason"] == "Expired"
    # without timeout_seconds the client retries once with the same RV, then raises 410
    raised: list[ApiException] = []

    def stream_expired():
        try:
            list(watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=old_rv))
        except ApiException as err:
            raised.append(err)

    worker = threading.Thread(target=stream_expired, daemon=True)
    worker.start()
    worker.join(15)
    assert [e.status for e in raised] == [410]
    # relist + watch from the new RV
    relisted = core.list_namespaced_config_map(ns)
    assert [p.metadata.name for p in relisted.items] == ["before"]
    got: list[str] = []

    def consume():
        for ev in watch.Watch().stream(core.list_namespaced_config_map, ns, resource_version=relisted.metadata.resource_version,
                                       timeout_seconds=5):
            got.append(f"{ev['type']} {ev['object'].metadata.name}")
            break

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    time.sleep(0.3)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "after"}})
    thread.join(10)
    assert got == ["ADDED after"]


def test_strategic_merge_patch_on_service_merges_selector(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    core.create_namespaced_service(ns, {
        "metadata": {"name": "go-api"},
        "spec": {"selector": {"app": "go-api", "version": "blue"},
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    patched = core.patch_namespaced_service("go-api", ns, {"spec": {"selector": {"version": "green"}}})
    assert patched.spec.selector == {"app": "go-api", "version": "green"}
    assert patched.spec.cluster_ip and patched.spec.ports[0].target_port == 8080
    # ports merge by `port`: a patch of one port keeps its other fields
    patched = core.patch_namespaced_service("go-api", ns, {"spec": {"ports": [{"port": 80, "name": "web"}]}})
    assert [(p.name, p.port, p.target_port) for p in patched.spec.ports] == [("web", 80, 8080)]
    # null deletes a key
    patched = core.patch_namespaced_service("go-api", ns, {"spec": {"selector": {"version": None}}})
    assert patched.spec.selector == {"app": "go-api"}
    # a list body is a JSON patch
    patched = core.patch_namespaced_service("go-api", ns, [
        {"op": "add", "path": "/spec/selector/version", "value": "blue"},
        {"op": "add", "path": "/metadata/annotations", "value": {"gotui/previous": "green"}}])
    assert patched.spec.selector == {"app": "go-api", "version": "blue"}
    assert patched.metadata.annotations == {"gotui/previous": "green"}
    # a resourceVersion in a patch is a precondition
    stale = {"metadata": {"resourceVersion": "1"}, "spec": {"selector": {"version": "x"}}}
    with pytest.raises(ApiException) as exc:
        core.patch_namespaced_service("go-api", ns, stale)
    assert exc.value.status == 409 and json.loads(exc.value.body)["reason"] == "Conflict"


def test_strategic_merge_containers_by_name_and_generation(sandbox):
    apps = client.AppsV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    created = apps.create_namespaced_deployment(ns, _deployment("api", {"app": "api"}))
    assert created.metadata.generation == 1
    body = {"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "app"}],
                                           "containers": [{"name": "app", "image": "go-api:1.5.0"}]}}}}
    patched = apps.patch_namespaced_deployment("api", ns, body)
    assert [(c.name, c.image) for c in patched.spec.template.spec.containers] == [("app", "go-api:1.5.0")]
    assert patched.metadata.generation == 2
    # metadata-only change: generation unchanged
    patched = apps.patch_namespaced_deployment("api", ns, {"metadata": {"annotations": {"a": "b"}}})
    assert patched.metadata.generation == 2
    scale = apps.patch_namespaced_deployment_scale("api", ns, {"spec": {"replicas": 5}})
    assert scale.spec.replicas == 5 and scale.status.selector == "app=api"
    assert apps.read_namespaced_deployment("api", ns).spec.replicas == 5


def test_create_get_delete_and_error_statuses(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    apps = client.AppsV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"k": "v"}})
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}})
    body = json.loads(exc.value.body)
    assert (exc.value.status, body["reason"], body["kind"]) == (409, "AlreadyExists", "Status")
    with pytest.raises(ApiException) as exc:
        apps.read_namespaced_deployment("nope", ns)
    body = json.loads(exc.value.body)
    assert exc.value.status == 404
    assert body["message"] == 'deployments.apps "nope" not found'
    assert body["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}
    with pytest.raises(ApiException) as exc:
        apps.create_namespaced_deployment(ns, _deployment("bad", {"app": "a"}, {"app": "b"}))
    body = json.loads(exc.value.body)
    assert (exc.value.status, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "spec.template.metadata.labels"
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map(ns, {"metadata": {}})
    assert exc.value.status == 422
    assert json.loads(exc.value.body)["details"]["causes"][0]["field"] == "metadata.name"
    gen = core.create_namespaced_config_map(ns, {"metadata": {"generateName": "gen-"}})
    assert gen.metadata.name.startswith("gen-") and len(gen.metadata.name) == 9
    core.create_namespaced_pod(ns, _pod("short-lived"))
    core.delete_namespaced_pod("short-lived", ns)
    assert [p.metadata.name for p in core.list_namespaced_pod(ns).items] == []
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("no-such-ns", {"metadata": {"name": "x"}})
    assert exc.value.status == 404


def test_stale_update_conflicts(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    first = core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"n": "1"}})
    first.data = {"n": "2"}
    updated = core.replace_namespaced_config_map("cfg", ns, first)
    assert updated.data == {"n": "2"}
    assert int(updated.metadata.resource_version) > int(first.metadata.resource_version)
    first.data = {"n": "3"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_config_map("cfg", ns, first)
    body = json.loads(exc.value.body)
    assert exc.value.status == 409 and body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]
    assert core.read_namespaced_config_map("cfg", ns).data == {"n": "2"}


def test_graceful_pod_delete_terminates_then_disappears(sandbox):
    core = client.CoreV1Api(sandbox.api_client)
    ns = _ns(sandbox.api_client)
    core.create_namespaced_pod(ns, _pod("slow", node="node-1"))
    deleted = core.delete_namespaced_pod("slow", ns)
    assert deleted.metadata.deletion_timestamp is not None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and core.list_namespaced_pod(ns).items:
        time.sleep(0.2)
    assert core.list_namespaced_pod(ns).items == []


def test_ssar_allow_and_deny_and_enforcement(fresh_sandbox):
    sbx = fresh_sandbox()
    authz = client.AuthorizationV1Api(sbx.api_client)
    core = client.CoreV1Api(sbx.api_client)
    ns = _ns(sbx.api_client)
    core.create_namespaced_pod(ns, _pod("keep"))

    def review(verb: str, resource: str, namespace: str) -> bool:
        body = client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
            resource_attributes=client.V1ResourceAttributes(verb=verb, resource=resource, namespace=namespace)))
        return authz.create_self_subject_access_review(body).status.allowed

    assert review("delete", "pods", ns) is True
    sbx.set_policy([{"verb": "delete", "resource": "pods", "namespace": ns}])
    assert review("delete", "pods", ns) is False
    assert review("delete", "pods", "default") is True
    assert review("get", "pods", ns) is True
    with pytest.raises(ApiException) as exc:
        core.delete_namespaced_pod("keep", ns)
    body = json.loads(exc.value.body)
    assert exc.value.status == 403 and body["reason"] == "Forbidden"
    assert "cannot delete resource \"pods\"" in body["message"]
    sbx.set_policy([])
    assert review("delete", "pods", ns) is True
    core.delete_namespaced_pod("keep", ns)


def test_hpa_endpointslices_events_secrets_round_trip(sandbox):
    ns = _ns(sandbox.api_client)
    auto = client.AutoscalingV2Api(sandbox.api_client)
    hpa = auto.create_namespaced_horizontal_pod_autoscaler(ns, {
        "metadata": {"name": "api"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
                 "minReplicas": 2, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                                                                "target": {"type": "Utilization", "averageUtilization": 70}}}]}})
    assert hpa.status.desired_replicas == 0
    listed = auto.list_namespaced_horizontal_pod_autoscaler(ns)
    assert [h.spec.max_replicas for h in listed.items] == [10]
    disc = client.DiscoveryV1Api(sandbox.api_client)
    disc.create_namespaced_endpoint_slice(ns, {"metadata": {"name": "api-x"}, "addressType": "IPv4",
                                               "endpoints": [{"addresses": ["10.0.0.1"]}]})
    assert [s.address_type for s in disc.list_namespaced_endpoint_slice(ns).items] == ["IPv4"]
    core = client.CoreV1Api(sandbox.api_client)
    core.create_namespaced_secret(ns, {"metadata": {"name": "s"}, "stringData": {"token": "abc"}})
    assert core.read_namespaced_secret("s", ns).data == {"token": "YWJj"}
    core.create_namespaced_event(ns, {"metadata": {"name": "e1"}, "involvedObject": {"kind": "Pod", "name": "x",
                                                                                     "namespace": ns},
                                      "reason": "Started", "message": "hello"})
    evs = core.list_namespaced_event(ns, field_selector="involvedObject.name=x")
    assert [e.reason for e in evs.items] == ["Started"]


def test_every_object_of_the_default_scenario_fits_the_typed_models(fresh_sandbox):
    """The typed models raise ValueError on a missing required field: list everything through them."""
    sbx = fresh_sandbox("default")
    api = sbx.api_client
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    auto, disc = client.AutoscalingV2Api(api), client.DiscoveryV1Api(api)

    def running_pods() -> int:
        return sum(1 for p in core.list_namespaced_pod("shop").items if p.status.phase == "Running")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and running_pods() < 7:
        time.sleep(0.3)
    time.sleep(2)  # let a crash loop and the HPA write their statuses
    counts = {
        "namespaces": len(core.list_namespace().items),
        "pods": len(core.list_pod_for_all_namespaces().items),
        "services": len(core.list_service_for_all_namespaces().items),
        "endpoints": len(core.list_endpoints_for_all_namespaces().items),
        "events": len(core.list_event_for_all_namespaces().items),
        "secrets": len(core.list_secret_for_all_namespaces().items),
        "configmaps": len(core.list_config_map_for_all_namespaces().items),
        "deployments": len(apps.list_deployment_for_all_namespaces().items),
        "replicasets": len(apps.list_replica_set_for_all_namespaces().items),
        "hpa": len(auto.list_horizontal_pod_autoscaler_for_all_namespaces().items),
        "endpointslices": len(disc.list_endpoint_slice_for_all_namespaces().items),
        "statefulsets": len(apps.list_stateful_set_for_all_namespaces().items),
        "daemonsets": len(apps.list_daemon_set_for_all_namespaces().items),
        "controllerrevisions": len(apps.list_controller_revision_for_all_namespaces().items),
    }
    # the infra namespace: a StatefulSet and a DaemonSet, one ControllerRevision each at least
    assert (counts["statefulsets"], counts["daemonsets"]) == (1, 1) and counts["controllerrevisions"] >= 2
    assert counts["pods"] >= 7 and counts["deployments"] >= 3 and counts["hpa"] == 2
    assert counts["events"] > 0 and counts["endpoints"] >= 1 and counts["endpointslices"] >= 1
    assert counts["secrets"] >= 3  # Helm release storage
    for pod in core.list_namespaced_pod("shop").items:
        for cs in pod.status.container_statuses or []:
            assert cs.name and cs.image and cs.image_id is not None and cs.restart_count is not None
    # watch-replay of the whole history decodes too
    rv = sbx.info()["oldestResourceVersion"]
    n = sum(1 for _ in watch.Watch().stream(core.list_pod_for_all_namespaces, resource_version=rv, timeout_seconds=1))
    assert n >= counts["pods"]
