"""OpenAPI v3 documents of the served group/versions (`/openapi/v3`, `/openapi/v3/apis/apps/v1`).

kubectl reads them before `create`, `apply`, `replace` and `edit`: a kind whose PATCH operation takes
the `fieldValidation` query parameter is validated by the server (kubectl sends
`fieldValidation=Strict` and the sandbox refuses unknown fields, see `field_schema`); without these
documents kubectl failed with "failed to download openapi" unless run with `--validate=false`.
`components.schemas` hold each kind's fields and types (from the same table), so `kubectl explain`
can walk them. The PATCH operations do not offer strategic merge patch bodies: `kubectl apply`
then computes its patch from its own built-in types, as it does when a server has no OpenAPI v3.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from gotui.sandbox import field_schema
from gotui.sandbox.discovery import VERSION_INFO
from gotui.sandbox.resources import RESOURCES, ResourceInfo

_MODEL_NAME = re.compile(r"^((?:[A-Z][a-z]+)*?V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$")
_SCALAR_SCHEMAS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer", "format": "int64"},
    "bool": {"type": "boolean"},
    "float": {"type": "number", "format": "double"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "bytes": {"type": "string", "format": "byte"},
    "bytearray": {"type": "string", "format": "byte"},
    "object": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
}
_WRITE_PARAMS = [
    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True},
     "description": "When present, indicates that modifications should not be persisted."},
    {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True},
     "description": "A name associated with the actor or entity that is making these changes."},
    {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True},
     "description": "How the server handles fields it does not know: Ignore, Warn (the default) or Strict."},
]
_PATCH_BODIES = ("application/json-patch+json", "application/merge-patch+json")

_cache: dict[tuple, tuple[dict[str, Any], dict[str, bytes]]] = {}


def schema_name(model: str) -> str:
    """`v1.ObjectMeta` for the client's `V1ObjectMeta` (kubectl explain shows the part after the last
    dot, as it shows `ObjectMeta` for the API server's `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`)."""
    m = _MODEL_NAME.match(model)
    return f"{m.group(1).lower()}.{m.group(2)}" if m else model


def gv_path(group: str, version: str) -> str:
    """`api/v1` or `apis/apps/v1`: the key of a group/version in the index (as kubectl builds it)."""
    return f"apis/{group}/{version}" if group else f"api/{version}"


def index() -> dict[str, Any]:
    """GET /openapi/v3: every served group/version, each with the URL of its document; the `hash`
    in the URL changes when the document does (kubectl caches documents by URL)."""
    return _built()[0]


def document(path: str) -> bytes | None:
    """GET /openapi/v3/<api/v1 | apis/G/V>: the JSON document, or None when not served."""
    return _built()[1].get(path.strip("/"))


def _built() -> tuple[dict[str, Any], dict[str, bytes]]:
    key = tuple(RESOURCES)  # custom resources come and go with their CRDs
    hit = _cache.get(key)
    if hit is None:
        groups: dict[tuple[str, str], list[ResourceInfo]] = {}
        for info in RESOURCES.values():
            groups.setdefault((info.group, info.version), []).append(info)
        docs = {gv_path(g, v): json.dumps(_document(g, v, infos), separators=(",", ":")).encode()
                for (g, v), infos in groups.items()}
        paths = {p: {"serverRelativeURL": f"/openapi/v3/{p}?hash={hashlib.sha512(doc).hexdigest().upper()}"}
                 for p, doc in docs.items()}
        hit = _cache[key] = ({"paths": paths}, docs)
        while len(_cache) > 4:
            del _cache[next(iter(_cache))]
    return hit


