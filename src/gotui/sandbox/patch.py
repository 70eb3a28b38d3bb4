"""The three patch types: strategic merge, JSON merge (RFC 7386) and JSON patch (RFC 6902).

Strategic merge covers what clients send: maps merge (null deletes), lists replace except those with a
merge key (containers/initContainers/ephemeralContainers/volumes/env/imagePullSecrets by name, container
ports by containerPort, Service ports by port, volumeMounts by mountPath, conditions by type,
ownerReferences by uid, ...), `$patch: delete|replace|merge`, `$setElementOrder/<list>`,
`$deleteFromPrimitiveList/<list>`, `$retainKeys` and set-merged primitive lists (finalizers).
"""

from __future__ import annotations

import copy
from typing import Any

from gotui.sandbox.errors import ApiError, bad_request

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

# field name -> merge key; "ports" is resolved by its items (containerPort vs port).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "readinessGates": "conditionType",
}
PRIMITIVE_SET_LISTS = {"finalizers"}


def _invalid(message: str) -> ApiError:
    return ApiError(422, "Invalid", message)


# --- RFC 7386 -------------------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch and return the result (inputs are not modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- strategic merge -----------------------------------------------------------------------------


def _merge_key(field: str, items: list) -> str | None:
    if field == "ports":
        for item in items:
            if isinstance(item, dict):
                if "containerPort" in item and "port" not in item:
                    return "containerPort"
                if "port" in item:
                    return "port"
        return "containerPort"
    return MERGE_KEYS.get(field)


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_directives(v)
            for k, v in value.items()
            if not (k.startswith("$setElementOrder/") or k.startswith("$deleteFromPrimitiveList/")
                    or k in ("$patch", "$retainKeys"))
            and v is not None
        }
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def _smp_list(field: str, original: Any, patch: list) -> list:
    if field in PRIMITIVE_SET_LISTS:
        base = list(original) if isinstance(original, list) else []
        for item in patch:
            if item not in base:
                base.append(item)
        return base
    key = _merge_key(field, patch + (original if isinstance(original, list) else []))
    if key is None or not all(isinstance(i, dict) for i in patch):
        return [_strip_directives(i) for i in patch]
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [_strip_directives(i) for i in patch if i.get("$patch") != "replace"]
    result = [copy.deepcopy(i) for i in original] if isinstance(original, list) else []
    for item in patch:
        directive = item.get("$patch")
        if key not in item:
            if directive == "delete":
                continue
            raise bad_request(f"map: {item} does not contain declared merge key: {key}")
        idx = next((n for n, cur in enumerate(result) if isinstance(cur, dict) and cur.get(key) == item[key]), None)
        if directive == "delete":
            if idx is not None:
                result.pop(idx)
            continue
        if idx is None:
            result.append(_strip_directives(item))
        else:
            result[idx] = strategic_merge(result[idx], item)
    return result


def _reorder(items: list, order: list, key: str | None) -> list:
    if key is None:
        return items
    pos = {o.get(key) if isinstance(o, dict) else o: n for n, o in enumerate(order)}
    indexed = list(enumerate(items))
    indexed.sort(key=lambda t: (pos.get(t[1].get(key) if isinstance(t[1], dict) else t[1], len(pos) + t[0])))
    return [i for _, i in indexed]


def strategic_merge(original: Any, patch: Any) -> Any:
    """Apply a strategic merge patch (see module doc) and return the result."""
    if not isinstance(patch, dict):
        return _strip_directives(copy.deepcopy(patch))
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return _strip_directives(patch)
    result = copy.deepcopy(original) if isinstance(original, dict) else {}
    orders: dict[str, list] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            if isinstance(value, list):
                orders[key.split("/", 1)[1]] = value
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge(result.get(key), value)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _smp_list(key, result.get(key), value)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(result[field], order, _merge_key(field, order))
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


# --- RFC 6902 ------------------------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _invalid(f"the server rejected our request due to an error in our request: invalid path {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str], path: str) -> tuple[Any, str | int]:
    cur = doc
    for part in parts[:-1]:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise _invalid(f"the server rejected our request due to an error in our request: "
                           f"doc is missing path: {path!r}")
    last = parts[-1]
    if isinstance(cur, list):
        if last == "-":
            return cur, len(cur)
        if not last.isdigit():
            raise _invalid(f"the server rejected our request due to an error in our request: "
                           f"invalid array index {last!r} in {path!r}")
        return cur, int(last)
    if not isinstance(cur, dict):
        raise _invalid(f"the server rejected our request due to an error in our request: "
                       f"doc is missing path: {path!r}")
    return cur, last


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    container, key = _resolve(doc, parts, path)
    try:
        return container[key]
    except (KeyError, IndexError, TypeError):
        raise _invalid(f"the server rejected our request due to an error in our request: "
                       f"doc is missing path: {path!r}") from None


def _add(doc: Any, path: str, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    container, key = _resolve(doc, parts, path)
    if isinstance(container, list):
        if key > len(container):  # type: ignore[operator]
            raise _invalid(f"the server rejected our request due to an error in our request: "
                           f"index out of range in {path!r}")
        container.insert(key, value)  # type: ignore[arg-type]
    else:
        container[key] = value
    return doc


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise _invalid("the server rejected our request due to an error in our request: cannot remove the root")
    container, key = _resolve(doc, parts, path)
    try:
        del container[key]
    except (KeyError, IndexError, TypeError):
        raise _invalid(f"the server rejected our request due to an error in our request: "
                       f"remove operation does not apply: doc is missing path: {path!r}") from None
    return doc


def json_patch(doc: Any, operations: Any) -> Any:
    """Apply an RFC 6902 patch; errors give 422 (like the apiserver) or 400 for a malformed patch."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in operations:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
            raise bad_request(f"the server rejected our request due to an error in our request: invalid operation {op!r}")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise _invalid(f"the server rejected our request due to an error in our request: "
                           f"missing value for {kind} operation")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind == "replace":
            _get(doc, path)  # must exist
            parts = _pointer(path)
            if not parts:
                doc = copy.deepcopy(op["value"])
            else:
                container, key = _resolve(doc, parts, path)
                container[key] = copy.deepcopy(op["value"])
        elif kind in ("move", "copy"):
            src = op.get("from")
            if not isinstance(src, str):
                raise bad_request(f"the server rejected our request due to an error in our request: "
                                  f"missing from in {kind} operation")
            value = copy.deepcopy(_get(doc, src))
            if kind == "move":
                doc = _remove(doc, src)
            doc = _add(doc, path, value)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise _invalid(f"the server rejected our request due to an error in our request: "
                               f"testing value {path} failed")
        else:
            raise bad_request(f"the server rejected our request due to an error in our request: "
                              f"unexpected kind of operation: {kind}")
    return doc


def apply_patch(content_type: str, original: dict, patch: Any) -> Any:
    """Apply `patch` of the given media type to `original`; 415 for an unsupported type."""
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == JSON_PATCH:
        return json_patch(original, patch)
    if ctype == MERGE_PATCH:
        if not isinstance(patch, dict):
            raise bad_request("the body of the request was in an unknown format: merge patch must be an object")
        return merge_patch(original, patch)
    if ctype == STRATEGIC_MERGE_PATCH:
        if not isinstance(patch, dict):
            raise bad_request("the body of the request was in an unknown format: strategic merge patch must be an object")
        return strategic_merge(original, patch)
    raise ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_MERGE_PATCH}",
    )
