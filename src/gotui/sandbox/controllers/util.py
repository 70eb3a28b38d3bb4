"""Small helpers shared by the simulated controllers: time stamps, copies, hashes, selectors, names."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

# k8s.io/apimachinery/pkg/util/rand: alphabet without vowels and confusable characters.
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"


_ISO_LAST: list = [None, ""]  # the last whole second formatted by iso() and its text


def iso(t: float) -> str:
    """RFC3339 with seconds precision, UTC (`2026-11-25T00:00:00Z`), as Kubernetes writes metav1.Time."""
    whole = int(t) if t >= 0 else None
    if whole is not None and whole == _ISO_LAST[0]:
        return _ISO_LAST[1]
    text = datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if whole is not None:
        _ISO_LAST[0], _ISO_LAST[1] = whole, text
    return text


def iso_micro(t: float) -> str:
    """RFC3339 with microseconds (metav1.MicroTime)."""
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_nano(t: float) -> str:
    """RFC3339Nano as the kubelet prefixes log lines with `timestamps=true`."""
    whole = int(t)
    nanos = int(round((t - whole) * 1e9))
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    base = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{nanos:09d}Z"


def fast_copy(obj: Any) -> Any:
    """Deep copy of JSON-shaped data (dict/list/scalars), several times faster than copy.deepcopy."""
    if isinstance(obj, dict):
        return {k: fast_copy(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [fast_copy(v) for v in obj]
    return obj


def fnv32a(data: bytes) -> int:
    """FNV-1a 32-bit hash (hash/fnv New32a), used by Kubernetes for pod-template-hash."""
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """k8s rand.SafeEncodeString: map each byte onto the vowel-free alphabet."""
    return "".join(ALPHANUMS[b % len(ALPHANUMS)] for b in text.encode())


def template_hash(template: dict, collision_count: int = 0) -> str:
    """A stable pod-template-hash for a pod template (FNV-1a over canonical JSON, safe-encoded)."""
    data = json.dumps(normalize_template(template), sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


def normalize_template(template: dict | None) -> dict:
    """A template with `pod-template-hash` and null/empty metadata noise removed, for comparisons."""
    t = fast_copy(template or {})
    meta = t.get("metadata") or {}
    meta.pop("creationTimestamp", None)
    labels = meta.get("labels")
    if isinstance(labels, dict):
        labels.pop("pod-template-hash", None)
        if not labels:
            meta.pop("labels", None)
    if not meta.get("annotations"):
        meta.pop("annotations", None)
    if meta:
        t["metadata"] = meta
    else:
        t.pop("metadata", None)
    return _drop_nulls(t)


def _drop_nulls(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


def templates_equal(a: dict | None, b: dict | None) -> bool:
    """Pod templates equal ignoring the pod-template-hash label (what kubectl/the controller compare)."""
    return normalize_template(a) == normalize_template(b)


def random_suffix(rng: random.Random, n: int = 5) -> str:
    """`n` characters from the Kubernetes name alphabet (generateName style)."""
    return "".join(rng.choice(ALPHANUMS) for _ in range(n))


def selector_matches(selector: dict | None, labels: dict | None) -> bool:
    """Match a LabelSelector (matchLabels + matchExpressions) or a plain map selector against labels."""
    if not selector:
        return False
    labels = labels or {}
    if "matchLabels" in selector or "matchExpressions" in selector:
        for k, v in (selector.get("matchLabels") or {}).items():
            if labels.get(k) != v:
                return False
        for expr in selector.get("matchExpressions") or []:
            key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
            if op == "In" and labels.get(key) not in values:
                return False
            if op == "NotIn" and key in labels and labels[key] in values:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
        return True
    return all(labels.get(k) == v for k, v in selector.items())


def selector_string(selector: dict | None) -> str:
    """A LabelSelector as the string form (`app=web,tier in (a,b)`)."""
    if not selector:
        return ""
    parts = []
    match = selector.get("matchLabels") if ("matchLabels" in selector or "matchExpressions" in selector) else selector
    for k, v in sorted((match or {}).items()):
        parts.append(f"{k}={v}")
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(sorted(values))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def owner_uid(obj: dict) -> str | None:
    """The uid of the controller owner of an object (ownerReferences with controller=true)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def owner_ref(owner: dict, kind: str, api_version: str) -> dict:
    """An ownerReference entry pointing at `owner` with controller=true, blockOwnerDeletion=true."""
    meta = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    """Resolve an IntOrString such as 25% against `total` (intstr.GetScaledValueFromIntOrPercent)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        try:
            pct = int(text[:-1])
        except ValueError:
            return 0
        scaled = pct * total
        return -(-scaled // 100) if round_up else scaled // 100
    try:
        return int(text)
    except ValueError:
        return 0


def condition(ctype: str, status: str, reason: str, message: str, now: float, *,
              update_time: bool = False) -> dict:
    """A condition dict (lastTransitionTime, optionally lastUpdateTime as Deployments carry)."""
    c = {"type": ctype, "status": status, "reason": reason, "message": message}
    if update_time:
        c["lastUpdateTime"] = iso(now)
    c["lastTransitionTime"] = iso(now)
    return c


def set_condition(conditions: list[dict], new: dict) -> list[dict]:
    """Replace the condition of the same type, keeping lastTransitionTime when the status is unchanged
    (and lastUpdateTime when nothing but the time changed)."""
    out = []
    found = False
    for c in conditions:
        if c.get("type") == new["type"]:
            found = True
            merged = dict(new)
            if c.get("status") == new["status"]:
                merged["lastTransitionTime"] = c.get("lastTransitionTime", new["lastTransitionTime"])
                if (c.get("reason") == new["reason"] and c.get("message") == new["message"]
                        and "lastUpdateTime" in new and "lastUpdateTime" in c):
                    merged["lastUpdateTime"] = c["lastUpdateTime"]
            out.append(merged)
        else:
            out.append(c)
    if not found:
        out.append(new)
    return out


def get_condition(obj: dict, ctype: str) -> dict | None:
    """The status condition of type `ctype`, if any."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def pod_is_ready(pod: dict) -> bool:
    """Ready condition True and not terminating."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    c = get_condition(pod, "Ready")
    return bool(c and c.get("status") == "True")
