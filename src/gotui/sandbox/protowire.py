"""Just enough Kubernetes protobuf decoding for the requests real clients send as protobuf.

Bodies sent as `application/vnd.kubernetes.protobuf` are the `k8s\\0` magic followed by a runtime.Unknown
(typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4) whose `raw` holds the typed
message. Decoded here to the JSON form:

- `kubectl auth can-i`: its SelfSubjectAccessReview (`decode_ssar`);
- `helm` (v4) storage: the v1 Secrets (and ConfigMaps, the other storage driver) it creates and updates
  (`decode_object`);
- kubectl's generators (`create namespace|deployment|service`, `expose`): Namespace, Deployment and
  Service (`proto_kinds`, schema-driven).

Field numbers are those of k8s.io/api core/v1, apps/v1 and k8s.io/apimachinery meta/v1 `generated.proto`.
Every other kind is refused by the server with 415. Responses stay JSON: client-go picks the decoder from the
response's Content-Type.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    """The bytes are not the protobuf we expected."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(data: bytes) -> dict[int, list[Any]]:
    """Field number -> values (bytes for length-delimited, int otherwise)."""
    out: dict[int, list[Any]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 1:
            value, pos = int.from_bytes(data[pos:pos + 8], "little"), pos + 8
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated field")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = int.from_bytes(data[pos:pos + 4], "little"), pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ProtobufError("truncated field")
        out.setdefault(number, []).append(value)
    return out


def _str(f: dict[int, list[Any]], n: int) -> str:
    values = f.get(n)
    return values[-1].decode("utf-8", "replace") if values else ""


def unwrap(data: bytes) -> tuple[str, str, bytes]:
    """(apiVersion, kind, raw message) from a `k8s\\0` envelope."""
    if not data.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf envelope")
    unknown = fields(data[len(MAGIC):])
    for n in (1, 2, 3, 4):
        if not all(isinstance(v, bytes) for v in unknown.get(n, ())):
            raise ProtobufError(f"runtime.Unknown field {n} is not length-delimited")
    if unknown.get(3, [b""])[-1]:
        raise ProtobufError(f"unsupported contentEncoding {_str(unknown, 3)!r}")
    type_meta = fields(unknown.get(1, [b""])[-1])
    if not all(isinstance(v, bytes) for n in (1, 2) for v in type_meta.get(n, ())):
        raise ProtobufError("typeMeta fields are not strings")
    return _str(type_meta, 1), _str(type_meta, 2), unknown.get(2, [b""])[-1]


def decode_ssar(data: bytes) -> dict[str, Any]:
    """A protobuf SelfSubjectAccessReview as its JSON dict."""
    api_version, kind, raw = unwrap(data)
    if kind != "SelfSubjectAccessReview":
        raise ProtobufError(f"unexpected kind {kind!r}")
    spec = fields(fields(raw).get(2, [b""])[-1])
    out_spec: dict[str, Any] = {}
    if 1 in spec:
        ra = fields(spec[1][-1])
        names = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}
        out_spec["resourceAttributes"] = {v: _str(ra, k) for k, v in names.items() if _str(ra, k)}
    if 2 in spec:
        nra = fields(spec[2][-1])
        out_spec["nonResourceAttributes"] = {"path": _str(nra, 1), "verb": _str(nra, 2)}
    return {"apiVersion": api_version or "authorization.k8s.io/v1", "kind": kind, "metadata": {}, "spec": out_spec}


# --- typed objects (Secret, ConfigMap) -------------------------------------------------------------

# Go's zero time.Time as Unix seconds (metav1.Time marshals it as an empty message; refuse it anyway).
_ZERO_TIME_SECONDS = -62135596800


def _signed(value: Any) -> int:
    """A varint read as an int64 (two's complement); a length-delimited value where a number belongs
    is malformed (ProtobufError: the server answers 400, not 500)."""
    if not isinstance(value, int):
        raise ProtobufError("expected a varint, got a length-delimited value")
    return value - (1 << 64) if value >= 1 << 63 else value


def _last(f: dict[int, list[Any]], n: int, default: Any = None) -> Any:
    values = f.get(n)
    return values[-1] if values else default


def _bytes_field(f: dict[int, list[Any]], n: int) -> bytes:
    value = _last(f, n, b"")
    if not isinstance(value, bytes):
        raise ProtobufError(f"field {n}: expected a length-delimited value")
    return value


def _text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtobufError("a string field is not valid UTF-8") from None


def _time(data: bytes) -> str | None:
    """A metav1.Time {seconds=1, nanos=2} as RFC3339 (None for Go's zero time, which Go sends as an empty
    message)."""
    if not data:
        return None
    f = fields(data)
    seconds = _signed(_last(f, 1, 0))
    if seconds <= _ZERO_TIME_SECONDS:
        return None
    try:
        when = datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise ProtobufError(f"timestamp out of range: {seconds}") from None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _map(entries: list[Any], *, binary: bool = False) -> dict[str, Any]:
    """A protobuf map (repeated entries {key=1, value=2}); bytes values stay bytes when `binary`."""
    out: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, bytes):
            raise ProtobufError("a map entry is not a message")
        f = fields(entry)
        key = _text(_bytes_field(f, 1))
        value = _bytes_field(f, 2)
        out[key] = value if binary else _text(value)
    return out


