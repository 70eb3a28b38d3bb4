"""The sandbox's patch engines and selector parsers (pure functions behind the API)."""

from __future__ import annotations

import pytest

from gotui.sandbox.errors import ApiError
from gotui.sandbox.patch import apply_patch, json_patch, merge_patch, strategic_merge
from gotui.sandbox.selectors import label_selector_string, parse_field_selector, parse_label_selector
from gotui.sandbox.store import ObjectStore

POD_SPEC = {"containers": [
    {"name": "app", "image": "a:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
     "ports": [{"containerPort": 8080, "protocol": "TCP"}], "volumeMounts": [{"name": "v", "mountPath": "/data"}]},
    {"name": "side", "image": "s:1"}]}


def test_smp_merges_containers_env_and_ports_by_key():
    patch = {"containers": [{"name": "app", "image": "a:2", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                             "ports": [{"containerPort": 8080, "name": "http"}]}]}
    out = strategic_merge(POD_SPEC, patch)
    app, side = out["containers"]
    assert (app["image"], side["image"]) == ("a:2", "s:1")
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}]
    assert app["ports"] == [{"containerPort": 8080, "protocol": "TCP", "name": "http"}]
    assert app["volumeMounts"] == [{"name": "v", "mountPath": "/data"}]
    assert POD_SPEC["containers"][0]["image"] == "a:1"  # input untouched


def test_smp_directives():
    out = strategic_merge(POD_SPEC, {"containers": [{"name": "side", "$patch": "delete"}]})
    assert [c["name"] for c in out["containers"]] == ["app"]
    out = strategic_merge(POD_SPEC, {"containers": [{"name": "only", "image": "o:1"}, {"$patch": "replace"}]})
    assert out["containers"] == [{"name": "only", "image": "o:1"}]
    out = strategic_merge({"spec": {"a": 1, "b": 2}}, {"spec": {"$patch": "replace", "c": 3}})
    assert out == {"spec": {"c": 3}}
    out = strategic_merge(POD_SPEC, {"$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
                                     "containers": [{"name": "app", "image": "a:3"}]})
    assert [(c["name"], c["image"]) for c in out["containers"]] == [("side", "s:1"), ("app", "a:3")]
    meta = strategic_merge({"finalizers": ["a", "b"]}, {"$deleteFromPrimitiveList/finalizers": ["a"]})
    assert meta == {"finalizers": ["b"]}
    assert strategic_merge({"finalizers": ["a"]}, {"finalizers": ["b"]}) == {"finalizers": ["a", "b"]}
    # lists without a merge key replace; service ports merge by port
    assert strategic_merge({"args": ["x", "y"]}, {"args": ["z"]}) == {"args": ["z"]}
    svc = {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]}
    assert strategic_merge(svc, {"ports": [{"port": 443, "name": "tls"}]})["ports"][1] == \
        {"port": 443, "targetPort": 8443, "name": "tls"}
    conds = {"conditions": [{"type": "Ready", "status": "False"}, {"type": "Scheduled", "status": "True"}]}
    assert strategic_merge(conds, {"conditions": [{"type": "Ready", "status": "True"}]})["conditions"][0] == \
        {"type": "Ready", "status": "True"}


def test_merge_patch_rfc7386():
    assert merge_patch({"a": {"b": 1, "c": 2}, "l": [1, 2]}, {"a": {"b": None, "d": 3}, "l": [3]}) == \
        {"a": {"c": 2, "d": 3}, "l": [3]}
    assert merge_patch({"a": 1}, {"a": {"x": None}}) == {"a": {}}


def test_json_patch_rfc6902():
    doc = {"spec": {"template": {"x": 1}}, "metadata": {"annotations": {"a": "1"}}, "l": [1, 2, 3]}
    out = json_patch(doc, [{"op": "replace", "path": "/spec/template", "value": {"y": 2}},
                           {"op": "add", "path": "/l/-", "value": 4}, {"op": "remove", "path": "/l/0"},
                           {"op": "copy", "from": "/l/0", "path": "/first"}, {"op": "move", "from": "/first", "path": "/moved"},
                           {"op": "test", "path": "/moved", "value": 2},
                           {"op": "add", "path": "/metadata/annotations/a~1b", "value": "slash"}])
    assert out == {"spec": {"template": {"y": 2}}, "metadata": {"annotations": {"a": "1", "a/b": "slash"}},
                   "l": [2, 3, 4], "moved": 2}
    for bad in ([{"op": "replace", "path": "/nope", "value": 1}], [{"op": "test", "path": "/l", "value": 0}],
                [{"op": "remove", "path": "/spec/zz"}]):
        with pytest.raises(ApiError) as exc:
            json_patch(doc, bad)
        assert exc.value.code == 422
    with pytest.raises(ApiError) as exc:
        json_patch(doc, {"op": "add"})
    assert exc.value.code == 400
    with pytest.raises(ApiError) as exc:
        apply_patch("application/xml", doc, {})
    assert exc.value.code == 415


