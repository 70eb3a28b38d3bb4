"""CustomResourceDefinitions: an established CRD serves its kind like a built-in one.

`established(crd)` (called by the store after a CRD write) registers the served version's resource in
`resources.RESOURCES` (discovery lists it under /apis and /apis/GROUP/VERSION with its short names and
categories; the REST paths, watch and the store take it from there) and its additionalPrinterColumns as
the Table columns (`Age` when there are none, as the apiextensions apiserver does). `removed(store, crd)`
deletes every custom object and stops serving the kind. `validate`/`defaults` are the apiserver's checks
and the status it writes (NamesAccepted and Established at once).
"""

from __future__ import annotations

import json
import re
from typing import Any

from gotui.sandbox import resources, tables
from gotui.sandbox.errors import invalid

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PATH_PART = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']*)'\]")


def served_version(crd: dict[str, Any]) -> dict[str, Any] | None:
    """The version served (the storage version when served, else the first served one)."""
    versions = [v for v in ((crd.get("spec") or {}).get("versions") or []) if isinstance(v, dict)]
    served = [v for v in versions if v.get("served", True)]
    return next((v for v in served if v.get("storage")), served[0] if served else None)


def validate(crd: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The causes that make a CRD Invalid (empty when it is fine)."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return [("FieldValueRequired", "Required value", "spec")]
    causes: list[tuple[str, str, str]] = []
    group = spec.get("group")
    names: dict[str, Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
    plural, kind = names.get("plural"), names.get("kind")
    if not isinstance(group, str) or "." not in group:
        causes.append(("FieldValueInvalid", f'Invalid value: "{group}": should be a domain with at least one dot',
                       "spec.group"))
    if not isinstance(plural, str) or not _DNS_LABEL.match(plural):
        causes.append(("FieldValueRequired", "Required value", "spec.names.plural"))
    if not isinstance(kind, str) or not kind:
        causes.append(("FieldValueRequired", "Required value", "spec.names.kind"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(("FieldValueNotSupported",
                       f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"',
                       "spec.scope"))
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        causes.append(("FieldValueRequired", "Required value: must have at least one version", "spec.versions"))
    elif sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
        causes.append(("FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version",
                       "spec.versions"))
    name = (crd.get("metadata") or {}).get("name")
    if isinstance(plural, str) and isinstance(group, str) and name != f"{plural}.{group}":
        causes.append(("FieldValueInvalid", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
                       "metadata.name"))
    if isinstance(plural, str) and plural in resources.BUILTIN:
        causes.append(("FieldValueInvalid", f'Invalid value: "{plural}": the sandbox serves it already',
                       "spec.names.plural"))
    return causes


def check(crd: dict[str, Any]) -> None:
    """Raise 422 Invalid for a bad CRD."""
    causes = validate(crd)
    if causes:
        raise invalid("customresourcedefinitions", "CustomResourceDefinition",
                      str((crd.get("metadata") or {}).get("name") or ""), causes)


def defaults(crd: dict[str, Any], now: str) -> None:
    """Fill names defaults and the status the apiextensions controllers write (accepted, established)."""
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else None
    if spec is None:
        return
    names = spec.setdefault("names", {})
    if isinstance(names.get("kind"), str):
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", names["kind"] + "List")
    for v in spec.get("versions") or []:
        if isinstance(v, dict):
            v.setdefault("served", True)
    storage = [v.get("name") for v in spec.get("versions") or [] if isinstance(v, dict) and v.get("storage")]
    old: dict[str, Any] = crd["status"] if isinstance(crd.get("status"), dict) else {}
    conds = {c.get("type"): c for c in old.get("conditions") or [] if isinstance(c, dict)}

    def cond(ctype: str, reason: str, message: str) -> dict[str, Any]:
        prev = conds.get(ctype) or {}
        return {"type": ctype, "status": "True", "lastTransitionTime": prev.get("lastTransitionTime") or now,
                "reason": reason, "message": message}

    crd["status"] = {
        "conditions": [cond("NamesAccepted", "NoConflicts", "no conflicts found"),
                       cond("Established", "InitialNamesAccepted", "the initial names have been accepted")],
        "acceptedNames": dict(names),
        "storedVersions": sorted(set(old.get("storedVersions") or []) | set(storage)),
    }


def info_of(crd: dict[str, Any]) -> resources.ResourceInfo | None:
    """The ResourceInfo a CRD serves (None when it has no served version)."""
    spec = crd.get("spec") or {}
    version = served_version(crd)
    names = spec.get("names") or {}
    if version is None or not names.get("plural"):
        return None
    subs = tuple(s for s in ("scale", "status") if s in (version.get("subresources") or {}))
    return resources.ResourceInfo(
        names["plural"], names.get("singular") or str(names.get("kind", "")).lower(), str(names.get("kind", "")),
        str(spec.get("group", "")), str(version.get("name", "")), namespaced=spec.get("scope") != "Cluster",
        short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
        subresources=subs, extra={"schema": (version.get("schema") or {}).get("openAPIV3Schema")})


def established(crd: dict[str, Any]) -> None:
    """Serve the CRD's kind and its printer columns."""
    info = info_of(crd)
    if info is None or info.plural in resources.BUILTIN:
        return
    resources.register(info)
    version = served_version(crd) or {}
    tables.COLUMNS[info.plural] = printer_table(version.get("additionalPrinterColumns") or [])


def removed(store: Any, crd: dict[str, Any]) -> None:
    """Delete the CRD's objects and stop serving its kind."""
    plural = ((crd.get("spec") or {}).get("names") or {}).get("plural")
    if not isinstance(plural, str) or plural in resources.BUILTIN:
        return
    store.drop_resource(plural)
    resources.unregister(plural)
    tables.COLUMNS.pop(plural, None)


def json_path(obj: Any, path: str) -> Any:
    """The value at a simple JSONPath (`.spec.replicas`, `.status.conditions[0].type`,
    `.metadata.labels['app']`), None when a step is missing."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    pos, value = 0, obj
    while pos < len(text):
        m = _PATH_PART.match(text, pos)
        if m is None:
            return None
        key, index, quoted = m.groups()
        if index is not None:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        else:
            value = value.get(key if key is not None else quoted) if isinstance(value, dict) else None
        if value is None:
            return None
        pos = m.end()
    return value


def printer_table(columns: list[dict[str, Any]]) -> tuple[list[tables.Col], Any]:
    """(column definitions, cell function) for a CRD's additionalPrinterColumns."""
    cols = [c for c in columns if isinstance(c, dict) and c.get("name") and c.get("jsonPath")]
    if not cols:
        cols = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    defs: list[tables.Col] = [("Name", "string", 0)] + [
        (str(c["name"]), str(c.get("type") or "string"), int(c.get("priority") or 0)) for c in cols]

    def cells(obj: dict, ctx: Any) -> list:
        out: list[Any] = [(obj.get("metadata") or {}).get("name", "")]
        for c in cols:
            value = json_path(obj, str(c["jsonPath"]))
            ctype = c.get("type") or "string"
            if value is None:
                out.append(None)
            elif ctype == "date":
                out.append(ctx.since(value))
            elif ctype in ("integer", "number", "boolean") and not isinstance(value, (dict, list)):
                out.append(value)
            elif isinstance(value, (dict, list)):
                out.append(json.dumps(value, separators=(",", ":")))
            else:
                out.append(str(value))
        return out

    return defs, cells
