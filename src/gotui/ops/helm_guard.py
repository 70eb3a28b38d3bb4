"""A Helm rollback that switches a Service's selector is guarded like a gotui cutover.

`helm rollback` re-applies an old revision's manifest; when that revision's Service selects another colour
than the live Service (a gotui cutover happened since), helm switches the traffic with no check at all —
onto a colour with zero ready pods, if that colour was scaled down. Here: the target revision's Service
selectors are read from its manifest (decoded from Helm's storage Secret), compared with the live
Services, and for each change

- PREFLIGHT before helm runs: the cutover's checks (`preflight_problems`: the target colour's rollout is
  complete, every pod of it Ready, no other cutover holds the lock); a target without ready pods is refused;
- after helm: the switch is recorded on the Service as a gotui cutover records its own (previous colour,
  time, operator — conditional on the selector being the target), so `R` can go back;
- VERIFY: the Service's endpoints become exactly the ready pods its new selector matches.

The lock is checked, not taken: helm's own apply is not conditional on it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import yaml

from gotui.config import Settings
from gotui.ops import helm as helm_ops
from gotui.ops.bluegreen import (
    ANN_LOCK,
    BlueGreenApp,
    Lock,
    build_app,
    endpoint_pods,
    labels_match,
    pod_ready,
)
from gotui.ops.cutover import now_rfc3339, operator_name, preflight_problems, record_switch_patch
from gotui.ops.kube_io import KubeError, KubeIO
from gotui.ops.rollout import Outcome


class HelmGuardError(helm_ops.HelmError):
    """A guarded Helm rollback that was refused or whose VERIFY failed; `before`/`after` for the audit."""

    def __init__(self, message: str, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None):
        super().__init__(message)
        self.before, self.after = before, after


@dataclass(frozen=True)
class SelectorChange:
    """One Service whose selector the Helm rollback would change."""

    namespace: str
    service: str
    live: dict[str, str]
    target: dict[str, str]
    color_key: str | None = None  # set when the Service is a blue-green app and only its colour changes
    target_ready: int = 0  # ready pods the target selector matches now
    target_deployment: str = ""
    target_replicas: int | None = None
    live_ready: int = 0

    @property
    def from_color(self) -> str:
        return self.live.get(self.color_key or "", "")

    @property
    def to_color(self) -> str:
        return self.target.get(self.color_key or "", "")

    def describe(self) -> str:
        """`Service go-api: selector version green → blue (blue go-api-blue 0/0 ready; green 3 ready now)`."""
        if self.color_key:
            count = f"{self.target_ready}/{self.target_replicas}" if self.target_replicas is not None else str(self.target_ready)
            return (f"Service {self.service}: selector {self.color_key} {self.from_color} → {self.to_color} "
                    f"({self.to_color} {self.target_deployment} {count} ready; {self.from_color} "
                    f"{self.live_ready} ready now)")
        return (f"Service {self.service}: selector {_sel(self.live)} → {_sel(self.target)} "
                f"({self.target_ready} ready pod(s) match it)")


def _sel(selector: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"


def rendered_selectors(manifest: str, namespace: str) -> dict[tuple[str, str], dict[str, str]]:
    """(namespace, name) -> selector of every Service in a rendered Helm manifest."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    try:
        docs = list(yaml.safe_load_all(manifest or ""))
    except yaml.YAMLError as exc:
        raise helm_ops.HelmError(f"the revision's manifest is not valid YAML: {exc}") from None
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") != "Service":
            continue
        meta = doc.get("metadata") or {}
        selector = (doc.get("spec") or {}).get("selector")
        if meta.get("name") and isinstance(selector, dict):
            out[(meta.get("namespace") or namespace, meta["name"])] = {str(k): str(v) for k, v in selector.items()}
    return out


def selector_changes(revision: helm_ops.HelmRevision, services: list[dict[str, Any]], pods: list[dict[str, Any]],
                     apps: list[BlueGreenApp]) -> list[SelectorChange]:
    """Every live Service whose selector differs from the one `revision` renders (pure)."""
    live = {((s.get("metadata") or {}).get("namespace", ""), (s.get("metadata") or {}).get("name", "")): s
            for s in services}
    changes: list[SelectorChange] = []
    for (ns, name), target in rendered_selectors(revision.manifest, revision.namespace).items():
        svc = live.get((ns, name))
        if svc is None:
            continue
        current = {str(k): str(v) for k, v in ((svc.get("spec") or {}).get("selector") or {}).items()}
        if current == target:
            continue
        matching = [p for p in pods if (p.get("metadata") or {}).get("namespace") == ns
                    and labels_match(target, (p.get("metadata") or {}).get("labels"))]
        ready = sum(1 for p in matching if pod_ready(p))
        app = next((a for a in apps if a.namespace == ns and a.name == name), None)
        key = app.color_key if app is not None else None
        only_colour = key is not None and {k: v for k, v in current.items() if k != key} == {
            k: v for k, v in target.items() if k != key} and key in target
        if app is not None and only_colour and key is not None:
            st = app.colors.get(target[key])
            live_st = app.colors.get(current.get(key, ""))
            changes.append(SelectorChange(ns, name, current, target, key, ready,
                                          st.deployment if st else "(no Deployment)",
                                          st.replicas if st else None, live_st.ready if live_st else 0))
        else:
            changes.append(SelectorChange(ns, name, current, target, None, ready))
    return changes


