"""The blue-green cutover state machine (DESIGN.md §3).

PREFLIGHT -> [SCALE] -> SMOKE -> SWITCH -> VERIFY -> DONE, or REVERT -> FAILED_REVERTED (REVERT_FAILED when
the revert itself fails). SCALE runs only when the operator allowed a scale-up (`CutoverOptions.scale_up`)
and the target has fewer replicas than the live colour (see `gotui.ops.scale_up`); whatever it changed is
restored when the cutover does not end in DONE before or after the switch (a failed restore ends in
REVERT_FAILED). PREFLIGHT or SMOKE failing ends in REFUSED (nothing changed); a cancel before
SWITCH ends in CANCELLED. Each step is timed and reported to an `on_event` callback (called from the
thread running the cutover).

Safety properties:
- The Service is only changed by JSON patches carrying a `test` op on `/metadata/resourceVersion` (the
  lock) or on the selector value (switch, revert, unlock), so a concurrent writer makes us stop, never
  overwrite.
- A lock annotation (`gotui.dev/cutover-lock`) is taken at the end of PREFLIGHT, conditional on the
  resourceVersion read there; a second cutover sees the lock, or loses the precondition race.
- SWITCH patches only the selector's colour key; the target must have ready pods at that moment. A
  revert is not made onto a colour without ready pods (that would select zero ready pods).

Fault model: a write whose answer is lost (connection dropped or reset, timeout, 5xx) is followed by
re-reads of the object until the write deadline (`CutoverOptions.write_timeout`) to learn whether it
applied; one that did not apply is sent again (its `test` ops make a repeat safe). VERIFY and REVERT retry
transport errors until their own deadlines. The result's `live_color` is the colour the Service was read
to select at the end, and the audit `after` says that. The lock names its owner (user@host, pid) and
expires after `LOCK_TTL_S`; `break_lock` takes over another's lock (recorded in the result).
"""

from __future__ import annotations

import getpass
import os
import shlex
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from gotui.config import Settings
from gotui.ops import safety
from gotui.ops.actions import Action
from gotui.ops.bluegreen import (
    ANN_LOCK,
    ANN_PREVIOUS,
    ANN_SWITCHED_AT,
    ANN_SWITCHED_BY,
    LOCK_TTL_S,
    BlueGreenApp,
    Lock,
    build_app,
)
from gotui.ops.kube_io import (
    JSON_PATCH,
    MERGE_PATCH,
    KubeError,
    KubeIO,
    answer_lost,
    describe_lost,
    escape_pointer,
)
from gotui.ops.scale_up import (
    ScalePlan,
    hpa_raise_patch,
    hpa_restore_patch,
    not_ready_yet,
    plan_scale_up,
    rbac_denials,
    replicas_restore_patch,
    scale_up_action,
)


class Step(StrEnum):
    PREFLIGHT = "PREFLIGHT"
    SCALE = "SCALE"
    SMOKE = "SMOKE"
    SWITCH = "SWITCH"
    VERIFY = "VERIFY"
    DONE = "DONE"
    REVERT = "REVERT"
    FAILED_REVERTED = "FAILED_REVERTED"
    REVERT_FAILED = "REVERT_FAILED"
    REFUSED = "REFUSED"
    CANCELLED = "CANCELLED"


TRANSITIONS: dict[Step, frozenset[Step]] = {
    Step.PREFLIGHT: frozenset({Step.SCALE, Step.SMOKE, Step.REFUSED, Step.CANCELLED}),
    Step.SCALE: frozenset({Step.SMOKE, Step.REFUSED, Step.CANCELLED}),
    Step.SMOKE: frozenset({Step.SWITCH, Step.DONE, Step.REFUSED, Step.CANCELLED}),  # DONE: dry run
    Step.SWITCH: frozenset({Step.VERIFY, Step.REFUSED, Step.REVERT}),
    Step.VERIFY: frozenset({Step.DONE, Step.REVERT}),
    Step.REVERT: frozenset({Step.FAILED_REVERTED, Step.REVERT_FAILED}),
}
TERMINAL = frozenset({Step.DONE, Step.FAILED_REVERTED, Step.REVERT_FAILED, Step.REFUSED, Step.CANCELLED})
EXIT_CODES = {Step.DONE: 0, Step.FAILED_REVERTED: 1, Step.REFUSED: 2, Step.CANCELLED: 2, Step.REVERT_FAILED: 3}
MAIN_STEPS = (Step.PREFLIGHT, Step.SMOKE, Step.SWITCH, Step.VERIFY)
SMOKE_PORT_ANNOTATION = "gotui.dev/smoke-port"  # on the Deployment only: the port smoke checks GET on its pods
SCALE_UP_HINT = "--scale-up headless; key C for a cutover in the TUI, where R rollback does it by default"


class InvalidTransition(Exception):
    """A transition the state machine does not allow (a bug, never an operator error)."""


def can_transition(src: Step, dst: Step) -> bool:
    """True when the machine may go from `src` to `dst`."""
    return dst in TRANSITIONS.get(src, frozenset())


def operator_name() -> str:
    """The OS user running gotui (recorded in the switched-by annotation)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return str(os.getuid())


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lock_owner(operator: str | None = None) -> str:
    """Who holds a lock we take: `user@host (pid N)`."""
    return f"{operator or operator_name()}@{socket.gethostname()} (pid {os.getpid()})"


def lock_expiry(lock: Lock) -> str:
    """When `lock` stops blocking (its time + LOCK_TTL_S), RFC 3339; `?` when its time is unreadable."""
    from gotui.clock import parse_time

    at = parse_time(lock.at)
    if at is None:
        return "?"
    return datetime.fromtimestamp(at.timestamp() + LOCK_TTL_S, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- pure rules -------------------------------------------------------------------------------------


def preflight_problems(app: BlueGreenApp, to_color: str, *, now: datetime | None = None,
                       own_lock_id: str | None = None, scale_up: bool = False) -> list[str]:
    """Every reason the cutover of `app` to `to_color` must not proceed (empty: go).

    With `scale_up`, a target with fewer (but not zero) replicas than the live colour is no problem: the
    SCALE step brings it up first."""
    problems: list[str] = []
    target = app.colors.get(to_color)
    if to_color == app.live_color:
        return [f"{app.name} already selects {to_color}: nothing to switch."]
    if target is None:
        found = ", ".join(app.colors) or "none"
        return [f"no Deployment of colour {to_color!r} for {app.name} (colours found: {found})."]
    live = app.live
    if live is not None and target.replicas < live.replicas and not (scale_up and target.replicas > 0):
        problems.append(
            f"{to_color} ({target.deployment}) has {target.replicas} replicas, the live colour "
            f"{app.live_color} has {live.replicas}: scale {to_color} to at least {live.replicas} first, "
            f"or allow the scale-up ({SCALE_UP_HINT})."
        )
    if not target.rollout_complete:
        problems.append(
            f"{to_color}'s rollout is not complete (updated {target.updated}/{target.replicas}, "
            f"available {target.available}, generation {target.observed_generation}/{target.generation})."
        )
    if target.ready == 0:
        problems.append(f"{to_color} has no ready pod: switching would leave {app.name} with nothing to serve.")
    elif target.unready_pods:
        names = ", ".join(target.unready_pods[:3]) + (" …" if len(target.unready_pods) > 3 else "")
        problems.append(f"not every pod of {to_color}'s current ReplicaSet is Ready ({names} not ready).")
    elif target.ready < target.replicas:
        problems.append(f"only {target.ready} of {target.replicas} {to_color} pods are Ready.")
    lock = app.lock
    if lock is not None and lock.id != own_lock_id and not lock.stale(now):
        problems.append(
            f"another cutover holds the lock on {app.name}: {lock.by or '?'} since {lock.at or '?'} "
            f"(to {lock.to or '?'}), expires {lock_expiry(lock)}; wait for it to finish, or take it over with "
            "--break-lock if that process is gone."
        )
    return problems


def rollback_problems(app: BlueGreenApp) -> tuple[str | None, list[str]]:
    """(colour to roll back to, reasons to refuse) for a rollback of `app`.

    The target is the recorded previous colour. When there is none usable (no annotation, or it names the
    live colour: the last switch was not made by gotui), the target is the one other colour with ready
    pods; with none or several, nothing is guessed (`rollback_note` says which case the dialog shows)."""
    prev = app.previous_color
    if not prev or prev == app.live_color:
        others = [c for c, st in app.colors.items() if c != app.live_color and st.ready > 0]
        if len(others) == 1:
            return others[0], []
        why = _no_record_reason(app)
        if not others:
            return None, [f"{why}; and no other colour has ready pods: nothing to roll back to."]
        return None, [f"{why}; more than one other colour has ready pods ({', '.join(others)}): cut over to the "
                      "one you want (c on its row; headless gotui cutover --to COLOR)."]
    state = app.colors.get(prev)
    if state is None:
        return prev, [f"the previous colour {prev} has no Deployment any more."]
    if state.replicas == 0 or state.ready == 0:
        return prev, [
            f"the previous colour {prev} ({state.deployment}) has been scaled down "
            f"({state.ready}/{state.replicas} ready): scale it back up before rolling back."
        ]
    return prev, []


def switch_patch(app: BlueGreenApp, to_color: str, resource_version: str, operator: str,
                 at: str) -> list[dict[str, Any]]:
    """The JSON patch of SWITCH: test the resourceVersion and the live colour, replace only the
    selector's colour key, record the previous colour, time and operator."""
    key = "/spec/selector/" + escape_pointer(app.color_key)
    return [
        {"op": "test", "path": "/metadata/resourceVersion", "value": resource_version},
        {"op": "test", "path": key, "value": app.live_color},
        {"op": "replace", "path": key, "value": to_color},
        *switch_record_ops(app.live_color, operator, at),
    ]


