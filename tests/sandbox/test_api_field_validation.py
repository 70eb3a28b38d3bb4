"""Field validation and OpenAPI v3: the real kubectl creates and applies without `--validate=false`,
the sandbox refuses unknown fields under `fieldValidation=Strict` (kubectl's default) with the API
server's message, warns and drops them under Warn (the server's default), and `kubectl explain` walks
the served schemas."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
from kubernetes import client

from gotui.sandbox import field_schema, openapi

pytestmark = pytest.mark.sandbox

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
{extra}"""


def _ns(sbx) -> str:
    name = f"fv-{uuid.uuid4().hex[:8]}"
    client.CoreV1Api(sbx.api_client).create_namespace({"metadata": {"name": name}})
    return name


def test_kubectl_apply_and_create_are_validated_by_the_server(sandbox, kubectl_for, tmp_path):
    ns, k = _ns(sandbox), kubectl_for(sandbox)
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(DEPLOYMENT.format(name="web", ns=ns, extra=""))
    bad.write_text(DEPLOYMENT.format(name="web", ns=ns, extra="        imagee: typo\n"))
    # kubectl's default (--validate=strict) reads /openapi/v3 first: it failed with
    # "failed to download openapi" here before the sandbox served it
    k.run("apply", "-f", str(good), check=True)
    typo = k.run("apply", "-f", str(bad))
    assert typo.returncode != 0
    assert 'strict decoding error: unknown field "spec.template.spec.containers[0].imagee"' in typo.stderr, typo.stderr
    created = k.run("create", "--dry-run=server", "-f", str(bad))
    assert created.returncode != 0
    assert ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
            'unknown field "spec.template.spec.containers[0].imagee"') in created.stderr, created.stderr
    # warn: applied, the unknown field named and dropped, as the API server's decoding drops it
    warned = k.run("apply", "--validate=warn", "-f", str(bad), check=True)
    assert 'Warning: unknown field "spec.template.spec.containers[0].imagee"' in warned.stderr, warned.stderr
    dep = json.loads(k.run("get", "deploy", "web", "-n", ns, "-o", "json", check=True).stdout)
    assert dep["spec"]["template"]["spec"]["containers"] == [
        {**dep["spec"]["template"]["spec"]["containers"][0], "name": "web", "image": "nginx:1.25"}]
    assert "imagee" not in json.dumps(dep["spec"])
    # `kubectl explain` walks the served schemas
    out = k.run("explain", "deployment.spec.template.spec.containers.ports", check=True).stdout
    assert "containerPort\t<integer>" in out and "protocol\t<string>" in out, out
    assert "Number of port to expose on the pod's IP address." in out, out  # the client's descriptions
    out = k.run("explain", "pods", check=True).stdout
    assert "Pod is a collection of containers" in out and "metadata\t<ObjectMeta>" in out, out


def _http(sbx, method: str, path: str, body: object, ctype: str = "application/json") -> tuple[int, dict, list[str]]:
    """(status, JSON body, Warning headers) of a raw request: the Python client (37+) refuses unknown
    fields itself (pydantic) before they reach a server, as kubectl with --validate=false would not."""
    req = urllib.request.Request(sbx.url + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=10, context=sbx.ssl_context) as resp:
            return resp.status, json.loads(resp.read()), resp.headers.get_all("Warning") or []
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers.get_all("Warning") or []