def change_problems(change: SelectorChange, app: BlueGreenApp | None, service: dict[str, Any] | None,
                    revision: int) -> list[str]:
    """PREFLIGHT of one selector change (empty: go): ready pods behind the new selector, the cutover's
    checks on the target colour, and the lock annotation on the Service."""
    what = f"revision {revision} switches {change.describe()}"
    if change.target_ready == 0:
        return [f"{what}: nothing would serve {change.service}. Scale the target up and wait until it is Ready "
                "(or cut over with gotui), then roll back."]
    if change.color_key and app is not None:
        problems = preflight_problems(app, change.to_color, scale_up=True)
        return [f"{what}: {p}" for p in problems]
    lock = Lock.parse(((service or {}).get("metadata") or {}).get("annotations", {}).get(ANN_LOCK))
    if lock is not None and not lock.stale():
        return [f"another cutover holds the lock on {change.service}: {lock.by or '?'} since {lock.at or '?'}; "
                "wait for it to finish."]
    return []


def preflight(revision: helm_ops.HelmRevision, services: list[dict[str, Any]], pods: list[dict[str, Any]],
              apps: list[BlueGreenApp]) -> tuple[list[SelectorChange], list[str]]:
    """(the selector changes `revision` makes, every reason to refuse them) — empty problems: go."""
    changes = selector_changes(revision, services, pods, apps)
    problems: list[str] = []
    for change in changes:
        app = next((a for a in apps if a.namespace == change.namespace and a.name == change.service), None)
        svc = next((s for s in services if (s.get("metadata") or {}).get("name") == change.service
                    and (s.get("metadata") or {}).get("namespace") == change.namespace), None)
        problems += change_problems(change, app, svc, revision.revision)
    return changes, problems


def guard_detail(revision: int, changes: list[SelectorChange]) -> str:
    """The confirmation modal's lines for a Helm rollback (joined by ' ⏎ ')."""
    lines = [f"Helm makes a new revision with the chart and values of revision {revision}."]
    if not changes:
        lines.append("It leaves every Service's selector as it is now.")
        return " ⏎ ".join(lines)
    for c in changes:
        lines.append("⚠ SWITCHES " + c.describe())
    lines.append("Checks: PREFLIGHT (target Ready, no cutover lock) → helm rollback → record the switch "
                 "(previous colour, time, operator: R goes back) → VERIFY (endpoints = the target's ready pods).")
    return " ⏎ ".join(lines)


# -- running it --------------------------------------------------------------------------------------


@dataclass
class _Live:
    services: list[dict[str, Any]]
    pods: list[dict[str, Any]]
    apps: list[BlueGreenApp]


def _read(io: KubeIO, namespace: str, names: list[tuple[str, str]]) -> _Live:
    services = [s for ns, name in names if (s := io.get("services", ns, name)) is not None]
    namespaces = sorted({ns for ns, _ in names} | {namespace})
    pods = [p for ns in namespaces for p in io.list("pods", ns)]
    deployments = [d for ns in namespaces for d in io.list("deployments", ns)]
    replicasets = [r for ns in namespaces for r in io.list("replicasets", ns)]
    apps = []
    for svc in services:
        meta = svc.get("metadata") or {}
        app = build_app(svc, deployments, replicasets, pods, io.get("endpoints", meta.get("namespace", ""), meta.get("name", "")))
        if app is not None:
            apps.append(app)
    return _Live(services, pods, apps)


def _state(io: KubeIO, namespace: str, release: str, names: list[tuple[str, str]]) -> dict[str, Any]:
    """The audit view: the release's current revision and the selectors of the Services it renders."""
    revs = helm_ops.releases(io.list("secrets", namespace, f"owner=helm,name={release}")).get((namespace, release), [])
    cur = helm_ops.latest(revs)
    selectors = {}
    for ns, name in names:
        svc = io.get("services", ns, name)
        if svc is not None:
            selectors[name] = dict((svc.get("spec") or {}).get("selector") or {})
    return {"revision": cur.revision if cur else None, "selectors": selectors}