def lock_patch(resource_version: str, lock: Lock, has_annotations: bool) -> list[dict[str, Any]]:
    """Take the lock, conditional on the resourceVersion read at PREFLIGHT."""
    ops: list[dict[str, Any]] = [{"op": "test", "path": "/metadata/resourceVersion", "value": resource_version}]
    if has_annotations:
        ops.append({"op": "add", "path": "/metadata/annotations/" + escape_pointer(ANN_LOCK), "value": lock.dump()})
    else:
        ops.append({"op": "add", "path": "/metadata/annotations", "value": {ANN_LOCK: lock.dump()}})
    return ops


def unlock_patch(lock: Lock) -> list[dict[str, Any]]:
    """Release our lock (only if it is still ours)."""
    path = "/metadata/annotations/" + escape_pointer(ANN_LOCK)
    return [{"op": "test", "path": path, "value": lock.dump()}, {"op": "remove", "path": path}]


def revert_patch(app: BlueGreenApp, from_color: str, to_color: str,
                 old_annotations: dict[str, str]) -> list[dict[str, Any]]:
    """Patch the selector back to `from_color` (only if it still selects `to_color`) and restore the
    switch annotations as they were before SWITCH."""
    key = "/spec/selector/" + escape_pointer(app.color_key)
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": key, "value": to_color},
        {"op": "replace", "path": key, "value": from_color},
    ]
    for name in (ANN_PREVIOUS, ANN_SWITCHED_AT, ANN_SWITCHED_BY):
        path = "/metadata/annotations/" + escape_pointer(name)
        if name in old_annotations:
            ops.append({"op": "add", "path": path, "value": old_annotations[name]})
        else:
            ops.append({"op": "remove", "path": path})
    return ops


def kubectl_preview(namespace: str, service: str, patch: list[dict[str, Any]], context: str | None = None) -> str:
    """The kubectl command line equivalent to a JSON patch of the Service (in `context`, when known)."""
    import json

    return (f"kubectl{context_flag(context)} -n {namespace} patch service {service} --type json "
            f"-p '{json.dumps(patch, separators=(',', ':'))}'")


def declared_ports(pod: dict[str, Any]) -> list[tuple[str, int]]:
    """(name, containerPort) of every port the pod's containers declare."""
    return [(str(p.get("name") or ""), int(p.get("containerPort") or 0))
            for c in (pod.get("spec") or {}).get("containers") or [] for p in c.get("ports") or []]


def smoke_port(service: dict[str, Any], deployment: dict[str, Any] | None,
               pod: dict[str, Any]) -> tuple[str | None, str]:
    """(port, why not) for a smoke check of `pod`, GET through the API server's pod proxy, so the request
    only ever reaches the pod itself. The port is the Deployment's annotation gotui.dev/smoke-port (a
    container port number or name the pod declares), else the Service's first targetPort (a name resolved
    against the pod's ports), else the pod's first declared port. No URL is ever read from an annotation:
    anyone allowed to annotate pods or Services could make the operator's machine fetch it."""
    declared = declared_ports(pod)
    name = (pod.get("metadata") or {}).get("name", "?")
    wanted = (((deployment or {}).get("metadata") or {}).get("annotations") or {}).get(SMOKE_PORT_ANNOTATION)
    if wanted:
        for pname, number in declared:
            if str(wanted) in (pname, str(number)):
                return str(number), ""
        have = ", ".join(f"{n or '-'}/{p}" for n, p in declared) or "none"
        return None, (f"the Deployment's {SMOKE_PORT_ANNOTATION}={wanted!r} is not a port pod {name} declares "
                      f"({have})")
    for sp in (service.get("spec") or {}).get("ports") or []:
        target = sp.get("targetPort", sp.get("port"))
        if isinstance(target, int) or str(target).isdigit():
            return str(target), ""
        for pname, number in declared:
            if pname == str(target):
                return str(number), ""
    if declared:
        return str(declared[0][1]), ""
    return None, f"pod {name} declares no port and the Service names none"


def service_smoke_port(service: dict[str, Any], forced: bool) -> str | None:
    """The Service port VERIFY's smoke GETs go to (through the API server's service proxy): its first port
    that speaks HTTP (appProtocol http/https/h2c, or a name starting with `http`); any first port when a
    smoke path was given (`forced`); None: no smoke through the Service."""
    ports = (service.get("spec") or {}).get("ports") or []
    for sp in ports:
        proto = str(sp.get("appProtocol") or "").lower()
        if str(sp.get("name") or "").startswith("http") or proto in ("http", "https", "kubernetes.io/h2c"):
            return str(sp.get("name") or sp.get("port"))
    if forced and ports:
        return str(ports[0].get("name") or ports[0].get("port"))
    return None