def test_field_validation_directives(sandbox):
    ns = _ns(sandbox)
    core = client.CoreV1Api(sandbox.api_client)
    path = f"/api/v1/namespaces/{ns}/configmaps"
    body = {"metadata": {"name": "cm1", "labelz": {"a": "b"}}, "data": {"k": "v"}, "extra": 1}
    status, reply, _ = _http(sandbox, "POST", f"{path}?fieldValidation=Strict", body)
    assert status == 400 and reply["reason"] == "BadRequest"
    assert reply["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
                                'unknown field "metadata.labelz", unknown field "extra"')
    assert sandbox.request("GET", f"{path}/cm1")[0] == 404  # refused: nothing stored
    status, reply, warnings = _http(sandbox, "POST", path, body)  # the API server's default: Warn
    assert status == 201
    assert warnings == ['299 - "unknown field \\"metadata.labelz\\""', '299 - "unknown field \\"extra\\""']
    stored = sandbox.request("GET", f"{path}/cm1")[1]
    assert stored["data"] == {"k": "v"} and "labelz" not in stored["metadata"] and "extra" not in stored
    status, _, warnings = _http(sandbox, "POST", f"{path}?fieldValidation=Ignore", {**body, "metadata": {"name": "cm2"}})
    assert status == 201 and warnings == []
    assert "extra" not in sandbox.request("GET", f"{path}/cm2")[1]
    status, reply, _ = _http(sandbox, "PATCH", f"{path}/cm1?fieldValidation=Strict", {"data": {"k": "w"}, "bogus": True},
                             "application/merge-patch+json")
    assert status == 400 and reply["message"] == 'strict decoding error: unknown field "bogus"'
    assert core.read_namespaced_config_map("cm1", ns).data == {"k": "v"}  # refused: nothing changed
    status, reply, _ = _http(sandbox, "POST", f"{path}?fieldValidation=Loose", {"metadata": {"name": "cm3"}})
    assert status == 400 and reply["message"] == ('fieldValidation: Unsupported value: "Loose": supported values: '
                                                  '"Ignore", "Strict", "Warn"')
    # the scale subresource takes an autoscaling/v1 Scale
    client.AppsV1Api(sandbox.api_client).create_namespaced_deployment(ns, {"metadata": {"name": "d"}, "spec": {
        "replicas": 1, "selector": {"matchLabels": {"app": "d"}},
        "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
    status, reply, _ = _http(sandbox, "PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/d/scale?fieldValidation=Strict",
                             {"spec": {"replicas": 2, "replicaz": 3}}, "application/merge-patch+json")
    assert status == 400 and reply["message"] == 'strict decoding error: unknown field "spec.replicaz"'
    # the Python client's own writes pass untouched
    _, status, headers = core.create_namespaced_config_map_with_http_info(
        ns, {"metadata": {"name": "cm4"}, "data": {"a": "b"}}, field_validation="Strict")
    assert status == 201 and not headers.get("Warning")


def test_openapi_v3_index_and_documents(sandbox):
    status, index = sandbox.request("GET", "/openapi/v3")
    assert status == 200
    assert {"api/v1", "apis/apps/v1", "apis/autoscaling/v2", "apis/apiextensions.k8s.io/v1"} <= set(index["paths"])
    url = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/apps/v1?hash=")
    status, doc = sandbox.request("GET", url)
    assert status == 200 and doc["openapi"].startswith("3.")
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert {"name": "fieldValidation", "in": "query"}.items() <= next(
        p for p in patch["parameters"] if p["name"] == "fieldValidation").items()
    schema = doc["components"]["schemas"]["v1.Deployment"]
    assert openapi.schema_name(field_schema.model_of("apps", "v1", "Deployment") or "") == "v1.Deployment"
    assert openapi.schema_name("CoreV1Event") == "corev1.Event" and schema["description"].startswith("Deployment ")
    assert schema["x-kubernetes-group-version-kind"] == [{"group": "apps", "version": "v1", "kind": "Deployment"}]
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert sandbox.request("GET", "/openapi/v3/apis/nope/v1")[0] == 404


def test_table_matches_the_installed_client():
    """The shipped field table is the installed client's models (regenerate it with
    `python -m gotui.sandbox.field_schema --write` after a client upgrade)."""
    generated = field_schema.generate(field_schema.served_kinds())
    assert generated.pop("docs") == field_schema.docs()
    assert generated == field_schema.table()


def test_unknown_fields_paths_and_prune():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}, "labelz": 1},
           "spec": {"containers": [{"name": "c", "image": "i", "imagee": "x",
                                    "ports": [{"containerPort": 80, "bad": 1}],
                                    "resources": {"limits": {"cpu": "1"}}}],
                    "volumes": [{"name": "v", "configMap": {"name": "cm", "itemz": []}}]},
           "status": {"phase": "Running"}}
    found = field_schema.unknown_fields("V1Pod", pod, prune=True)
    assert found == ["metadata.labelz", "spec.containers[0].imagee", "spec.containers[0].ports[0].bad",
                     "spec.volumes[0].configMap.itemz"]
    assert field_schema.unknown_fields("V1Pod", pod) == []
    assert pod["spec"]["containers"][0] == {"name": "c", "image": "i", "ports": [{"containerPort": 80}],
                                            "resources": {"limits": {"cpu": "1"}}}
    assert openapi.gv_path("", "v1") == "api/v1" and openapi.gv_path("apps", "v1") == "apis/apps/v1"