def _document(group: str, version: str, infos: list[ResourceInfo]) -> dict[str, Any]:
    models = field_schema.table()["models"]
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    for info in infos:
        model = field_schema.model_of(info.group, info.version, info.kind)
        gvk = {"group": info.group, "version": info.version, "kind": info.kind}
        if model is not None:
            _add_schemas(models, model, schemas)
            schemas[schema_name(model)]["x-kubernetes-group-version-kind"] = [gvk]
            ref: dict[str, Any] = {"$ref": f"#/components/schemas/{schema_name(model)}"}
        else:
            ref = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        collection = f"{base}/namespaces/{{namespace}}/{info.plural}" if info.namespaced else f"{base}/{info.plural}"
        item = f"{collection}/{{name}}"
        verbs = set(info.verbs)
        ops: dict[str, dict[str, Any]] = {}
        if "list" in verbs:
            ops.setdefault(collection, {})["get"] = _op("list", info, gvk, ref, [])
        if "create" in verbs:
            ops.setdefault(collection, {})["post"] = _op("post", info, gvk, ref, _WRITE_PARAMS, body=("application/json",))
        if "get" in verbs:
            ops.setdefault(item, {})["get"] = _op("get", info, gvk, ref, [])
        if "update" in verbs:
            ops.setdefault(item, {})["put"] = _op("put", info, gvk, ref, _WRITE_PARAMS, body=("application/json",))
        if "patch" in verbs:
            ops.setdefault(item, {})["patch"] = _op("patch", info, gvk, ref, _WRITE_PARAMS + [
                {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}}], body=_PATCH_BODIES)
        if "delete" in verbs:
            ops.setdefault(item, {})["delete"] = _op("delete", info, gvk, ref, [])
        if "status" in info.subresources and "patch" in verbs:
            ops[f"{item}/status"] = {
                "get": _op("get", info, gvk, ref, []),
                "put": _op("put", info, gvk, ref, _WRITE_PARAMS, body=("application/json",)),
                "patch": _op("patch", info, gvk, ref, _WRITE_PARAMS, body=_PATCH_BODIES),
            }
        if "scale" in info.subresources:
            scale_gvk = dict(zip(("group", "version", "kind"), field_schema.SUBRESOURCE_KINDS["scale"], strict=True))
            scale_model = field_schema.model_of(*field_schema.SUBRESOURCE_KINDS["scale"]) or ""
            _add_schemas(models, scale_model, schemas)
            scale_ref = {"$ref": f"#/components/schemas/{schema_name(scale_model)}"}
            ops[f"{item}/scale"] = {
                "get": _op("get", info, scale_gvk, scale_ref, []),
                "put": _op("put", info, scale_gvk, scale_ref, _WRITE_PARAMS, body=("application/json",)),
                "patch": _op("patch", info, scale_gvk, scale_ref, _WRITE_PARAMS, body=_PATCH_BODIES),
            }
        for path, path_ops in ops.items():
            path_params = [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}] \
                if "{name}" in path else []
            if "{namespace}" in path:
                path_params.append({"name": "namespace", "in": "path", "required": True, "schema": {"type": "string"}})
            paths[path] = {**path_ops, "parameters": path_params}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION_INFO["gitVersion"]},
            "paths": paths, "components": {"schemas": dict(sorted(schemas.items()))}}


def _op(action: str, info: ResourceInfo, gvk: dict[str, str], ref: dict[str, Any], params: list[dict],
        body: tuple[str, ...] = ()) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{action}{info.kind}",
        "tags": [info.api_version.replace("/", "_")],
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
        "parameters": list(params),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}},
    }
    if body:
        op["requestBody"] = {"content": {ctype: {"schema": ref} for ctype in body}, "required": True}
    return op


def _add_schemas(models: dict[str, dict[str, str]], name: str, schemas: dict[str, Any]) -> None:
    """`name`'s schema and every model it refers to, into `schemas` (with the client's descriptions)."""
    described = field_schema.docs()
    todo = [name]
    while todo:
        model = todo.pop()
        if schema_name(model) in schemas or model not in models:
            continue
        texts = described.get(model, {})
        properties = {}
        for key, type_name in models[model].items():
            prop = _type_schema(type_name, todo)
            if texts.get(key):
                prop["description"] = texts[key]
            properties[key] = prop
        schemas[schema_name(model)] = {"description": texts.get("", ""), "type": "object", "properties": properties}


def _type_schema(type_name: str, refs: list[str]) -> dict[str, Any]:
    m = field_schema.LIST_TYPE.match(type_name)
    if m:
        return {"type": "array", "items": _type_schema(m.group(1), refs)}
    m = field_schema.DICT_TYPE.match(type_name)
    if m:
        return {"type": "object", "additionalProperties": _type_schema(m.group(1), refs)}
    scalar = _SCALAR_SCHEMAS.get(type_name)
    if scalar is not None:
        return dict(scalar)
    refs.append(type_name)
    return {"allOf": [{"$ref": f"#/components/schemas/{schema_name(type_name)}"}], "default": {}}