def cutover_action(namespace: str, service: str, from_color: str, to_color: str, context: str | None,
                   *, rollback: bool = False, app: BlueGreenApp | None = None,
                   scale_plan: ScalePlan | None = None) -> Action:
    """The Action of a cutover (or rollback) of `service` from `from_color` to `to_color`; with a
    `scale_plan`, the modal's detail says what SCALE will change first, and the preview lists every
    command in the order the cutover runs them. A rollback whose target is not known yet ("?") goes to
    the colour `rollback_problems` picks."""
    if rollback and app is not None and to_color in ("", "?"):
        to_color = rollback_problems(app)[0] or to_color
    detail = f"{from_color} → {to_color}"
    preview = ""
    if app is not None:
        lines = [f"{'ROLLBACK' if rollback else 'CUTOVER'}  {from_color} → {to_color}   (selector key {app.color_key})"]
        note = rollback_note(app) if rollback else ""
        if note:
            lines.append(note)
        for color in (from_color, to_color):
            st = app.colors.get(color)
            if st is not None:
                role = "live" if color == app.live_color else "target"
                lines.append(f"{color:<6} {role:<6} {st.deployment}  {', '.join(st.images)}  {st.ready}/{st.replicas} ready")
        if scale_plan is not None:
            lines.append(f"SCALE: {scale_plan.describe()}; waits until all its pods are Ready, restores "
                         "both if they are not in time.")
            lines.append("Checks: PREFLIGHT → SCALE → SMOKE → SWITCH → VERIFY; reverts if VERIFY fails.")
        else:
            lines.append("Checks: PREFLIGHT → SMOKE → SWITCH → VERIFY; reverts if VERIFY fails.")
        lines.append(f"JSON patch: test resourceVersion (read at PREFLIGHT, after the lock) · test "
                     f"{app.color_key}={from_color} · replace {app.color_key}={to_color} · add annotations "
                     f"previous-color={from_color}, switched-at, switched-by")
        detail = " ⏎ ".join(lines)
        patch = switch_patch(app, to_color, app.resource_version, operator_name(), "<now>")
        commands = scale_commands(namespace, scale_plan, context) if scale_plan is not None else []
        commands.append(kubectl_preview(namespace, service, patch[2:3], context))
        preview = "\n$ ".join(commands)
    return Action(
        verb="rollback" if rollback else "cutover",
        kind="service",
        target=service,
        namespace=namespace,
        context=context,
        preview=preview,
        destructive=True,
        reversible=True,
        detail=detail,
        rbac=("patch", "services", ""),
        params={"from": from_color, "to": to_color, "scale_up": scale_plan is not None},
    )


def context_flag(context: str | None, flag: str = "--context") -> str:
    """` --context NAME` for a command-line preview (quoted for a shell), "" without a context."""
    return f" {flag} {shlex.quote(context)}" if context else ""


def scale_commands(namespace: str, plan: ScalePlan, context: str | None) -> list[str]:
    """The kubectl equivalents of SCALE, in the order it runs them: raise the HPA's minReplicas (when
    the plan does), then scale the Deployment."""
    ctx = context_flag(context)
    out: list[str] = []
    if plan.raises_hpa:
        out.append(f"kubectl{ctx} -n {namespace} patch hpa {plan.hpa} --type merge "
                   f"-p '{{\"spec\":{{\"minReplicas\":{plan.hpa_min_to}}}}}'")
    out.append(f"kubectl{ctx} -n {namespace} scale deployment/{plan.deployment} --replicas={plan.replicas_to}")
    return out


def _no_record_reason(app: BlueGreenApp) -> str:
    if app.previous_color and app.previous_color == app.live_color:
        return (f"{app.name} has no recorded previous colour to go back to: {ANN_PREVIOUS} says "
                f"{app.previous_color}, the live colour (the last switch was not made by gotui)")
    return (f"{app.name} has no recorded previous colour (annotation {ANN_PREVIOUS}; the last switch was not "
            "made by gotui)")


def rollback_note(app: BlueGreenApp) -> str:
    """What a rollback dialog says when there is no usable recorded previous colour and
    `rollback_problems` offers the one other colour with ready pods ("" otherwise)."""
    if app.previous_color and app.previous_color != app.live_color:
        return ""
    target, problems = rollback_problems(app)
    if target is None or problems:
        return ""
    return f"⚠ {_no_record_reason(app)}. The only other colour with ready pods is {target}: rolling back to {target}."


def switch_record_ops(previous: str, operator: str, at: str, *, has_annotations: bool = True) -> list[dict[str, Any]]:
    """JSON-patch ops recording a switch on the Service: previous colour, time and operator."""
    values = {ANN_PREVIOUS: previous, ANN_SWITCHED_AT: at, ANN_SWITCHED_BY: operator}
    if not has_annotations:
        return [{"op": "add", "path": "/metadata/annotations", "value": values}]
    return [{"op": "add", "path": "/metadata/annotations/" + escape_pointer(k), "value": v} for k, v in values.items()]


def record_switch_patch(color_key: str, from_color: str, to_color: str, operator: str, at: str, *,
                        has_annotations: bool = True) -> list[dict[str, Any]]:
    """Record a switch someone else made (a Helm rollback) as a gotui cutover records its own: only if
    the selector's colour key is `to_color` now."""
    key = "/spec/selector/" + escape_pointer(color_key)
    return [{"op": "test", "path": key, "value": to_color},
            *switch_record_ops(from_color, operator, at, has_annotations=has_annotations)]


# -- events and results -----------------------------------------------------------------------------


@dataclass
class StepEvent:
    """One report from the running cutover: `status` is start, ok, fail, skip or info."""

    step: Step
    status: str
    message: str = ""
    duration_s: float | None = None
    elapsed_s: float = 0.0


@dataclass
class StepRecord:
    step: Step
    status: str
    duration_s: float
    message: str = ""


@dataclass
class CutoverResult:
    """How a cutover ended."""

    state: Step
    message: str
    service: str
    namespace: str
    from_color: str
    to_color: str
    steps: list[StepRecord] = field(default_factory=list)
    duration_s: float = 0.0
    dry_run: bool = False
    patch: list[dict[str, Any]] = field(default_factory=list)
    # SCALE: {"before": {...}, "after": {...}} with deployment, replicas, hpa, hpa_min (None: no SCALE)
    scale: dict[str, dict[str, Any]] | None = None
    live_color: str | None = None  # the colour the Service was read to select at the end (None: unknown)
    lost_answers: list[str] = field(default_factory=list)  # writes/reads whose answer was lost, and what we learnt
    broken_lock: dict[str, str] | None = None  # another's lock this run took over (break_lock or stale)
    interrupted: str | None = None  # the signal that interrupted the run (SIGINT, SIGTERM, SIGHUP)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.state]

    @property
    def ok(self) -> bool:
        return self.state is Step.DONE

    def summary(self) -> str:
        timeline = " → ".join(f"{s.step.value} {s.status} {s.duration_s * 1000:.0f}ms" for s in self.steps)
        return f"{self.state.value}: {self.message} [{timeline}]"


class CutoverFailed(Exception):
    """Raised by `run_or_raise` when the cutover did not end in DONE; carries the result."""

    def __init__(self, result: CutoverResult) -> None:
        super().__init__(f"{result.state.value}: {result.message}")
        self.result = result


@dataclass
class CutoverOptions:
    smoke_path: str | None = None  # GET this path on every target pod before SWITCH
    smoke_required: bool = True  # False: pods without a URL skip SMOKE instead of refusing
    verify_timeout: float = 30.0
    poll_interval: float = 0.05
    verify_smoke_requests: int = 5  # GETs through the Service at the end of VERIFY (if it has a URL)
    operator: str = field(default_factory=operator_name)
    dry_run: bool = False
    rollback: bool = False  # a rollback: the target must be the recorded previous colour
    http_timeout: float = 3.0
    scale_up: bool = False  # allow SCALE: raise the target to the live colour's replicas (and its HPA min)
    scale_timeout: float | None = None  # bound of SCALE's wait for Ready pods (None: verify_timeout)
    write_timeout: float = 10.0  # how long a write whose answer was lost is re-read (and re-sent) to learn its fate
    retry_interval: float = 0.2  # pause between retries after a transport error
    break_lock: bool = False  # take over a lock held by another cutover (its process is gone)


