"""Protobuf request bodies (`application/vnd.kubernetes.protobuf`) for v1 Secrets and ConfigMaps.

helm v4 creates and updates its storage Secrets as protobuf. Sample objects are encoded here by a small
independent encoder written from k8s.io/api core/v1 and apimachinery meta/v1 `generated.proto`, then
decoded by gotui.sandbox.protowire and through the running sandbox. `data/helm_v4_create_secret.pb` is
the body the real helm v4.1.4 POSTed during `helm rollback go-api 2` against the quiet scenario.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gotui.ops import helm
from gotui.sandbox.protowire import ProtobufError, decode_object

pytestmark = pytest.mark.sandbox
PROTOBUF = "application/vnd.kubernetes.protobuf"
HELM_BODY = Path(__file__).parent / "data" / "helm_v4_create_secret.pb"


# --- a tiny protobuf encoder (independent of the decoder under test) --------------------------------------

def varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def vfield(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def lfield(number: int, value: bytes | str) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def mapfield(number: int, values: dict) -> bytes:
    return b"".join(lfield(number, lfield(1, k) + lfield(2, v)) for k, v in sorted(values.items()))


def timestamp(seconds: int | None) -> bytes:
    """metav1.Time as Go marshals it: empty for the zero time, else Timestamp{seconds=1, nanos=2}."""
    return b"" if seconds is None else vfield(1, seconds) + vfield(2, 0)


def object_meta(name: str = "", namespace: str = "", *, generate_name: str = "", uid: str = "", rv: str = "",
                generation: int = 0, created: int | None = None, labels: dict | None = None,
                annotations: dict | None = None, owners: list[dict] | None = None,
                finalizers: list[str] | None = None, managed: list[dict] | None = None) -> bytes:
    """ObjectMeta the way gogo-protobuf writes it: every plain string and int64 field, even when empty."""
    out = (lfield(1, name) + lfield(2, generate_name) + lfield(3, namespace) + lfield(4, "") + lfield(5, uid)
           + lfield(6, rv) + vfield(7, generation) + lfield(8, timestamp(created)))
    out += mapfield(11, labels or {}) + mapfield(12, annotations or {})
    for o in owners or []:
        ref = lfield(1, o["kind"]) + lfield(3, o["name"]) + lfield(4, o["uid"]) + lfield(5, o["apiVersion"])
        if "controller" in o:
            ref += vfield(6, int(o["controller"]))
        out += lfield(13, ref)
    for f in finalizers or []:
        out += lfield(14, f)
    for m in managed or []:
        entry = (lfield(1, m["manager"]) + lfield(2, m["operation"]) + lfield(3, m["apiVersion"])
                 + lfield(4, timestamp(m["seconds"])) + lfield(6, "FieldsV1")
                 + lfield(7, lfield(1, json.dumps(m["fieldsV1"]))) + lfield(8, ""))
        out += lfield(17, entry)
    return out


def secret(meta: bytes, data: dict[str, bytes] | None = None, type_: str = "", *,
           string_data: dict[str, str] | None = None, immutable: bool | None = None) -> bytes:
    out = lfield(1, meta) + mapfield(2, data or {}) + lfield(3, type_) + mapfield(4, string_data or {})
    if immutable is not None:
        out += vfield(5, int(immutable))
    return out


def configmap(meta: bytes, data: dict[str, str] | None = None, binary: dict[str, bytes] | None = None,
              immutable: bool | None = None) -> bytes:
    out = lfield(1, meta) + mapfield(2, data or {}) + mapfield(3, binary or {})
    if immutable is not None:
        out += vfield(4, int(immutable))
    return out


def envelope(raw: bytes, kind: str = "Secret", api_version: str = "v1", encoding: str = "") -> bytes:
    """`k8s\\0` + runtime.Unknown{typeMeta=1{apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4}."""
    unknown = lfield(1, lfield(1, api_version) + lfield(2, kind)) + lfield(2, raw) + lfield(3, encoding) + lfield(4, "")
    return b"k8s\x00" + unknown


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


# --- decoder ------------------------------------------------------------------------------------------

def test_full_secret_decodes_to_its_json_form():
    managed = [{"manager": "helm", "operation": "Update", "apiVersion": "v1", "seconds": 1_700_000_000,
                "fieldsV1": {"f:data": {".": {}, "f:release": {}}}}]
    meta = object_meta("s1", "shop", uid="u-1", rv="42", generation=3, created=1_700_000_000,
                       labels={"owner": "helm", "name": "go-api"}, annotations={"note": "ünïcode"},
                       owners=[{"kind": "Deployment", "name": "d", "uid": "u-0", "apiVersion": "apps/v1",
                                "controller": True}],
                       finalizers=["example.com/keep"], managed=managed)
    body = envelope(secret(meta, {"release": b"\x00\xffbinary", "empty": b""}, "helm.sh/release.v1",
                           string_data={"plain": "text"}, immutable=False))
    assert decode_object(body, "Secret") == {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s1", "namespace": "shop", "uid": "u-1", "resourceVersion": "42", "generation": 3,
                     "creationTimestamp": "2023-11-14T22:13:20Z",
                     "labels": {"name": "go-api", "owner": "helm"}, "annotations": {"note": "ünïcode"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": "u-0",
                                          "controller": True}],
                     "finalizers": ["example.com/keep"],
                     "managedFields": [{"manager": "helm", "operation": "Update", "apiVersion": "v1",
                                        "time": "2023-11-14T22:13:20Z", "fieldsType": "FieldsV1",
                                        "fieldsV1": {"f:data": {".": {}, "f:release": {}}}}]},
        "immutable": False,
        "data": {"empty": "", "release": b64(b"\x00\xffbinary")},
        "stringData": {"plain": "text"},
        "type": "helm.sh/release.v1",
    }


def test_zero_values_are_left_out():
    """Go writes every plain field; empty strings, generation 0 and the zero time mean "unset"."""
    body = envelope(secret(object_meta("bare"), {}))
    assert decode_object(body, "Secret") == {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bare"}}


def test_configmap_decodes_data_and_binary_data():
    body = envelope(configmap(object_meta("cm", "shop"), {"a": "1", "b": "two"}, {"bin": b"\x01\x02"}, True),
                    kind="ConfigMap")
    assert decode_object(body, "ConfigMap") == {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "shop"},
        "immutable": True, "data": {"a": "1", "b": "two"}, "binaryData": {"bin": b64(b"\x01\x02")}}


def test_negative_int64_and_pre_epoch_time():
    meta = object_meta("n", generation=-2, created=-86400)
    assert decode_object(envelope(secret(meta)), "Secret")["metadata"] == {
        "name": "n", "generation": -2, "creationTimestamp": "1969-12-31T00:00:00Z"}


def test_real_helm_v4_body_decodes_to_a_release_gotui_reads():
    obj = decode_object(HELM_BODY.read_bytes(), "Secret")
    assert obj["metadata"]["name"] == "sh.helm.release.v1.go-api.v4"
    assert "creationTimestamp" not in obj["metadata"]
    assert obj["metadata"]["labels"]["owner"] == "helm" and obj["metadata"]["labels"]["version"] == "4"
    assert obj["type"] == "helm.sh/release.v1" and set(obj["data"]) == {"release"}
    rev = helm.revision_from_secret(obj)
    assert (rev.error, rev.revision, rev.status, rev.description) == ("", 4, "pending-rollback", "Rollback to 2")
    assert rev.chart == "go-api-0.3.1" and "kind: Deployment" in rev.manifest


@pytest.mark.parametrize("body, message", [
    (b"\x0a\x00", "envelope"),
    (envelope(secret(object_meta("x")), kind="ConfigMap"), "expected a Secret"),
    (envelope(secret(object_meta("x")), api_version="v2"), "not supported"),
    (envelope(secret(object_meta("x")), encoding="gzip"), "contentEncoding"),
    (envelope(secret(object_meta("x")))[:-9], "truncated"),
    (envelope(lfield(1, lfield(1, b"\xff\xfe"))), "UTF-8"),
    (envelope(lfield(1, vfield(11, 5))), "map entry"),
    (envelope(vfield(1, 5)), "length-delimited"),
    (b"k8s\x00" + lfield(1, b"") + b"\x0f", "wire type"),
    # a number field (generation, a time's seconds) sent length-delimited: 400, not a TypeError (500)
    (envelope(lfield(1, lfield(1, "x") + lfield(7, "2"))), "expected a varint"),
    (envelope(lfield(1, lfield(1, "x") + lfield(8, lfield(1, "9")))), "expected a varint"),
])
def test_malformed_bodies_raise(body, message):
    with pytest.raises(ProtobufError, match=message):
        decode_object(body, "Secret")


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(name=names, labels=st.dictionaries(names, st.text(max_size=10), max_size=4),
       data=st.dictionaries(names, st.binary(max_size=40), max_size=4),
       created=st.none() | st.integers(0, 4_000_000_000), type_=st.sampled_from(["", "Opaque", "helm.sh/release.v1"]))
def test_secret_round_trip(name, labels, data, created, type_):
    obj = decode_object(envelope(secret(object_meta(name, created=created, labels=labels), data, type_)), "Secret")
    assert obj["metadata"]["name"] == name
    assert obj["metadata"].get("labels", {}) == labels
    assert {k: base64.b64decode(v) for k, v in obj.get("data", {}).items()} == data
    assert obj.get("type", "") == type_
    assert ("creationTimestamp" in obj["metadata"]) == (created is not None)


# --- through the running sandbox ----------------------------------------------------------------------

def _ns(sandbox, name: str) -> str:
    sandbox.request("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    return name


def test_protobuf_secret_create_update_and_conflict(sandbox):
    ns = _ns(sandbox, "proto-secrets")
    base = f"/api/v1/namespaces/{ns}/secrets"
    hdrs = {"Content-Type": PROTOBUF, "Accept": f"{PROTOBUF},application/json"}
    body = envelope(secret(object_meta("rel", labels={"owner": "helm", "status": "pending"}),
                           {"release": b"payload-1"}, "helm.sh/release.v1"))
    status, created = sandbox.request("POST", base, body, headers=hdrs)
    assert status == 201, created
    assert created["kind"] == "Secret" and created["metadata"]["namespace"] == ns
    assert created["metadata"]["uid"] and created["metadata"]["creationTimestamp"]
    assert created["data"] == {"release": b64(b"payload-1")} and created["type"] == "helm.sh/release.v1"

    status, err = sandbox.request("POST", base, body, headers=hdrs)
    assert (status, err["reason"]) == (409, "AlreadyExists")

    stale = envelope(secret(object_meta("rel", rv="1", labels={"status": "x"}), {"release": b"p"}))
    status, err = sandbox.request("PUT", f"{base}/rel", stale, headers=hdrs)
    assert (status, err["reason"]) == (409, "Conflict")

    update = envelope(secret(object_meta("rel", labels={"owner": "helm", "status": "deployed"}),
                             {"release": b"payload-2"}, "helm.sh/release.v1"))
    status, updated = sandbox.request("PUT", f"{base}/rel", update, headers=hdrs)
    assert status == 200, updated
    assert updated["metadata"]["labels"]["status"] == "deployed"
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    status, got = sandbox.request("GET", f"{base}/rel")
    assert got["data"] == {"release": b64(b"payload-2")}

    wrong_name = envelope(secret(object_meta("other"), {}))
    status, err = sandbox.request("PUT", f"{base}/rel", wrong_name, headers=hdrs)
    assert (status, err["reason"]) == (400, "BadRequest")


def test_protobuf_configmap_create_and_bad_bodies(sandbox):
    ns = _ns(sandbox, "proto-configmaps")
    hdrs = {"Content-Type": PROTOBUF}
    body = envelope(configmap(object_meta("cm"), {"k": "v"}), kind="ConfigMap")
    status, created = sandbox.request("POST", f"/api/v1/namespaces/{ns}/configmaps", body, headers=hdrs)
    assert status == 201 and created["data"] == {"k": "v"}

    status, err = sandbox.request("POST", f"/api/v1/namespaces/{ns}/configmaps", b"k8s\x00\x0a\x05", headers=hdrs)
    assert (status, err["reason"]) == (400, "BadRequest") and "protobuf" in err["message"]
    status, err = sandbox.request("POST", f"/api/v1/namespaces/{ns}/secrets", body, headers=hdrs)
    assert (status, err["reason"]) == (400, "BadRequest") and "expected a Secret" in err["message"]
    # other kinds still get 415
    pod = envelope(lfield(1, object_meta("p")), kind="Pod")
    status, err = sandbox.request("POST", f"/api/v1/namespaces/{ns}/pods", pod, headers=hdrs)
    assert (status, err["reason"]) == (415, "UnsupportedMediaType")


# --- kubectl's generators: Namespace, Deployment, Service ------------------------------------------------

def _subset(sent: object, stored: object, path: str = "") -> list[str]:
    """Where `stored` lacks or differs from what was `sent` (the server may add defaults, nothing else)."""
    if isinstance(sent, dict):
        if not isinstance(stored, dict):
            return [path or "."]
        return [p for k, v in sent.items() for p in _subset(v, stored.get(k, _MISSING), f"{path}.{k}")]
    if isinstance(sent, list):
        if not isinstance(stored, list) or len(stored) != len(sent):
            return [path]
        return [p for i, (a, b) in enumerate(zip(sent, stored, strict=True)) for p in _subset(a, b, f"{path}[{i}]")]
    return [] if sent == stored else [f"{path}: sent {sent!r}, stored {stored!r}"]


_MISSING = object()


def test_kubectl_generators_store_what_kubectl_sends(sandbox, kubectl_for):
    """`kubectl create namespace|deployment|service` and `kubectl expose` send protobuf (they were
    refused with 415). Each stored object holds every field of the JSON kubectl prints for the same
    command with `--dry-run=client -o json`: the field numbers decode to the right names and values."""
    k = kubectl_for(sandbox)
    ns = f"pb-{uuid.uuid4().hex[:6]}"
    commands = [
        (["create", "namespace", ns], f"/api/v1/namespaces/{ns}"),
        (["create", "deployment", "web", "--image=nginx:1.25", "--port=8080", "--replicas=0", "-n", ns],
         f"/apis/apps/v1/namespaces/{ns}/deployments/web"),
        (["create", "deployment", "job", "--image=busybox", "-n", ns, "--", "sh", "-c", "sleep 1000"],
         f"/apis/apps/v1/namespaces/{ns}/deployments/job"),
        (["expose", "deployment", "web", "--port=80", "--target-port=8080", "-n", ns],
         f"/api/v1/namespaces/{ns}/services/web"),
        (["create", "service", "nodeport", "np", "--tcp=80:http", "--node-port=30080", "-n", ns],
         f"/api/v1/namespaces/{ns}/services/np"),
        (["create", "service", "externalname", "ext", "--external-name=example.com", "-n", ns],
         f"/api/v1/namespaces/{ns}/services/ext"),
        (["create", "service", "loadbalancer", "lb", "--tcp=443:8443", "-n", ns],
         f"/api/v1/namespaces/{ns}/services/lb"),
    ]
    for args, path in commands:
        dash = args.index("--") if "--" in args else len(args)
        sent = json.loads(k.run(*args[:dash], "--dry-run=client", "-o", "json", *args[dash:], check=True).stdout)
        k.run(*args, check=True)
        status, stored = sandbox.request("GET", path)
        assert status == 200, (args, stored)
        sent.pop("status", None)
        sent["metadata"].pop("creationTimestamp", None)
        (sent.get("spec", {}).get("template", {}).get("metadata") or {}).pop("creationTimestamp", None)
        assert _subset(sent, stored) == [], args
    # replicas 0 is a value (a pointer field), not a zero left out
    assert sandbox.request("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")[1]["spec"]["replicas"] == 0


def test_mutated_generator_bodies_raise_only_protobuf_errors():
    """Random byte flips, cuts and inserts in a Deployment body kubectl would send: every result
    decodes or raises ProtobufError (a 400), never another exception (a 500)."""
    import random

    rng = random.Random(7)
    container = lfield(1, "web") + lfield(2, "nginx") + lfield(6, lfield(3, b"") + vfield(3, 80)) + lfield(8, b"")
    template = lfield(1, object_meta(labels={"app": "web"})) + lfield(2, lfield(2, container) + lfield(3, ""))
    spec = vfield(1, 2) + lfield(2, lfield(1, lfield(1, "app") + lfield(2, "web"))) + lfield(3, template)
    body = envelope(lfield(1, object_meta("web", "ns", labels={"app": "web"})) + lfield(2, spec), "Deployment", "apps/v1")
    assert decode_object(body, "Deployment")["spec"]["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 80}]
    for _ in range(3000):
        mutated = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(4, len(mutated))
            op = rng.random()
            if op < 0.5:
                mutated[pos] = rng.randrange(256)
            elif op < 0.75:
                del mutated[pos]
            else:
                mutated.insert(pos, rng.randrange(256))
        try:
            decode_object(bytes(mutated), "Deployment")
        except ProtobufError:
            pass


def test_generator_kinds_refuse_fields_they_cannot_decode():
    """A field the schema does not know is ignored when it holds Go's zero value (gogo-protobuf writes
    every plain field) and refused when it holds anything else: nothing sent is dropped silently."""
    spec_zero = lfield(1, "kubernetes") + vfield(99, 0) + lfield(98, "")
    decoded = decode_object(envelope(lfield(1, object_meta("n1")) + lfield(2, spec_zero), "Namespace"), "Namespace")
    assert decoded == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n1"},
                       "spec": {"finalizers": ["kubernetes"]}}
    for extra in (vfield(99, 7), lfield(98, "set")):
        body = envelope(lfield(1, object_meta("n1")) + lfield(2, lfield(1, "kubernetes") + extra), "Namespace")
        with pytest.raises(ProtobufError, match=r"field 9[89] of NamespaceSpec is not supported"):
            decode_object(body, "Namespace")
    # a Deployment with replicas 0 (pointer: kept) and an IntOrString both ways
    rolling = lfield(1, vfield(1, 0) + vfield(2, 1)) + lfield(2, vfield(1, 1) + vfield(2, 0) + lfield(3, "25%"))
    dep = lfield(1, object_meta("d", "ns")) + lfield(2, vfield(1, 0) + lfield(4, lfield(1, "RollingUpdate") + lfield(2, rolling)))
    out = decode_object(envelope(dep, "Deployment", "apps/v1"), "Deployment")
    assert out["spec"] == {"replicas": 0, "strategy": {"type": "RollingUpdate",
                                                       "rollingUpdate": {"maxUnavailable": 1, "maxSurge": "25%"}}}
