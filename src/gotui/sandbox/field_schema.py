"""The fields of every served built-in kind, and unknown fields found as the API server finds them.

The table (`field_schema.json`, next to this module) is generated from the official Kubernetes
client's models (`python -m gotui.sandbox.field_schema --write`): for each model its JSON field
names and their types (`str`, `List[V1Container]`, `Dict[str, str]`, `V1PodSpec`, `object` ...).
Their descriptions (`field_docs.json`) serve only the OpenAPI documents. Both are shipped as data
because importing the client's 900 model modules would stall the sandbox's
loop for half a second.

`unknown_fields` walks a request body like the API server's strict decoding does and names each
field the kind does not have (`spec.template.spec.containers[0].imagee`); with `prune` it removes
them, as decoding into the typed object does. Kinds without a model (custom resources) are not
checked.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("field_schema.json")
DOCS = Path(__file__).with_name("field_docs.json")  # descriptions, for the OpenAPI documents only
# kinds whose client model is not named V<version><Kind>
_MODEL_NAMES = {("", "v1", "Event"): "CoreV1Event"}
# request bodies of subresources: (group, version, kind) of the object the subresource takes
SUBRESOURCE_KINDS = {"scale": ("autoscaling", "v1", "Scale"), "eviction": ("policy", "v1", "Eviction")}
LIST_TYPE = re.compile(r"^[Ll]ist\[(.+)\]$")  # `List[V1Container]` (older clients: `list[...]`)
DICT_TYPE = re.compile(r"^[Dd]ict[\[(]str, (.+)[\])]$")  # `Dict[str, str]` (older clients: `dict(str, str)`)
_SCALARS = {"str", "int", "bool", "float", "object", "datetime", "date", "bytes", "bytearray", "file"}


def kind_key(group: str, version: str, kind: str) -> str:
    return f"{group}/{version}/{kind}" if group else f"{version}/{kind}"


@cache
def table() -> dict[str, Any]:
    """{"kinds": {"v1/Pod": "V1Pod", ...}, "models": {"V1Pod": {"spec": "V1PodSpec", ...}, ...}}."""
    return json.loads(TABLE.read_text(encoding="utf-8"))


@cache
def docs() -> dict[str, dict[str, str]]:
    """{"V1Pod": {"": "Pod is a collection of containers...", "spec": "Specification of..."}, ...}."""
    return json.loads(DOCS.read_text(encoding="utf-8"))


def model_of(group: str, version: str, kind: str) -> str | None:
    return table()["kinds"].get(kind_key(group, version, kind))


def unknown_fields(model: str, obj: Any, *, prune: bool = False) -> list[str]:
    """Paths of the fields of `obj` that `model` does not have, in the order they appear; with
    `prune`, those fields are removed from `obj` (changed in place)."""
    out: list[str] = []
    _walk(table()["models"], model, obj, "", out, prune)
    return out


def unknown_by_schema(schema: Any, obj: Any, *, prune: bool = False) -> list[str]:
    """Unknown fields of a custom object under its CRD's structural `openAPIV3Schema`, as the
    apiextensions server prunes them: a field an object's `properties` do not name is unknown unless
    the schema has `additionalProperties` or `x-kubernetes-preserve-unknown-fields: true`;
    `apiVersion`/`kind` are always known and `metadata` is an ObjectMeta."""
    out: list[str] = []
    if isinstance(schema, dict) and isinstance(obj, dict):
        _walk_schema(schema, obj, "", out, prune, root=True)
    return out


def _walk_schema(schema: dict[str, Any], value: Any, path: str, out: list[str], prune: bool, root: bool = False) -> None:
    if schema.get("x-kubernetes-preserve-unknown-fields") is True:
        return
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                _walk_schema(items, item, f"{path}[{i}]", out, prune)
        return
    if not isinstance(value, dict):
        return
    found = schema.get("properties")
    properties: dict[str, Any] = found if isinstance(found, dict) else {}
    additional = schema.get("additionalProperties")
    prefix = f"{path}." if path else ""
    for key in list(value):
        if root and key in ("apiVersion", "kind"):
            continue
        if root and key == "metadata":
            _walk(table()["models"], "V1ObjectMeta", value[key], "metadata", out, prune)
        elif key in properties and isinstance(properties[key], dict):
            _walk_schema(properties[key], value[key], prefix + key, out, prune)
        elif isinstance(additional, dict):
            _walk_schema(additional, value[key], f"{path}[{key}]", out, prune)
        elif additional is not True:
            out.append(prefix + key)
            if prune:
                del value[key]


def _walk(models: dict[str, dict[str, str]], type_name: str, value: Any, path: str, out: list[str], prune: bool) -> None:
    if type_name in _SCALARS or value is None:
        return
    m = LIST_TYPE.match(type_name)
    if m:
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk(models, m.group(1), item, f"{path}[{i}]", out, prune)
        return
    m = DICT_TYPE.match(type_name)
    if m:
        if isinstance(value, dict):
            for key, item in value.items():
                _walk(models, m.group(1), item, f"{path}[{key}]", out, prune)
        return
    fields = models.get(type_name)
    if fields is None or not isinstance(value, dict):
        return  # a model the table does not hold, or a wrong type (validation reports those)
    prefix = f"{path}." if path else ""
    for key in list(value):
        field_type = fields.get(key)
        if field_type is None:
            out.append(prefix + key)
            if prune:
                del value[key]
        else:
            _walk(models, field_type, value[key], prefix + key, out, prune)


def generate(kinds: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The table for (group, version, kind)s, from the installed `kubernetes` client's models."""
    import kubernetes.client.models as client_models

    out: dict[str, Any] = {"kinds": {}, "models": {}, "docs": {}}
    todo: list[str] = []
    for group, version, kind in kinds:
        name = _MODEL_NAMES.get((group, version, kind), f"{version.capitalize()}{kind}")
        if getattr(client_models, name, None) is None:
            continue
        out["kinds"][kind_key(group, version, kind)] = name
        todo.append(name)
    while todo:
        name = todo.pop()
        if name in out["models"]:
            continue
        cls = getattr(client_models, name)
        fields = {cls.attribute_map[attr]: type_name for attr, type_name in cls.openapi_types.items()}
        out["models"][name] = dict(sorted(fields.items()))
        described = {"": (cls.__doc__ or "").strip().split("\n\n")[0].strip()}
        for attr, info in (getattr(cls, "model_fields", None) or {}).items():  # pydantic models (client 35+)
            if attr in cls.attribute_map and getattr(info, "description", None):
                described[cls.attribute_map[attr]] = info.description
        out["docs"][name] = dict(sorted(described.items()))
        for type_name in fields.values():
            inner = type_name
            while True:
                m = LIST_TYPE.match(inner) or DICT_TYPE.match(inner)
                if not m:
                    break
                inner = m.group(1)
            if inner not in _SCALARS and getattr(client_models, inner, None) is not None:
                todo.append(inner)
    out["models"] = dict(sorted(out["models"].items()))
    out["docs"] = dict(sorted(out["docs"].items()))
    return out


def served_kinds() -> list[tuple[str, str, str]]:
    from gotui.sandbox.resources import RESOURCES

    kinds = [(r.group, r.version, r.kind) for r in RESOURCES.values()]
    return kinds + list(SUBRESOURCE_KINDS.values())


def main(argv: list[str]) -> int:
    data = generate(served_kinds())
    described = data.pop("docs")
    text = json.dumps(data, indent=0) + "\n"
    if "--write" in argv:
        TABLE.write_text(text, encoding="utf-8")
        DOCS.write_text(json.dumps(described, indent=0) + "\n", encoding="utf-8")
        print(f"{TABLE}: {len(data['kinds'])} kinds, {len(data['models'])} models; descriptions in {DOCS.name}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