class _Unknown(Exception):
    """The outcome of a write could not be learnt before its deadline (the cluster did not answer)."""


class _Stop(Exception):
    def __init__(self, state: Step, message: str) -> None:
        super().__init__(message)
        self.state = state
        self.message = message


# -- the engine -------------------------------------------------------------------------------------


class Cutover:
    """Run one cutover of `namespace/service` to `to_color` (call `run()` in a worker thread)."""

    def __init__(self, io: KubeIO, namespace: str, service: str, to_color: str | None,
                 options: CutoverOptions | None = None, *, settings: Settings, context: str | None = None,
                 on_event: Callable[[StepEvent], object] | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.io = io
        self.settings = settings
        self.context = context
        self.namespace = namespace
        self.service = service
        self.to_color = to_color or ""
        self.options = options or CutoverOptions()
        self.on_event = on_event
        self.cancel_event = cancel or threading.Event()
        self.state: Step = Step.PREFLIGHT
        self.records: list[StepRecord] = []
        self.app: BlueGreenApp | None = None
        self.from_color = ""
        self._lock: Lock | None = None
        self._lock_rv = ""
        self._old_annotations: dict[str, str] = {}
        self._switched = False
        self._t0 = 0.0
        self._patch: list[dict[str, Any]] = []
        self.scale_plan: ScalePlan | None = None
        self._scaled_replicas = False  # SCALE patched the Deployment's /scale
        self._raised_hpa = False  # SCALE raised the HPA's minReplicas
        self._annotated_hpa = False  # ... and added the min-replicas-before annotation
        self._now_replicas: int | None = None  # the target's replicas / HPA min as SCALE left them
        self._now_hpa_min: int | None = None
        self._service_obj: dict[str, Any] = {}
        self._pods: list[dict[str, Any]] = []
        self._deployments: list[dict[str, Any]] = []
        self._lost: list[str] = []  # lost answers and what the re-read found
        self._broken_lock: dict[str, str] | None = None
        self.interrupted: str | None = None  # set by interrupt(): the signal's name
        self._abort = threading.Event()  # interrupt() after SWITCH: VERIFY stops and REVERT runs
        self._live_color: str | None = None  # the colour last read from the Service

    # -- plumbing -------------------------------------------------------------------------------
    def cancel(self) -> bool:
        """Ask to stop; honoured only before SWITCH. Returns False when it is too late."""
        if self._switched or self.state in (Step.SWITCH, Step.VERIFY, Step.REVERT) or self.state in TERMINAL:
            return False
        self.cancel_event.set()
        return True

    def interrupt(self, reason: str) -> None:
        """A signal arrived (SIGINT/SIGTERM/SIGHUP, headless): before SWITCH the run ends CANCELLED; after
        it, VERIFY stops and REVERT puts the old colour back. Either way the lock is released."""
        self.interrupted = reason
        self.cancel_event.set()
        self._abort.set()

    def _emit(self, step: Step, status: str, message: str = "", duration: float | None = None) -> None:
        if self.on_event is not None:
            try:
                self.on_event(StepEvent(step, status, message, duration, time.monotonic() - self._t0))
            except Exception:  # noqa: BLE001 - a broken listener never breaks the cutover
                pass

    def _go(self, step: Step) -> None:
        if not can_transition(self.state, step):
            raise InvalidTransition(f"{self.state.value} -> {step.value}")
        self.state = step

    def _run_step(self, step: Step, fn: Callable[[], str]) -> None:
        start = time.monotonic()
        self._emit(step, "start")
        try:
            message = fn()
        except _Stop as stop:
            took = time.monotonic() - start
            self.records.append(StepRecord(step, "fail", took, stop.message))
            self._emit(step, "fail", stop.message, took)
            raise
        except Exception as exc:
            took = time.monotonic() - start
            self.records.append(StepRecord(step, "fail", took, str(exc)))
            self._emit(step, "fail", str(exc), took)
            raise
        took = time.monotonic() - start
        status = "skip" if message.startswith("skipped") else "ok"
        self.records.append(StepRecord(step, status, took, message))
        self._emit(step, status, message, took)

    def _check_cancel(self) -> None:
        if self.cancel_event.is_set():
            who = f"interrupted by {self.interrupted}" if self.interrupted else "cancelled by the operator"
            raise _Stop(Step.CANCELLED, f"{who} before SWITCH; nothing was changed.")

    def _check_abort(self, step: Step) -> None:
        if self._abort.is_set():
            raise _Stop(Step.REVERT, f"interrupted by {self.interrupted or 'the operator'} during {step.value}.")

    # -- writes whose answer may be lost ------------------------------------------------------------
    def _read(self, kind: str, name: str, deadline: float) -> dict[str, Any] | None:
        """GET one object, retrying lost answers until `deadline` (then _Unknown)."""
        while True:
            try:
                return self.io.get(kind, self.namespace, name)
            except Exception as exc:  # noqa: BLE001 - classified below
                if not answer_lost(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise _Unknown(f"no answer reading {kind}/{name}: {describe_lost(exc)}") from None
            time.sleep(self.options.retry_interval)

    def _write(self, what: str, kind: str, name: str, body: Any, landed: Callable[[dict[str, Any]], bool], *,
               content_type: str = JSON_PATCH, sub: str | None = None) -> dict[str, Any]:
        """PATCH `kind/name`; when the answer is lost, re-read the object to learn whether the patch applied
        (`landed`): applied -> the object read; not applied -> send it again, until the write deadline.
        A refusal the server did answer (409, 422...) is raised as KubeError; no answer in time -> _Unknown."""
        deadline = time.monotonic() + self.options.write_timeout
        while True:
            try:
                return self.io.patch(kind, self.namespace, name, body, content_type, sub=sub)
            except Exception as exc:  # noqa: BLE001 - classified below
                if not answer_lost(exc):
                    raise
                lost = describe_lost(exc)
            try:
                obj = self._read(kind, name, deadline)
            except _Unknown as unknown:
                self._lost.append(f"{what}: answer lost ({lost}); outcome unknown ({unknown})")
                raise _Unknown(f"the answer to the {what} patch was lost ({lost}) and {kind}/{name} could not be "
                               f"read back within {self.options.write_timeout:g}s") from None
            if obj is not None and landed(obj):
                self._lost.append(f"{what}: answer lost ({lost}); re-read: applied")
                return obj
            self._lost.append(f"{what}: answer lost ({lost}); re-read: not applied" +
                              ("; sending it again" if time.monotonic() < deadline else ""))
            if obj is None or time.monotonic() >= deadline:
                raise _Unknown(f"the {what} patch got no answer ({lost}) and had not applied after "
                               f"{self.options.write_timeout:g}s")
            time.sleep(self.options.retry_interval)

    def _color_of(self, svc: dict[str, Any] | None) -> str | None:
        key = self.app.color_key if self.app is not None else None
        if svc is None or key is None:
            return None
        return ((svc.get("spec") or {}).get("selector") or {}).get(key)

    def _observe_color(self, timeout: float) -> str | None:
        """The colour the Service selects now, read (with retries) until `timeout`; None: unknown."""
        try:
            svc = self._read("services", self.service, time.monotonic() + timeout)
        except (_Unknown, KubeError):
            return None
        except Exception:  # noqa: BLE001 - anything else: unknown
            return None
        return self._color_of(svc)

    def _snapshot(self, color_key: str | None = None) -> BlueGreenApp | None:
        """Read the Service, Deployments, ReplicaSets, pods (narrowed by the selector minus the colour key)
        and its EndpointSlices, and build the app view."""
        svc = self.io.get("services", self.namespace, self.service)
        if svc is None:
            raise _Stop(Step.REFUSED, f"Service {self.namespace}/{self.service} not found.")
        sel = dict((svc.get("spec") or {}).get("selector") or {})
        base = {k: v for k, v in sel.items() if k != (color_key or "")}
        if color_key is None:
            base = {}
        lsel = ",".join(f"{k}={v}" for k, v in sorted(base.items())) or None
        deployments = self.io.list("deployments", self.namespace)
        self._deployments = deployments
        replicasets = self.io.list("replicasets", self.namespace, lsel)
        pods = self.io.list("pods", self.namespace, lsel)
        endpoints = read_endpoints(self.io, self.namespace, self.service)
        self._service_obj = svc
        self._pods = pods
        return build_app(svc, deployments, replicasets, pods, endpoints)

    # -- steps ----------------------------------------------------------------------------------
    def _preflight(self) -> str:
        app = self._snapshot()
        if app is None:
            raise _Stop(Step.REFUSED, f"{self.service} is not a blue-green Service: its selector has no "
                        "colour key matching Deployments of two colours.")
        self.app = app
        self.from_color = app.live_color
        if self.options.rollback:
            prev, problems = rollback_problems(app)
            if problems:
                raise _Stop(Step.REFUSED, "; ".join(problems))
            if not self.to_color:
                self.to_color = prev or ""
            elif self.to_color != prev:
                raise _Stop(Step.REFUSED, f"rollback goes to the recorded previous colour {prev}, not {self.to_color}.")
        held = app.lock
        takeover = held is not None and (self.options.break_lock or held.stale())
        problems = preflight_problems(app, self.to_color, scale_up=self.options.scale_up,
                                      own_lock_id=held.id if takeover and held is not None else None)
        if problems:
            raise _Stop(Step.REFUSED, "; ".join(problems))
        if self.options.scale_up:
            self.scale_plan = self._plan_scale(app)
            if self.scale_plan is not None:
                self._now_replicas, self._now_hpa_min = self.scale_plan.replicas_from, self.scale_plan.hpa_min_from
        ann = (self._service_obj.get("metadata") or {}).get("annotations") or {}
        self._old_annotations = {k: ann[k] for k in (ANN_PREVIOUS, ANN_SWITCHED_AT, ANN_SWITCHED_BY) if k in ann}
        target = app.colors[self.to_color]
        scale_note = f"; {self.scale_plan.describe()}" if self.scale_plan is not None else ""
        if self.options.dry_run:
            self._patch = switch_patch(app, self.to_color, app.resource_version, self.options.operator, now_rfc3339())
            return (f"{self.from_color} → {self.to_color}: {target.ready}/{target.replicas} ready, "
                    f"rollout complete{scale_note} (dry run: no lock taken, nothing scaled)")
        self._check_cancel()
        lock = Lock(uuid.uuid4().hex[:12], lock_owner(self.options.operator), now_rfc3339(), self.to_color)
        value = lock.dump()
        self._lock = lock  # from here on, the end of the run removes it if it is there (test op: only ours)
        patch = lock_patch(app.resource_version, lock, bool(ann) or "annotations" in (self._service_obj.get("metadata") or {}))
        try:
            reply = self._write("lock", "services", self.service, patch,
                                lambda svc: ((svc.get("metadata") or {}).get("annotations") or {}).get(ANN_LOCK) == value)
        except KubeError as exc:
            self._lock = None
            if exc.conflict:
                raise _Stop(Step.REFUSED, f"the Service {self.service} changed while PREFLIGHT ran (another "
                            "cutover took the lock first?); nothing was changed.") from None
            raise _Stop(Step.REFUSED, f"could not take the cutover lock: {exc}") from None
        except _Unknown as exc:
            raise _Stop(Step.REFUSED, f"could not take the cutover lock: {exc}; nothing else was changed.") from None
        self._lock_rv = str((reply.get("metadata") or {}).get("resourceVersion", ""))
        took = ""
        if takeover and held is not None:
            self._broken_lock = {"by": held.by, "at": held.at, "to": held.to, "id": held.id,
                                 "stale": str(held.stale()).lower()}
            took = f"; took over the {'stale ' if held.stale() else ''}lock of {held.by or '?'} (since {held.at or '?'})"
        return (f"{self.from_color} → {self.to_color}: {target.ready}/{target.replicas} ready, "
                f"rollout complete, lock taken at rv {self._lock_rv}{took}{scale_note}")

    def _plan_scale(self, app: BlueGreenApp) -> ScalePlan | None:
        """SCALE's plan from fresh reads (HPAs), refused before anything changes when it cannot be done:
        read-only, an HPA that caps the count, or RBAC denying the patches."""
        target = app.colors[self.to_color]
        live = app.live
        if live is None or target.replicas >= live.replicas:
            return None
        try:
            hpas = self.io.list("horizontalpodautoscalers", self.namespace)
        except KubeError as exc:
            raise _Stop(Step.REFUSED, f"cannot read the HPAs of {self.namespace} to plan the scale-up: {exc}") from None
        plan = plan_scale_up(app, self.to_color, hpas)
        if plan is None:
            return None
        problem = plan.problem()
        if problem:
            raise _Stop(Step.REFUSED, f"cannot scale {self.to_color} up: {problem}")
        if self.options.dry_run:
            return plan
        try:
            safety.require_allowed(scale_up_action(self.namespace, plan, self.context), self.settings)
        except safety.ActionRefused as exc:
            raise _Stop(Step.REFUSED, str(exc)) from None
        denied = rbac_denials(self.io, self.namespace, plan)
        if denied:
            raise _Stop(Step.REFUSED, f"cannot scale {self.to_color} up: " + "; ".join(denied))
        return plan

    def _scale(self) -> str:
        """SCALE: raise the HPA's minReplicas (if needed), patch /scale, wait for every pod Ready."""
        plan = self.scale_plan
        assert plan is not None and self.app is not None
        try:
            safety.require_allowed(scale_up_action(self.namespace, plan, self.context), self.settings)
        except safety.ActionRefused as exc:
            raise _Stop(Step.REFUSED, str(exc)) from None
        self._check_cancel()
        if plan.raises_hpa:
            assert plan.hpa is not None
            hpa = self.io.get("horizontalpodautoscalers", self.namespace, plan.hpa)
            if hpa is None:
                raise _Stop(Step.REFUSED, f"the HPA {plan.hpa} disappeared; nothing was scaled.")
            patch, annotates = hpa_raise_patch(hpa, plan)
            try:
                self._write("HPA minReplicas raise", "horizontalpodautoscalers", plan.hpa, patch,
                            lambda h: (h.get("spec") or {}).get("minReplicas") == plan.hpa_min_to)
            except KubeError as exc:
                why = "its minReplicas changed since PREFLIGHT" if exc.conflict else str(exc)
                raise _Stop(Step.REFUSED, f"could not raise the HPA {plan.hpa}'s minReplicas: {why}") from None
            except _Unknown as exc:  # maybe raised: the restore (conditional on the new value) runs at the end
                self._raised_hpa, self._annotated_hpa = True, annotates
                raise _Stop(Step.REFUSED, f"could not raise the HPA {plan.hpa}'s minReplicas: {exc}") from None
            self._raised_hpa, self._annotated_hpa = True, annotates
            self._now_hpa_min = plan.hpa_min_to
        try:
            self._write("scale", "deployments", plan.deployment, {"spec": {"replicas": plan.replicas_to}},
                        lambda d: (d.get("spec") or {}).get("replicas") == plan.replicas_to,
                        content_type=MERGE_PATCH, sub="scale")
        except _Unknown as exc:
            self._scaled_replicas = True  # maybe scaled: the conditional restore runs at the end
            raise _Stop(Step.REFUSED, f"could not scale {plan.deployment}: {exc}") from None
        self._scaled_replicas = True
        self._now_replicas = plan.replicas_to
        timeout = self.options.scale_timeout if self.options.scale_timeout is not None else self.options.verify_timeout
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            self._check_cancel()
            try:
                fresh = self._snapshot(self.app.color_key)
            except KubeError as exc:
                fresh, last = None, f"cannot read the state: {exc}"
            if fresh is not None:
                last = not_ready_yet(fresh.colors.get(self.to_color), plan.replicas_to) or ""
                if not last:
                    self.app = fresh  # SMOKE and SWITCH see the new pods
                    st = fresh.colors[self.to_color]
                    hpa_note = f", HPA {plan.hpa} minReplicas {plan.hpa_min_from} → {plan.hpa_min_to}" if plan.raises_hpa else ""
                    return (f"{plan.deployment} {plan.replicas_from} → {plan.replicas_to} replicas{hpa_note}; "
                            f"{st.ready}/{st.replicas} Ready")
            if time.monotonic() >= deadline:
                raise _Stop(Step.REFUSED, f"SCALE: {self.to_color} did not have {plan.replicas_to} Ready pods "
                            f"within {timeout:g}s ({last or 'unknown state'}); nothing was switched.")
            time.sleep(self.options.poll_interval)

    def _restore_scale(self) -> str:
        """Undo what SCALE changed (HPA minimum first, so the HPA does not fight the replicas); returns
        a sentence for the result message. Raises KubeError when a patch fails for another reason than a
        precondition (someone changed the value since: then it is theirs, and left alone)."""
        plan = self.scale_plan
        if plan is None or not (self._raised_hpa or self._scaled_replicas):
            return ""
        done: list[str] = []
        if self._raised_hpa and plan.hpa is not None:
            try:
                self._write("HPA minReplicas restore", "horizontalpodautoscalers", plan.hpa,
                            hpa_restore_patch(plan, self._annotated_hpa),
                            lambda h: (h.get("spec") or {}).get("minReplicas") == plan.hpa_min_from)
                done.append(f"HPA {plan.hpa} minReplicas back to {plan.hpa_min_from}")
                self._now_hpa_min = plan.hpa_min_from
            except KubeError as exc:
                if not exc.conflict:
                    raise
                done.append(f"HPA {plan.hpa} minReplicas left as is (changed by someone else since)")
            self._raised_hpa = False
        if self._scaled_replicas:
            try:
                self._write("scale restore", "deployments", plan.deployment, replicas_restore_patch(plan),
                            lambda d: (d.get("spec") or {}).get("replicas") == plan.replicas_from, sub="scale")
                done.append(f"{plan.deployment} back to {plan.replicas_from} replicas")
                self._now_replicas = plan.replicas_from
            except KubeError as exc:
                if not exc.conflict:
                    raise
                done.append(f"{plan.deployment} replicas left as is (changed since, e.g. by its HPA)")
            self._scaled_replicas = False
        return " Scale-up undone: " + "; ".join(done) + "."

    def scale_record(self, final: Step) -> dict[str, dict[str, Any]] | None:
        """Before/after of SCALE for the result and the audit log (None when SCALE did not run)."""
        plan = self.scale_plan
        if plan is None or not any(r.step is Step.SCALE for r in self.records):
            return None
        before: dict[str, Any] = {"deployment": plan.deployment, "replicas": plan.replicas_from}
        after: dict[str, Any] = {"deployment": plan.deployment, "replicas": self._now_replicas}
        if plan.hpa is not None:
            before.update(hpa=plan.hpa, hpa_min=plan.hpa_min_from)
            after.update(hpa=plan.hpa, hpa_min=self._now_hpa_min)
        return {"before": before, "after": after}

    def _smoke(self) -> str:
        path = self.options.smoke_path
        if not path:
            return "skipped (no smoke path)"
        assert self.app is not None
        target = self.app.colors[self.to_color]
        pods = {p["metadata"]["name"]: p for p in self._pods if p.get("metadata", {}).get("name") in target.ready_pods}
        deployment = next((d for d in self._deployments
                           if (d.get("metadata") or {}).get("name") == target.deployment), None)
        checks: list[tuple[str, str]] = []
        for name in target.ready_pods:
            port, why = smoke_port(self._service_obj, deployment, pods.get(name, {"metadata": {"name": name}}))
            if port is None and not self.options.smoke_required:
                return f"skipped ({why})"
            if port is None:
                raise _Stop(Step.REFUSED, f"no port for the smoke check: {why}; set annotation "
                            f"{SMOKE_PORT_ANNOTATION} on {target.deployment}, or run without a smoke path.")
            checks.append((name, port))
        failures = self._proxy_gets("pods", checks, path)
        if failures:
            raise _Stop(Step.REFUSED, "smoke check failed: " + "; ".join(failures[:3]))
        self._check_cancel()
        return f"GET {path} ok on {len(checks)} pod(s) (through the API server's pod proxy)"

    def _proxy_gets(self, kind: str, targets: list[tuple[str, str]], path: str) -> list[str]:
        """GET `path` on each (name, port) of `kind` through the API server's proxy, concurrently; returns
        failure descriptions (empty: all 2xx). An answer lost on the way reads `no answer: ...`."""
        from concurrent.futures import ThreadPoolExecutor

        def one(target: tuple[str, str]) -> str:
            name, port = target
            try:
                status, _ = self.io.proxy_get(kind, self.namespace, name, port, path, timeout=self.options.http_timeout)
            except Exception as exc:  # noqa: BLE001 - classified below
                if not answer_lost(exc):
                    raise
                return f"{name}: no answer: {describe_lost(exc)}"
            return "" if 200 <= status < 300 else f"{name}: HTTP {status} from port {port}{path}"

        with ThreadPoolExecutor(max_workers=min(8, max(1, len(targets)))) as pool:
            return [f for f in pool.map(one, targets) if f]

    def _switch(self) -> str:
        assert self.app is not None
        # Re-check right before the switch: the target still has ready pods.
        fresh = self._snapshot(self.app.color_key)
        if fresh is None or self.to_color not in fresh.colors or fresh.colors[self.to_color].ready == 0:
            raise _Stop(Step.REFUSED, f"{self.to_color} has no ready pod any more; not switching.")
        self._check_cancel()
        at = now_rfc3339()
        patch = switch_patch(self.app, self.to_color, self._lock_rv, self.options.operator, at)
        self._patch = patch
        key, lock = self.app.color_key, self._lock.dump() if self._lock else None

        def landed(svc: dict[str, Any]) -> bool:
            ann = (svc.get("metadata") or {}).get("annotations") or {}
            return (((svc.get("spec") or {}).get("selector") or {}).get(key) == self.to_color
                    and ann.get(ANN_SWITCHED_AT) == at and ann.get(ANN_SWITCHED_BY) == self.options.operator
                    and ann.get(ANN_LOCK) == lock)

        recovered = len(self._lost)
        try:
            self._write("switch", "services", self.service, patch, landed)
        except KubeError as exc:
            if exc.conflict and len(self._lost) == recovered:
                raise _Stop(Step.REFUSED, f"the Service {self.service} was changed by someone else after "
                            "PREFLIGHT (resourceVersion precondition failed); nothing was switched.") from None
            # Refused after a resend, or another error: whether it applied is for REVERT to read.
            self._switched = True
            raise _Stop(Step.REVERT, f"the switch patch failed: {exc}") from None
        except _Unknown as exc:
            self._switched = True  # maybe: REVERT reads the selector first
            raise _Stop(Step.REVERT, f"{exc}.") from None
        self._switched = True
        self._live_color = self.to_color
        note = " (answer lost; re-read: applied)" if len(self._lost) > recovered else ""
        return f"selector {key}={self.from_color} → {self.to_color}{note}"

    def _wait_endpoints(self, color: str, timeout: float, step: Step | None = None) -> tuple[bool, str]:
        """Poll until the Service's endpoints (EndpointSlices) are exactly `color`'s ready pods; read errors
        without an answer are retried until the deadline. `step` VERIFY stops early on interrupt()."""
        assert self.app is not None
        deadline = time.monotonic() + timeout
        last = ""
        lost = 0
        while True:
            if step is Step.VERIFY:
                self._check_abort(step)
            try:
                fresh = self._snapshot(self.app.color_key)
            except Exception as exc:  # noqa: BLE001 - classified below
                if not (isinstance(exc, KubeError) or answer_lost(exc)):
                    raise
                lost += 1
                fresh, last = None, f"cannot read the Service's state: {describe_lost(exc)}"
            if fresh is not None:
                self._live_color = fresh.live_color
            if fresh is not None and color in fresh.colors:
                want = sorted(fresh.colors[color].ready_pods)
                have = fresh.endpoints
                if want and have == want and fresh.live_color == color:
                    retried = f" ({lost} read(s) without an answer retried)" if lost else ""
                    if lost:
                        self._lost.append(f"{(step or Step.REVERT).value}: {lost} read(s) without an answer, retried")
                    return True, f"endpoints = {len(want)} ready {color} pod(s){retried}"
                extra = sorted(set(have) - set(want))
                last = f"endpoints {len(have)} pod(s), {color} ready {len(want)}" + (
                    f"; not {color}'s: {', '.join(extra[:3])}" if extra else "")
                if not want:
                    last = f"{color} has no ready pod"
                if fresh.live_color != color:
                    last = f"the Service selects {fresh.live_color!r}, not {color}"
            if time.monotonic() >= deadline:
                return False, last
            time.sleep(self.options.poll_interval)

    def _verify(self) -> str:
        started = time.monotonic()
        ok, detail = self._wait_endpoints(self.to_color, self.options.verify_timeout, Step.VERIFY)
        if not ok:
            raise _Stop(Step.REVERT, f"endpoints did not become exactly {self.to_color}'s ready pods within "
                        f"{self.options.verify_timeout:g}s ({detail}).")
        n = self.options.verify_smoke_requests
        port = service_smoke_port(self._service_obj, bool(self.options.smoke_path))
        path = self.options.smoke_path or "/healthz"
        if n and port:
            deadline = started + self.options.verify_timeout
            while True:
                self._check_abort(Step.VERIFY)
                failures = self._proxy_gets("services", [(self.service, port)] * n, path)
                if not failures:
                    break
                if time.monotonic() >= deadline:  # no answer or a 5xx: retried until VERIFY's deadline
                    raise _Stop(Step.REVERT, "smoke through the Service failed: " + "; ".join(failures[:3]))
                time.sleep(self.options.retry_interval)
            detail += f"; {n} GET(s) {path} through the Service ok"
        return detail

    def _revert(self) -> str:
        assert self.app is not None
        timeout = max(5.0, self.options.verify_timeout)
        deadline = time.monotonic() + timeout
        try:
            svc = self._read("services", self.service, deadline)
        except _Unknown as exc:
            raise _Stop(Step.REVERT_FAILED, f"{exc}: cannot tell which colour {self.service} selects.") from None
        now = self._color_of(svc)
        self._live_color = now
        if svc is None:
            raise _Stop(Step.REVERT_FAILED, f"the Service {self.service} is gone.")
        if now != self.to_color:
            if now == self.from_color:
                return f"selector is {now!r}: the switch did not apply, nothing to revert"
            raise _Stop(Step.REVERT_FAILED, f"selector is {now!r} (changed by someone else): not reverting it.")
        fresh = None
        while True:  # the old colour's readiness, read with retries
            try:
                fresh = self._snapshot(self.app.color_key)
                break
            except Exception as exc:  # noqa: BLE001
                if not (isinstance(exc, KubeError) or answer_lost(exc)) or time.monotonic() >= deadline:
                    raise _Stop(Step.REVERT_FAILED, f"cannot read the state of {self.from_color}: {exc}") from None
                time.sleep(self.options.retry_interval)
        if fresh is None or self.from_color not in fresh.colors or fresh.colors[self.from_color].ready == 0:
            raise _Stop(Step.REVERT_FAILED, f"{self.from_color} has no ready pod: reverting would select zero "
                        f"ready pods, so {self.service} stays on {self.to_color}. Fix it by hand.")
        key = self.app.color_key
        try:
            self._write("revert", "services", self.service,
                        revert_patch(self.app, self.from_color, self.to_color, self._old_annotations),
                        lambda s: ((s.get("spec") or {}).get("selector") or {}).get(key) == self.from_color)
        except (KubeError, _Unknown) as exc:
            now = self._observe_color(self.options.write_timeout)
            self._live_color = now
            if now == self.from_color:  # someone (or our lost patch) put it back after all
                return f"selector is back on {self.from_color} (the revert patch: {exc})"
            raise _Stop(Step.REVERT_FAILED, f"the revert patch failed: {exc}; the Service selects "
                        f"{now or 'an unknown colour (no answer)'}.") from None
        self._live_color = self.from_color
        ok, detail = self._wait_endpoints(self.from_color, max(1.0, deadline - time.monotonic()))
        if not ok:
            return (f"selector back on {self.from_color}, but its endpoints had not converged within "
                    f"{timeout:g}s ({detail}): check them")
        return f"selector back on {self.from_color}; {detail}"

    def _unlock(self) -> str:
        """Remove our lock (retried when the answer is lost); a sentence when it could not be removed."""
        if self._lock is None:
            return ""
        lock, value = self._lock, self._lock.dump()
        try:
            self._write("unlock", "services", self.service, unlock_patch(lock),
                        lambda svc: ((svc.get("metadata") or {}).get("annotations") or {}).get(ANN_LOCK) != value)
        except KubeError as exc:
            if exc.conflict or exc.status == 404:
                return ""  # not there (never taken, or gone with the Service) or no longer ours: nothing to do
            return (f" (could not release the lock: {exc}; it expires at {lock_expiry(lock)}, or take it over "
                    "with --break-lock)")
        except _Unknown as exc:
            return f" (could not release the lock: {exc}; it expires at {lock_expiry(lock)}, or --break-lock)"
        finally:
            self._lock = None
        return ""

    # -- run ------------------------------------------------------------------------------------
    def _do_revert(self, reason: str) -> tuple[Step, str]:
        """Run REVERT after a failure past SWITCH; returns the terminal state and its message."""
        if self.state is not Step.REVERT:
            self._go(Step.REVERT)
        try:
            self._run_step(Step.REVERT, self._revert)
        except _Stop as stop:
            return Step.REVERT_FAILED, f"{reason} Revert failed: {stop.message}"
        except Exception as exc:  # noqa: BLE001
            return Step.REVERT_FAILED, f"{reason} Revert failed: {exc}"
        last = self.records[-1].message if self.records else ""
        if "nothing to revert" in last:
            return Step.FAILED_REVERTED, f"{reason} The Service still selects {self.from_color}: {last}."
        return Step.FAILED_REVERTED, f"{reason} Reverted to {self.from_color}."

    def run(self) -> CutoverResult:
        """Run the machine to a terminal state; never raises for cluster errors."""
        self._t0 = time.monotonic()
        final, message = Step.DONE, ""
        try:
            try:
                if not self.options.dry_run:
                    try:
                        safety.require_allowed(self.action(), self.settings)
                    except safety.ActionRefused as exc:
                        raise _Stop(Step.REFUSED, str(exc)) from None
                self._run_step(Step.PREFLIGHT, self._preflight)
                if self.scale_plan is not None and not self.options.dry_run:
                    self._go(Step.SCALE)
                    self._run_step(Step.SCALE, self._scale)
                self._go(Step.SMOKE)
                self._run_step(Step.SMOKE, self._smoke)
                if self.options.dry_run:
                    self._go(Step.DONE)
                    final, message = Step.DONE, "dry run: checks passed, nothing changed"
                else:
                    self._check_cancel()
                    self._go(Step.SWITCH)
                    self._run_step(Step.SWITCH, self._switch)
                    self._go(Step.VERIFY)
                    self._run_step(Step.VERIFY, self._verify)
                    self._go(Step.DONE)
                    final = Step.DONE
                    message = f"{self.service} now selects {self.to_color} (was {self.from_color})"
            except _Stop as stop:
                if stop.state is Step.REVERT or self._switched:  # after the switch, any failure reverts
                    final, message = self._do_revert(stop.message)
                else:
                    final, message = stop.state, stop.message
            except Exception as exc:  # noqa: BLE001 - KubeError, network errors: never raised to the caller
                what = str(exc) if isinstance(exc, KubeError) else repr(exc)
                if self._switched:
                    final, message = self._do_revert(f"error after the switch: {what}.")
                else:
                    final, message = Step.REFUSED, f"error before the switch, nothing changed: {what}"
        finally:
            if final is not Step.DONE and final is not Step.REVERT_FAILED and (self._raised_hpa or self._scaled_replicas):
                try:
                    message += self._restore_scale()
                except Exception as exc:  # noqa: BLE001 - a half-done scale-up is reported as such
                    final = Step.REVERT_FAILED
                    message += (f" Restoring the scale-up failed too ({exc}): check the replicas of "
                                f"{self.scale_plan.deployment if self.scale_plan else '?'} and its HPA's minReplicas.")
            if self._lock is not None:
                try:
                    message += self._unlock()
                except Exception as exc:  # noqa: BLE001
                    message += f" (lock not released: {exc!r})"
        live = self._final_color(final)
        self.state = final
        self._emit(final, "end", message)
        return CutoverResult(
            state=final, message=message, service=self.service, namespace=self.namespace,
            from_color=self.from_color, to_color=self.to_color, steps=list(self.records),
            duration_s=time.monotonic() - self._t0, dry_run=self.options.dry_run, patch=self._patch,
            scale=self.scale_record(final), live_color=live, lost_answers=list(self._lost),
            broken_lock=self._broken_lock, interrupted=self.interrupted,
        )

    def _final_color(self, final: Step) -> str | None:
        """The colour the Service selects at the end: known without a read when nothing was sent or VERIFY
        just saw it; read back (with retries) after a failure past SWITCH."""
        if not self._switched:
            return self.from_color or None
        if final is Step.DONE:
            return self.to_color
        if self.state is Step.REVERT or final in (Step.FAILED_REVERTED, Step.REVERT_FAILED):
            seen = self._observe_color(self.options.write_timeout)
            return seen if seen is not None else None
        return self._live_color

    def action(self) -> Action:
        """The Action value of this cutover (for safety checks, the modal and the audit log)."""
        return cutover_action(self.namespace, self.service, self.from_color or "?", self.to_color or "?",
                              self.context, rollback=self.options.rollback, scale_plan=self.scale_plan)

    def run_or_raise(self) -> CutoverResult:
        """`run()`, raising `CutoverFailed` unless it ended in DONE (for `app.gate.perform` runners)."""
        result = self.run()
        if not result.ok:
            raise CutoverFailed(result)
        return result


SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def endpoints_from_slices(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """An Endpoints-shaped view (ready addresses only) of a Service's EndpointSlices (discovery.k8s.io/v1):
    an endpoint counts when `conditions.ready` is true or unset (nil means ready) and it is not
    terminating; one listed by two slices (mid-update) counts once."""
    seen: dict[str, dict[str, Any]] = {}
    for sl in slices:
        for ep in sl.get("endpoints") or []:
            cond = ep.get("conditions") or {}
            if cond.get("ready") is False or cond.get("terminating"):
                continue
            ref = ep.get("targetRef") or {}
            addrs = ep.get("addresses") or []
            key = ref.get("name") or (addrs[0] if addrs else "")
            if key and key not in seen:
                seen[key] = {"ip": addrs[0] if addrs else "", "targetRef": ref}
    return {"subsets": [{"addresses": list(seen.values())}]} if seen else {"subsets": []}


def read_endpoints(io: KubeIO, namespace: str, service: str) -> dict[str, Any]:
    """The ready endpoints of a Service, from its EndpointSlices (label kubernetes.io/service-name): core/v1
    Endpoints is deprecated since Kubernetes 1.33 and truncated at 1,000 addresses."""
    return endpoints_from_slices(io.list("endpointslices", namespace, f"{SERVICE_NAME_LABEL}={service}"))


def read_app(io: KubeIO, namespace: str, service: str) -> BlueGreenApp | None:
    """The blue-green view of one Service read from the cluster (None: not found / not blue-green)."""
    svc = io.get("services", namespace, service)
    if svc is None:
        return None
    return build_app(svc, io.list("deployments", namespace), io.list("replicasets", namespace),
                     io.list("pods", namespace), read_endpoints(io, namespace, service))


def outcome_word(result: CutoverResult) -> str:
    """The audit outcome of a cutover result: ok, refused: …, cancelled, failed-reverted: …, revert-failed: …."""
    return {
        Step.DONE: "ok",
        Step.REFUSED: "refused: " + result.message,
        Step.CANCELLED: "cancelled",
        Step.FAILED_REVERTED: "failed-reverted: " + result.message,
        Step.REVERT_FAILED: "revert-failed: " + result.message,
    }[result.state]


def audit_fields(result: CutoverResult) -> dict[str, Any]:
    """The audit-log fields of a cutover or rollback result (shared by the TUI and headless); `after` is
    the colour the Service was read to select at the end (null: it could not be read)."""
    before: dict[str, Any] = {"color": result.from_color}
    after: dict[str, Any] = {"color": result.live_color}
    if result.scale is not None:  # SCALE ran: the target's replicas and HPA minimum, before and after
        before["scaled"] = result.scale["before"]
        after["scaled"] = result.scale["after"]
    return {
        "outcome": outcome_word(result),
        "duration_s": result.duration_s,
        "before": before,
        "after": after,
        "message": result.message,
        "steps": [{"step": s.step.value, "status": s.status, "ms": round(s.duration_s * 1000)} for s in result.steps],
        **({"lost_answers": result.lost_answers} if result.lost_answers else {}),
        **({"broken_lock": result.broken_lock} if result.broken_lock else {}),
        **({"interrupted": result.interrupted} if result.interrupted else {}),
    }
