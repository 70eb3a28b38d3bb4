"""Just enough Kubernetes protobuf decoding for the one request kubectl sends as protobuf.

`kubectl auth can-i` POSTs its SelfSubjectAccessReview as `application/vnd.kubernetes.protobuf`
(the `k8s\\0` envelope around a runtime.Unknown holding the typed message). This module decodes that
message to the JSON form; everything else is answered 415 by the server.
"""

from __future__ import annotations

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
    type_meta = fields(unknown.get(1, [b""])[-1])
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