def _verify(io: KubeIO, change: SelectorChange, timeout: float, interval: float) -> tuple[bool, str]:
    """Wait until the Service's endpoints are exactly the ready pods its target selector matches."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            pods = io.list("pods", change.namespace, ",".join(f"{k}={v}" for k, v in sorted(change.target.items())))
            want = sorted((p.get("metadata") or {}).get("name", "") for p in pods if pod_ready(p))
            have = endpoint_pods(io.get("endpoints", change.namespace, change.service))
            if want and have == want:
                return True, f"{change.service}: endpoints = {len(want)} ready pod(s) of {_sel(change.target)}"
            last = f"{change.service}: endpoints {len(have)} pod(s), {len(want)} ready pod(s) match {_sel(change.target)}"
        except KubeError as exc:
            last = f"cannot read {change.service}'s endpoints: {exc}"
        if time.monotonic() >= deadline:
            return False, last
        time.sleep(interval)


def _record(io: KubeIO, changes: list[SelectorChange], operator: str) -> list[str]:
    """Record every colour switch helm made on its Service as a gotui cutover records its own; returns
    one note per change (a Service that does not select the target colour is left alone)."""
    notes: list[str] = []
    for change in changes:
        if not change.color_key:
            continue
        try:
            svc = io.get("services", change.namespace, change.service) or {}
            if ((svc.get("spec") or {}).get("selector") or {}).get(change.color_key) != change.to_color:
                notes.append(f"{change.service} does not select {change.to_color}: switch not recorded")
                continue
            patch = record_switch_patch(change.color_key, change.from_color, change.to_color, operator, now_rfc3339(),
                                        has_annotations=bool((svc.get("metadata") or {}).get("annotations")))
            io.patch("services", change.namespace, change.service, patch)
        except KubeError as exc:
            notes.append(f"{change.service}: could not record the switch ({exc})")
            continue
        notes.append(f"{change.service}: {change.from_color} → {change.to_color} recorded (R goes back to "
                     f"{change.from_color})")
    return notes


def guarded_rollback(io: KubeIO, settings: Settings, release: str, revision: helm_ops.HelmRevision, namespace: str,
                     *, context: str | None = None, kubeconfig: str | None = None, helm: str | None = None,
                     operator: str | None = None, verify_timeout: float = 60.0, poll_interval: float = 0.2) -> Outcome:
    """`helm rollback RELEASE N` with the guard around every Service selector it changes.

    Raises HelmGuardError when PREFLIGHT refuses (nothing changed), when helm fails (a switch it made
    anyway is recorded) and when VERIFY fails after helm (the switch is recorded, so `R` goes back)."""
    names = list(rendered_selectors(revision.manifest, revision.namespace or namespace))
    live = _read(io, namespace, names)
    changes, problems = preflight(revision, live.services, live.pods, live.apps)
    before = _state(io, namespace, release, names)
    if problems:
        raise HelmGuardError("Helm rollback refused, nothing changed: " + "; ".join(problems), before, before)
    who = operator or operator_name()
    try:
        out = helm_ops.rollback(settings, release, revision.revision, namespace, context=context,
                                kubeconfig=kubeconfig, helm=helm)
    except helm_ops.HelmError as exc:
        notes = _record(io, changes, who)
        raise HelmGuardError("; ".join([str(exc), *notes]), before, _state(io, namespace, release, names)) from exc
    notes = _record(io, changes, who)
    failures: list[str] = []
    for change in changes:
        ok, detail = _verify(io, change, verify_timeout, poll_interval)
        (notes if ok else failures).append(("VERIFY ok: " if ok else "") + detail)
    after = _state(io, namespace, release, names)
    if failures:
        after["verify"] = failures
        raise HelmGuardError(f"helm rolled back to revision {revision.revision}, but VERIFY failed: "
                             + "; ".join(failures) + ". R (rollback) switches the traffic back.", before, after)
    if changes:
        after["verify"] = [n for n in notes if n.startswith("VERIFY")]
    message = out.splitlines()[0] if out else f"{release} rolled back to revision {revision.revision}"
    return Outcome("; ".join([message, *notes]), before, after)


def audit_fields(result: Any, error: BaseException | None) -> dict[str, Any] | None:
    """`app.gate.perform`'s audit hook for a guarded Helm rollback (before/after also when it failed)."""
    if isinstance(error, HelmGuardError):
        return {"before": error.before, "after": error.after}
    if error is None and isinstance(result, Outcome):
        return {"before": result.before, "after": result.after}
    return None
