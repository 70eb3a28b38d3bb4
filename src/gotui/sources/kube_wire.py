"""Wire helpers for the watch cache: a streaming parser for list responses and the cached shape of objects.

`iter_list_items(chunks)` decodes a `...List` response item by item while it arrives (the whole body
is never held as one string next to a full tree of dicts); `Slimmer.slim(kind, obj)` turns an object
into the form the ClusterStore keeps:

- every kind: `metadata.managedFields` is dropped (no pane reads it; it is often most of an object's
  bytes). Other kinds are otherwise untouched: operations build patches from them;
- pods (there can be tens of thousands): the `last-applied-configuration` annotation is dropped, `spec` keeps only `containers`/`initContainers`/
  `ephemeralContainers` (name, image, restartPolicy, ports: the port-forward default) and `nodeName`; `status` drops `hostIPs`,
  `podIPs`, conditions' `lastProbeTime` and containers' `imageID`/`containerID`/`image`; repeated
  strings are shared. Views that show a whole pod (YAML) fetch it with `read_object`.
Everything else keeps the raw wire form (camelCase), as the API sends it. No Textual import.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_ITEMS = re.compile(r'"items"\s*:\s*\[')
_WS = " \t\r\n,"
_INTERN_CAP = 200_000
_TREE_CAP = 50_000
_META_UNIQUE = frozenset({"name", "uid", "resourceVersion", "generateName"})
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode
_CONTAINER_KEEP = ("name", "image", "restartPolicy", "ports")
_STATUS_DROP = frozenset({"hostIPs", "podIPs"})
_CS_DROP = frozenset({"imageID", "containerID", "image"})
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_STATUS_LISTS = frozenset({"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"})


class ListParseError(ValueError):
    """The list response is not valid JSON."""


def iter_list_items(chunks: Iterable[bytes], on_item: Callable[[dict], None]) -> dict[str, Any]:
    """Feed each element of the response's `items` array to `on_item` as soon as it is complete.

    Returns the list's other top-level fields (`kind`, `apiVersion`, `metadata`). Falls back to one
    `json.loads` when the body does not have the usual `{..., "items": [...]}` shape.
    """
    decode = codecs.getincrementaldecoder("utf-8")().decode
    raw_decode = json.JSONDecoder().raw_decode
    buf = ""
    state = "head"
    head = ""
    tail: list[str] = []
    for chunk in chunks:
        if not chunk:
            continue
        text = decode(chunk)
        if state == "tail":
            tail.append(text)
            continue
        buf += text
        if state == "head":
            m = _ITEMS.search(buf)
            if m is None:
                continue
            head, buf, state = buf[: m.start()], buf[m.end():], "items"
        buf, done = _drain(buf, raw_decode, on_item, final=False)
        if done is not None:
            state = "tail"
            tail.append(done)
            buf = ""
    buf += decode(b"", final=True)
    if state == "head":  # no "items" array: an unusual body, parse it whole
        try:
            data = json.loads(buf)
        except ValueError as exc:
            raise ListParseError(f"list response is not JSON: {exc}") from None
        for item in (data.get("items") or []) if isinstance(data, dict) else []:
            on_item(item)
        return {k: v for k, v in data.items() if k != "items"} if isinstance(data, dict) else {}
    if state == "items":
        buf, done = _drain(buf, raw_decode, on_item, final=True)
        if done is None:
            raise ListParseError("list response ended inside its items array")
        tail.append(done)
    try:
        rest = "".join(tail).strip().lstrip(",").strip()
        header = json.loads(head.rstrip().rstrip(",") + "}")
        header.update(json.loads("{" + rest) if rest != "}" else {})
    except ValueError as exc:
        raise ListParseError(f"list response is not JSON: {exc}") from None
    return header


def _drain(buf: str, raw_decode: Any, on_item: Callable[[dict], None], *, final: bool) -> tuple[str, str | None]:
    """Decode whole items from `buf`; returns (unconsumed text, text after `]` or None if not there yet)."""
    pos, n = 0, len(buf)
    while True:
        while pos < n and buf[pos] in _WS:
            pos += 1
        if pos >= n:
            return "", None
        if buf[pos] == "]":
            return "", buf[pos + 1:]
        try:
            obj, end = raw_decode(buf, pos)
        except ValueError as exc:
            if final:
                raise ListParseError(f"list response is not JSON: {exc}") from None
            return buf[pos:], None  # the item is not complete yet
        on_item(obj)
        pos = end


class Slimmer:
    """Turns wire objects into the cached shape (see module docstring); shares repeated strings and
    repeated pod sub-trees (labels, owners, spec, conditions, container statuses): pods of one
    ReplicaSet started in the same second hold the same objects. Cached objects are read-only."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}
        self._trees: dict[str, Any] = {}

    def slim(self, kind: str, obj: dict) -> dict:
        """The object as the store keeps it (a new dict for pods; `obj` itself, trimmed, otherwise)."""
        if kind == "pods":
            if len(self._strings) > _INTERN_CAP:
                self._strings.clear()
            if len(self._trees) > _TREE_CAP:
                self._trees.clear()
            return _slim_pod(obj, self._strings.setdefault, self._trees)
        meta = obj.get("metadata")
        if isinstance(meta, dict):
            meta.pop("managedFields", None)
        return obj


