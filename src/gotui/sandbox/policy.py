"""The sandbox's authorization table: everything allowed unless a deny rule matches.

Rules are set at run time through the sandbox-only endpoint `POST /sandbox/v1/policy` with
`{"deny": [{"verb": "delete", "resource": "pods", "namespace": "shop"}, ...]}` (replaces the rules;
`{"deny": []}` clears them; `GET /sandbox/v1/policy` shows them). A rule field that is missing, empty
or "*" matches anything; fields: verb, resource (may be "pods/log" style with a subresource),
namespace, name, group. SelfSubjectAccessReviews answer from this table, and the API enforces it
with 403 Forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RULE_FIELDS = ("verb", "resource", "namespace", "name", "group")


@dataclass
class Policy:
    """Deny rules over (verb, group, resource[/subresource], namespace, name)."""

    deny: list[dict[str, str]] = field(default_factory=list)

    def set_rules(self, body: Any) -> None:
        """Replace the deny rules from a `{"deny": [...]}` body; ValueError when malformed."""
        if not isinstance(body, dict) or not isinstance(body.get("deny", []), list):
            raise ValueError('expected {"deny": [{"verb": ..., "resource": ..., "namespace": ...}]}')
        rules = []
        for rule in body.get("deny", []):
            if not isinstance(rule, dict) or not all(isinstance(v, str) for v in rule.values()):
                raise ValueError(f"a rule must be an object of strings: {rule!r}")
            unknown = set(rule) - set(RULE_FIELDS)
            if unknown:
                raise ValueError(f"unknown rule fields: {sorted(unknown)}")
            rules.append({k: v for k, v in rule.items() if v not in ("", "*")})
        self.deny = rules

    def to_dict(self) -> dict[str, Any]:
        """The rules as served by GET /sandbox/v1/policy."""
        return {"deny": list(self.deny)}

    def check(self, verb: str, resource: str, namespace: str | None = None, name: str | None = None,
              group: str | None = None, subresource: str | None = None) -> tuple[bool, str]:
        """(allowed, reason) for one request."""
        full = f"{resource}/{subresource}" if subresource else resource
        for rule in self.deny:
            if "verb" in rule and rule["verb"] != verb:
                continue
            if "resource" in rule and rule["resource"] != full:
                continue
            if "namespace" in rule and namespace and rule["namespace"] != namespace:
                continue
            if "name" in rule and name and rule["name"] != name:
                continue
            if "group" in rule and group is not None and rule["group"] != group:
                continue
            return False, f"denied by sandbox policy rule {rule}"
        return True, "allowed by sandbox policy (no deny rule matched)"

    def review(self, body: Any) -> dict[str, Any]:
        """Fill `status` of a SelfSubjectAccessReview body."""
        spec = body.get("spec") if isinstance(body, dict) else None
        attrs = (spec or {}).get("resourceAttributes") if isinstance(spec, dict) else None
        if isinstance(attrs, dict):
            allowed, reason = self.check(
                str(attrs.get("verb") or ""), str(attrs.get("resource") or ""),
                attrs.get("namespace") or None, attrs.get("name") or None,
                attrs.get("group") if isinstance(attrs.get("group"), str) else "",
                attrs.get("subresource") or None,
            )
        else:
            allowed, reason = True, "allowed by sandbox policy (non-resource request)"
        status: dict[str, Any] = {"allowed": allowed, "reason": reason}
        if not allowed:
            status["denied"] = True
        return status