def test_label_selectors():
    labels = {"app": "web", "version": "blue", "tier": "fe"}
    def match(sel: str) -> bool:
        return parse_label_selector(sel)(labels)
    assert match("app=web") and match("app==web") and match("version!=green") and match("tier")
    assert match("!missing") and match("version in (blue, green)") and match("version notin (green)")
    assert match("app=web,version in (blue),!gone")
    assert not match("app=api") and not match("missing") and not match("!tier") and not match("version notin (blue)")
    assert parse_label_selector("") is None
    with pytest.raises(ApiError):
        parse_label_selector("a in (")
    sel = {"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [{"key": "c", "operator": "In", "values": ["x", "y"]},
                                                                    {"key": "d", "operator": "DoesNotExist"}]}
    assert label_selector_string(sel) == "a=1,b=2,c in (x,y),!d"


def test_field_selectors():
    pod = {"metadata": {"name": "p", "namespace": "shop"}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}}
    assert parse_field_selector("pods", "metadata.name=p,status.phase=Running")(pod)
    assert parse_field_selector("pods", "spec.nodeName!=n2")(pod)
    assert not parse_field_selector("pods", "status.phase=Pending")(pod)
    ev = {"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"}, "source": {"component": "kubelet"}}
    assert parse_field_selector("events", "involvedObject.kind=Pod,involvedObject.name=p,source=kubelet")(ev)
    with pytest.raises(ApiError) as exc:
        parse_field_selector("configmaps", "data.x=1")
    assert exc.value.code == 400


def test_store_history_subscribers_and_gc():
    store = ObjectStore(history_size=5)
    seen = []
    store.subscribe(lambda etype, resource, obj: seen.append((etype, resource, obj["metadata"]["name"])))
    store.create("namespaces", {"metadata": {"name": "n"}})
    dep = store.create("deployments", {"metadata": {"name": "d", "namespace": "n"}, "spec": {
        "selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}}})
    rs = store.create("replicasets", {"metadata": {"name": "d-1", "namespace": "n", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": dep["metadata"]["uid"], "controller": True}]},
        "spec": dep["spec"]})
    assert rs["spec"]["template"] == store.get("deployments", "n", "d")["spec"]["template"]
    rv = int(store.resource_version)
    unchanged = store.update("deployments", dict(store.get("deployments", "n", "d")))
    assert int(store.resource_version) == rv and unchanged["metadata"]["generation"] == 1
    store.delete("deployments", "n", "d")
    assert store.get("replicasets", "n", "d-1") is None
    assert seen[-2:] == [("DELETED", "deployments", "d"), ("DELETED", "replicasets", "d-1")]
    for i in range(6):
        store.create("configmaps", {"metadata": {"name": f"c{i}", "namespace": "n"}})
    with pytest.raises(ApiError) as exc:
        store.history_since(rv, "configmaps")
    assert exc.value.code == 410 and exc.value.reason == "Expired"
    assert [e.type for e in store.history_since(int(store.resource_version) - 2, "configmaps")] == ["ADDED", "ADDED"]
    # a quiet resource keeps its own history: the deployment's events are still replayable
    assert [e.type for e in store.history_since(rv, "deployments")] == ["DELETED"]


def test_gc_follows_owner_references_as_they_change():
    """Garbage collection by owner uid (an index, not a scan of every object per delete): dependents go
    with their owner, cascading, in its namespace only; an orphaned object (ref removed) stays."""
    store = ObjectStore()
    for ns in ("n", "m"):
        store.create("namespaces", {"metadata": {"name": ns}})

    def rs(name, ns="n", owner=None):
        meta = {"name": name, "namespace": ns}
        if owner is not None:
            meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner["metadata"]["name"],
                                        "uid": owner["metadata"]["uid"], "controller": True}]
        return store.create("configmaps", {"metadata": meta})

    root = rs("root")
    children = [rs(f"child-{i}", owner=root) for i in range(300)]
    grandchild = rs("grandchild", owner=children[0])
    elsewhere = rs("same-uid-other-ns", ns="m", owner=root)
    rs("orphan", owner=root)
    orphan = dict(store.get("configmaps", "n", "orphan"))
    orphan["metadata"] = {k: v for k, v in orphan["metadata"].items() if k != "ownerReferences"}
    store.update("configmaps", orphan)
    store.delete("configmaps", "n", "root")
    names = {o["metadata"]["name"] for o in store.list("configmaps", "n")[0]}
    assert names == {"orphan"}  # 300 children and the grandchild (cascade) are gone
    assert store.get("configmaps", "m", "same-uid-other-ns") is not None
    assert grandchild["metadata"]["name"] == "grandchild" and elsewhere is not None
