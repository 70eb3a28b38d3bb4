"""In-process checks of the sandbox's StatefulSet/DaemonSet/CRD pieces (no HTTP): CRD validation and
registration, custom objects removed with their CRD, printer-column JSONPaths, daemon pod placement
rules, StatefulSet ordinals and the Table cells kubectl prints."""

from __future__ import annotations

import pytest

from gotui.sandbox import crds, resources, tables
from gotui.sandbox.controllers.daemonset import eligible
from gotui.sandbox.controllers.statefulset import ordinal
from gotui.sandbox.errors import ApiError
from gotui.sandbox.store import ObjectStore


def crd(plural: str = "widgets", group: str = "unit.example.com", **spec) -> dict:
    return {"metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": "Namespaced",
                     "names": {"plural": plural, "kind": "Widget", "shortNames": ["wd"]},
                     "versions": [{"name": "v1", "served": True, "storage": True, "additionalPrinterColumns": [
                         {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                         {"name": "Owner", "type": "string", "jsonPath": ".metadata.labels['owner']"}]}],
                     **spec}}


def test_crd_registers_its_kind_and_takes_its_objects_when_deleted():
    store = ObjectStore(seed=1)
    made = store.create("customresourcedefinitions", crd())
    try:
        assert made["spec"]["names"]["listKind"] == "WidgetList" and made["spec"]["names"]["singular"] == "widget"
        assert {c["type"] for c in made["status"]["conditions"]} == {"NamesAccepted", "Established"}
        info = resources.RESOURCES["widgets"]
        assert (info.group, info.version, info.kind, info.short_names) == ("unit.example.com", "v1", "Widget", ("wd",))
        obj = store.create("widgets", {"apiVersion": "unit.example.com/v1", "kind": "Widget",
                                       "metadata": {"name": "w1", "namespace": "n", "labels": {"owner": "ann"}},
                                       "spec": {"size": 3}})
        assert obj["metadata"]["uid"] and obj["kind"] == "Widget"
        table = tables.build_table("widgets", [obj], "1", now=0)
        assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Owner"]
        assert table["rows"][0]["cells"] == ["w1", 3, "ann"]
    finally:
        store.delete("customresourcedefinitions", "", "widgets.unit.example.com")
    assert "widgets" not in resources.RESOURCES and "widgets" not in tables.COLUMNS
    with pytest.raises(ApiError) as err:
        store.list("widgets")
    assert err.value.code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"group": "nodots"}, "spec.group"),
    ({"scope": "Galaxy"}, "spec.scope"),
    ({"versions": []}, "spec.versions"),
    ({"names": {"plural": "pods", "kind": "Pod"}}, "spec.names.plural"),
])
def test_bad_crds_are_invalid(change, field):
    body = crd()
    body["spec"].update(change)
    if "names" in change:
        body["metadata"]["name"] = f"pods.{body['spec']['group']}"
    with pytest.raises(ApiError) as err:
        ObjectStore(seed=1).create("customresourcedefinitions", body)
    assert err.value.code == 422 and field in str(err.value.to_status())


def test_json_path_and_default_age_column():
    obj = {"metadata": {"name": "x", "labels": {"a.b/c": "v"}}, "status": {"conditions": [{"type": "Ready"}]}}
    assert crds.json_path(obj, ".status.conditions[0].type") == "Ready"
    assert crds.json_path(obj, "{.metadata.labels['a.b/c']}") == "v"
    assert crds.json_path(obj, ".spec.missing") is None
    cols, cells = crds.printer_table([])
    assert [c[0] for c in cols] == ["Name", "Age"]


def test_daemon_pods_follow_node_selector_and_taints_but_not_cordons():
    node = {"metadata": {"name": "n1", "labels": {"disk": "ssd"}}, "spec": {"unschedulable": True}}
    assert eligible(node, {})  # a cordoned node still runs daemon pods
    assert eligible(node, {"nodeSelector": {"disk": "ssd"}}) and not eligible(node, {"nodeSelector": {"disk": "hdd"}})
    node["spec"]["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
    assert not eligible(node, {})
    assert eligible(node, {"tolerations": [{"key": "dedicated", "operator": "Equal", "value": "gpu",
                                            "effect": "NoSchedule"}]})
    node["spec"]["taints"] = [{"key": "x", "effect": "PreferNoSchedule"}]
    assert eligible(node, {})


def test_statefulset_ordinals_and_table_cells():
    assert ordinal("web", "web-12") == 12 and ordinal("web", "web-x") is None and ordinal("web", "webby-1") is None
    sts = {"metadata": {"name": "web"}, "spec": {"replicas": 3}, "status": {"readyReplicas": 2}}
    assert tables.build_table("statefulsets", [sts], "1", now=0)["rows"][0]["cells"][:2] == ["web", "2/3"]
    ds = {"metadata": {"name": "agent"}, "spec": {"template": {"spec": {"nodeSelector": {"b": "2", "a": "1"}}}},
          "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                     "updatedNumberScheduled": 1, "numberAvailable": 2}}
    assert tables.build_table("daemonsets", [ds], "1", now=0)["rows"][0]["cells"][:7] == [
        "agent", 3, 3, 2, 1, 2, "a=1,b=2"]