_META_STRINGS = {1: "name", 2: "generateName", 3: "namespace", 4: "selfLink", 5: "uid", 6: "resourceVersion"}
_OWNER_STRINGS = {5: "apiVersion", 1: "kind", 3: "name", 4: "uid"}
_MANAGED_STRINGS = {1: "manager", 2: "operation", 3: "apiVersion", 6: "fieldsType", 8: "subresource"}


def _owner_reference(data: bytes) -> dict[str, Any]:
    f = fields(data)
    out: dict[str, Any] = {key: _text(_bytes_field(f, n)) for n, key in _OWNER_STRINGS.items()}
    for n, key in ((6, "controller"), (7, "blockOwnerDeletion")):
        if n in f:
            out[key] = bool(_last(f, n))
    return out


def _managed_fields_entry(data: bytes) -> dict[str, Any]:
    f = fields(data)
    out: dict[str, Any] = {key: _text(_bytes_field(f, n)) for n, key in _MANAGED_STRINGS.items()
                           if _bytes_field(f, n)}
    if 4 in f:
        when = _time(_bytes_field(f, 4))
        if when:
            out["time"] = when
    if 7 in f:
        raw = _bytes_field(fields(_bytes_field(f, 7)), 1)
        try:
            out["fieldsV1"] = json.loads(raw) if raw else {}
        except ValueError:
            raise ProtobufError("managedFields fieldsV1 is not JSON") from None
    return out


def decode_object_meta(data: bytes) -> dict[str, Any]:
    """A meta/v1 ObjectMeta message as its JSON dict (empty strings, zero numbers and zero times left out)."""
    f = fields(data)
    meta: dict[str, Any] = {}
    for n, key in _META_STRINGS.items():
        value = _text(_bytes_field(f, n))
        if value:
            meta[key] = value
    generation = _signed(_last(f, 7, 0))
    if generation:
        meta["generation"] = generation
    for n, key in ((8, "creationTimestamp"), (9, "deletionTimestamp")):
        if n in f:
            when = _time(_bytes_field(f, n))
            if when:
                meta[key] = when
    if 10 in f:
        meta["deletionGracePeriodSeconds"] = _signed(_last(f, 10))
    for n, key in ((11, "labels"), (12, "annotations")):
        if n in f:
            meta[key] = _map(f[n])
    if 13 in f:
        meta["ownerReferences"] = [_owner_reference(_need_bytes(v)) for v in f[13]]
    if 14 in f:
        meta["finalizers"] = [_text(_need_bytes(v)) for v in f[14]]
    if 17 in f:
        meta["managedFields"] = [_managed_fields_entry(_need_bytes(v)) for v in f[17]]
    return meta


def _need_bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a length-delimited value")
    return value


def _b64(values: dict[str, bytes]) -> dict[str, str]:
    return {k: base64.b64encode(v).decode("ascii") for k, v in values.items()}


def _decode_secret(f: dict[int, list[Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": decode_object_meta(_bytes_field(f, 1))}
    if 5 in f:
        obj["immutable"] = bool(_last(f, 5))
    if 2 in f:
        obj["data"] = _b64(_map(f[2], binary=True))
    if 4 in f:
        obj["stringData"] = _map(f[4])
    kind = _text(_bytes_field(f, 3))
    if kind:
        obj["type"] = kind
    return obj


def _decode_configmap(f: dict[int, list[Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": decode_object_meta(_bytes_field(f, 1))}
    if 4 in f:
        obj["immutable"] = bool(_last(f, 4))
    if 2 in f:
        obj["data"] = _map(f[2])
    if 3 in f:
        obj["binaryData"] = _b64(_map(f[3], binary=True))
    return obj


_DECODERS = {("v1", "Secret"): _decode_secret, ("v1", "ConfigMap"): _decode_configmap}


def supported(api_version: str, kind: str) -> bool:
    """Whether a create/update body of this kind may come as protobuf: helm's storage objects here,
    the kinds kubectl's generators create in `proto_kinds`."""
    from gotui.sandbox import proto_kinds

    return (api_version, kind) in _DECODERS or (api_version, kind) in proto_kinds.KINDS


def decode_object(data: bytes, expected_kind: str) -> dict[str, Any]:
    """A protobuf-encoded body (`k8s\\0` envelope) of a supported kind (see `supported`) as its JSON dict.

    `expected_kind` is the kind the URL names; an envelope naming another kind is refused. Raises
    ProtobufError for anything malformed or unsupported.
    """
    api_version, kind, raw = unwrap(data)
    kind = kind or expected_kind
    api_version = api_version or "v1"
    if kind != expected_kind:
        raise ProtobufError(f"the body is a {kind}, expected a {expected_kind}")
    decoder = _DECODERS.get((api_version, kind))
    if decoder is None:
        from gotui.sandbox import proto_kinds

        if (api_version, kind) in proto_kinds.KINDS:
            return proto_kinds.decode(api_version, kind, raw)
        raise ProtobufError(f"protobuf bodies of {api_version} {kind} are not supported")
    return decoder(fields(raw))