STRUCTURAL_CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: {plural}.{group}}}
spec:
  group: {group}
  scope: Namespaced
  names: {{plural: {plural}, singular: {singular}, kind: {kind}}}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec: {{type: string}}
              replicas: {{type: integer}}
              labels: {{type: object, additionalProperties: {{type: string}}}}
              template: {{type: object, x-kubernetes-preserve-unknown-fields: true}}
"""


def test_custom_objects_are_checked_against_their_crd_schema(sandbox, kubectl_for, tmp_path):
    ns, k = _ns(sandbox), kubectl_for(sandbox)
    suffix = uuid.uuid4().hex[:5]
    group, plural, kind = f"fv{suffix}.example.com", f"jobs{suffix}", f"Job{suffix}"
    (tmp_path / "crd.yaml").write_text(STRUCTURAL_CRD.format(group=group, plural=plural, singular=plural[:-1], kind=kind))
    k.run("apply", "-f", str(tmp_path / "crd.yaml"), check=True)
    obj = (f"apiVersion: {group}/v1\nkind: {kind}\nmetadata: {{name: nightly, namespace: {ns}}}\n"
           "spec:\n  cronSpec: '0 3 * * *'\n  replicaz: 2\n  labels: {a: b}\n  template: {anything: [1, 2]}\n")
    (tmp_path / "cr.yaml").write_text(obj)
    refused = k.run("apply", "-f", str(tmp_path / "cr.yaml"))
    assert refused.returncode != 0
    assert f'{kind} in version "v1" cannot be handled as a {kind}: strict decoding error: unknown field "spec.replicaz"' \
        in refused.stderr, refused.stderr
    warned = k.run("apply", "--validate=warn", "-f", str(tmp_path / "cr.yaml"), check=True)
    assert 'Warning: unknown field "spec.replicaz"' in warned.stderr, warned.stderr
    got = client.CustomObjectsApi(sandbox.api_client).get_namespaced_custom_object(group, "v1", ns, plural, "nightly")
    # pruned as the apiextensions server prunes; what the schema allows (a map, a preserved subtree) stays
    assert got["spec"] == {"cronSpec": "0 3 * * *", "labels": {"a": "b"}, "template": {"anything": [1, 2]}}


def test_unknown_by_schema_rules():
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
            "free": {"type": "object", "additionalProperties": True},
            "kept": {"x-kubernetes-preserve-unknown-fields": True}}},
        "status": {"type": "object"}}}
    obj = {"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a", "labelz": 1},
           "spec": {"items": [{"name": "n", "nam": "m"}], "free": {"any": 1}, "kept": {"z": 1}, "zz": 0},
           "status": {"phase": "x"}}
    assert field_schema.unknown_by_schema(schema, obj, prune=True) == [
        "metadata.labelz", "spec.items[0].nam", "spec.zz", "status.phase"]
    assert obj["spec"] == {"items": [{"name": "n"}], "free": {"any": 1}, "kept": {"z": 1}} and obj["status"] == {}