def _slim_pod(pod: dict, sd: Callable[[str, str], str], trees: dict[str, Any]) -> dict:
    """A pod in the cached shape; `sd` is the shared-strings table's setdefault, `trees` the shared
    sub-trees by their JSON text."""

    def deep(v: Any) -> Any:
        t = type(v)
        if t is str:
            return sd(v, v)
        if t is dict:
            return {sd(k, k): deep(x) for k, x in v.items()}
        if t is list:
            return [deep(x) for x in v]
        return v

    def shared(v: Any) -> Any:
        if type(v) is str:
            return sd(v, v)
        if not v or type(v) not in (dict, list):
            return v
        text = _dumps(v)
        found = trees.get(text)
        if found is None:
            found = trees[text] = deep(v)
        return found

    out: dict[str, Any] = {}
    for key, value in pod.items():
        if key == "metadata" and type(value) is dict:
            meta = {}
            for k, v in value.items():
                if k in _META_UNIQUE:
                    meta[sd(k, k)] = v  # unique per object: sharing would not save anything
                elif k != "managedFields":
                    if k == "annotations" and type(v) is dict and LAST_APPLIED in v:
                        v = {a: b for a, b in v.items() if a != LAST_APPLIED}
                    meta[sd(k, k)] = shared(v)
            value = meta
        elif key == "spec" and type(value) is dict:
            spec: dict[str, Any] = {}
            for k in _CONTAINER_LISTS:
                containers = value.get(k)
                if containers:
                    spec[k] = [{f: c[f] for f in _CONTAINER_KEEP if f in c} for c in containers if type(c) is dict]
            if "nodeName" in value:
                spec["nodeName"] = value["nodeName"]
            value = shared(spec)
        elif key == "status" and type(value) is dict:
            status: dict[str, Any] = {}
            for k, v in value.items():
                if k in _STATUS_DROP:
                    continue
                if k == "conditions" and type(v) is list:
                    v = shared([{a: b for a, b in c.items() if a != "lastProbeTime"} if type(c) is dict else c
                                for c in v])
                elif k in _STATUS_LISTS and type(v) is list:
                    v = shared([{a: b for a, b in c.items() if a not in _CS_DROP} if type(c) is dict else c
                                for c in v])
                elif k != "podIP":
                    v = shared(v)
                status[sd(k, k)] = v
            value = status
        else:
            value = shared(value)
        out[sd(key, key)] = value
    return out


def object_path(kind: str, namespace: str | None, name: str | None = None) -> str:
    """The REST path of a well-known kind by plural (all namespaces when `namespace` is None), or of one
    object (`gotui.kube.kinds.WELL_KNOWN`, the registry's static part)."""
    from gotui.kube.kinds import well_known

    return well_known(kind).path(namespace, name)
