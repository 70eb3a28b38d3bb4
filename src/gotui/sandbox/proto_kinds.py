"""Protobuf bodies of the kinds kubectl's generators create: Namespace, Deployment, Service.

`kubectl create namespace|deployment|service`, `kubectl expose` and other typed commands send their
object as `application/vnd.kubernetes.protobuf`. This decodes those messages from a schema of field
numbers (those of k8s.io/api core/v1, apps/v1 and apimachinery's `generated.proto`) into the JSON form
the API server would store.

Go's protobuf encoding writes every non-pointer field, zero values included, and a pointer field only
when it is set. So: a zero scalar of a plain field is left out (as JSON's `omitempty` leaves it out); a
pointer field (`*` below) keeps its value, zero included (`replicas: 0`); an encoded message is kept,
empty or not (`strategy: {}`). A field the schema does not know is ignored when it holds Go's zero
value, and refused (ProtobufError, the server answers 400) when it holds anything else: nothing a
client sent is dropped silently.
"""

from __future__ import annotations

from typing import Any

from gotui.sandbox.protowire import (
    ProtobufError,
    _bytes_field,
    _last,
    _map,
    _need_bytes,
    _signed,
    _text,
    decode_object_meta,
    fields,
)

# message -> {field number: (JSON name, type)}; type: string, int32, int64, bool, a message name,
# "map" (string -> string), "map:Quantity", "status" (ignored: the server owns it); a leading "[]"
# means repeated, a trailing "*" a pointer (kept when zero)
SCHEMA: dict[str, dict[int, tuple[str, str]]] = {
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"), 3: ("status", "status")},
    "NamespaceSpec": {1: ("finalizers", "[]string")},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec"), 3: ("status", "status")},
    "DeploymentSpec": {1: ("replicas", "int32*"), 2: ("selector", "LabelSelector"), 3: ("template", "PodTemplateSpec"),
                       4: ("strategy", "DeploymentStrategy"), 5: ("minReadySeconds", "int32"),
                       6: ("revisionHistoryLimit", "int32*"), 7: ("paused", "bool"),
                       9: ("progressDeadlineSeconds", "int32*")},
    "DeploymentStrategy": {1: ("type", "string"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString"), 2: ("maxSurge", "IntOrString")},
    "LabelSelector": {1: ("matchLabels", "map"), 2: ("matchExpressions", "[]LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: ("key", "string"), 2: ("operator", "string"), 3: ("values", "[]string")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", "[]Container"), 3: ("restartPolicy", "string"),
                4: ("terminationGracePeriodSeconds", "int64*"), 5: ("activeDeadlineSeconds", "int64*"),
                6: ("dnsPolicy", "string"), 7: ("nodeSelector", "map"), 8: ("serviceAccountName", "string"),
                9: ("serviceAccount", "string"), 10: ("nodeName", "string"), 11: ("hostNetwork", "bool"),
                12: ("hostPID", "bool"), 13: ("hostIPC", "bool"), 16: ("hostname", "string"),
                17: ("subdomain", "string"), 19: ("schedulerName", "string"), 20: ("initContainers", "[]Container"),
                24: ("priorityClassName", "string")},
    "Container": {1: ("name", "string"), 2: ("image", "string"), 3: ("command", "[]string"), 4: ("args", "[]string"),
                  5: ("workingDir", "string"), 6: ("ports", "[]ContainerPort"), 7: ("env", "[]EnvVar"),
                  8: ("resources", "ResourceRequirements"), 13: ("terminationMessagePath", "string"),
                  14: ("imagePullPolicy", "string"), 16: ("stdin", "bool"), 17: ("stdinOnce", "bool"),
                  18: ("tty", "bool"), 20: ("terminationMessagePolicy", "string")},
    "ContainerPort": {1: ("name", "string"), 2: ("hostPort", "int32"), 3: ("containerPort", "int32"),
                      4: ("protocol", "string"), 5: ("hostIP", "string")},
    "EnvVar": {1: ("name", "string"), 2: ("value", "string")},
    "ResourceRequirements": {1: ("limits", "map:Quantity"), 2: ("requests", "map:Quantity")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"), 3: ("status", "status")},
    "ServiceSpec": {1: ("ports", "[]ServicePort"), 2: ("selector", "map"), 3: ("clusterIP", "string"),
                    4: ("type", "string"), 5: ("externalIPs", "[]string"), 7: ("sessionAffinity", "string"),
                    8: ("loadBalancerIP", "string"), 9: ("loadBalancerSourceRanges", "[]string"),
                    10: ("externalName", "string"), 11: ("externalTrafficPolicy", "string"),
                    12: ("healthCheckNodePort", "int32"), 13: ("publishNotReadyAddresses", "bool"),
                    18: ("clusterIPs", "[]string"), 19: ("ipFamilies", "[]string"), 17: ("ipFamilyPolicy", "string*"),
                    20: ("allocateLoadBalancerNodePorts", "bool*"), 21: ("loadBalancerClass", "string*"),
                    22: ("internalTrafficPolicy", "string*")},
    "ServicePort": {1: ("name", "string"), 2: ("protocol", "string"), 3: ("port", "int32"),
                    4: ("targetPort", "IntOrString"), 5: ("nodePort", "int32"), 6: ("appProtocol", "string*")},
}
KINDS = {("v1", "Namespace"), ("apps/v1", "Deployment"), ("v1", "Service")}


def decode(api_version: str, kind: str, raw: bytes) -> dict[str, Any]:
    """The typed message `raw` of `kind` as its JSON object (apiVersion and kind set)."""
    obj = {"apiVersion": api_version, "kind": kind}
    obj.update(_message(kind, raw))
    return obj


def _message(name: str, data: bytes) -> dict[str, Any]:
    if name == "ObjectMeta":
        return decode_object_meta(data)
    schema = SCHEMA[name]
    out: dict[str, Any] = {}
    for number, values in fields(data).items():
        spec = schema.get(number)
        if spec is None:
            if any(_nonzero(v) for v in values):
                raise ProtobufError(f"field {number} of {name} is not supported by the sandbox's protobuf "
                                    "decoder (send the object as JSON)")
            continue
        key, type_name = spec
        value = _value(type_name, values)
        if value is not _OMIT:
            out[key] = value
    return out


_OMIT = object()


def _value(type_name: str, values: list[Any]) -> Any:
    if type_name == "status":
        return {}
    if type_name.startswith("[]"):
        items = [_single(type_name[2:], v) for v in values]
        return items or _OMIT
    if type_name == "map":
        return _map(values) or _OMIT
    if type_name == "map:Quantity":
        entries = {}
        for entry in values:
            f = fields(_need_bytes(entry))
            entries[_text(_bytes_field(f, 1))] = _quantity(_bytes_field(f, 2))
        return entries or _OMIT
    pointer = type_name.endswith("*")
    value = _single(type_name.rstrip("*"), values[-1])
    if not pointer and value in ("", 0, False) and not isinstance(value, dict):
        return _OMIT  # Go's zero value of a plain field: JSON's omitempty leaves it out
    return value


def _single(type_name: str, value: Any) -> Any:
    if type_name == "string":
        return _text(_need_bytes(value))
    if type_name in ("int32", "int64"):
        if not isinstance(value, int):
            raise ProtobufError(f"expected a varint for a {type_name}")
        return _signed(value)
    if type_name == "bool":
        if not isinstance(value, int):
            raise ProtobufError("expected a varint for a bool")
        return bool(value)
    if type_name == "IntOrString":
        f = fields(_need_bytes(value))
        if _last(f, 1, 0) == 1:
            return _text(_bytes_field(f, 3))
        return _signed(_last(f, 2, 0))
    return _message(type_name, _need_bytes(value))


def _quantity(data: bytes) -> str:
    return _text(_bytes_field(fields(data), 1))


def _nonzero(value: Any) -> bool:
    """Whether an unknown field's value is more than Go's zero value (0, "", or an empty message)."""
    if isinstance(value, int):
        return value != 0
    if not value:
        return False
    try:
        inner = fields(value)
    except ProtobufError:
        return True  # a non-empty string or bytes
    # a message whose fields are all zero is Go's zero struct; a string that happens to parse is not zero
    return any(_nonzero(v) for vs in inner.values() for v in vs) or not inner
