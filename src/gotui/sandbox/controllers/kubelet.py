"""Kubelet simulation: scheduling, Pending -> ContainerCreating -> Running -> Ready, crash loops,
graceful deletion.

All timed work goes through one timer heap that the manager's loop drains each tick (no task per pod),
so 10,000 pods start in a few seconds. Each container's runs (start/end) are kept for the log source.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .util import iso

if TYPE_CHECKING:
    from .manager import ControllerManager

NODES = ["sandbox-node-1", "sandbox-node-2", "sandbox-node-3"]
NODE_IPS = {n: f"10.0.0.{11 + i}" for i, n in enumerate(NODES)}
_NARROW_PROBES = 64  # linear-probe steps in the 10,000 first addresses of a node
_WIDE_SIZE = 60_000  # addresses per node in the wide range


def is_crash_image(image: str) -> bool:
    """An image whose tag contains `crash` crash-loops."""
    last = image.rsplit("/", 1)[-1]
    return ":" in last and "crash" in last.rsplit(":", 1)[1]


def image_id(image: str) -> str:
    """A stable image digest reference, as containerd reports it."""
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    if "/" not in repo:
        repo = f"docker.io/library/{repo}"
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


@dataclass(slots=True)
class Run:
    """One container instance: when it started and (if it did) when it ended, and how."""

    start: float
    container_id: str
    end: float | None = None
    crashed: bool = False


@dataclass(slots=True)
class ContainerState:
    name: str
    image: str
    crash: bool
    runs: list[Run] = field(default_factory=list)
    restarts: int = 0
    waiting_reason: str | None = "ContainerCreating"
    backoff_message: str = ""


@dataclass(slots=True)
class PodState:
    namespace: str
    name: str
    uid: str
    node: str
    host_ip: str
    pod_ip: str = ""
    containers: dict[str, ContainerState] = field(default_factory=dict)
    removing: bool = False


class Kubelet:
    """Drives pod status through the store on a timer heap."""

    def __init__(self, mgr: ControllerManager, *, crash_backoff: float = 1.0, crash_backoff_max: float = 20.0,
                 crash_run_time: float = 1.0) -> None:
        self.mgr = mgr
        self.crash_backoff = crash_backoff
        self.crash_backoff_max = crash_backoff_max
        self.crash_run_time = crash_run_time
        self.fast_start = False
        self.pods: dict[str, PodState] = {}  # by uid
        self._heap: list[tuple[float, int, str, str, str, str, str]] = []
        self._seq = itertools.count()
        self._ips_in_use: set[str] = set()
        self._node_cycle = itertools.cycle(NODES)
        self._adopting: PodState | None = None
        self._shared: dict[tuple[str, str], list] = {}
        self._narrow_full: set[str] = set()  # nodes whose first 10,000 addresses are all taken

    # ---- scheduling of timed work -------------------------------------------------------------
    def _at(self, due: float, action: str, ns: str, name: str, uid: str, container: str = "") -> None:
        heapq.heappush(self._heap, (due, next(self._seq), action, ns, name, uid, container))

    def next_due(self) -> float | None:
        """When the earliest pending timer fires (clock seconds), or None."""
        return self._heap[0][0] if self._heap else None

    def pending(self) -> int:
        """Number of queued timers."""
        return len(self._heap)

    def run_due(self, now: float, budget: int, deadline: float | None = None) -> int:
        """Run due timers, at most `budget` of them and (given a monotonic `deadline`) until then;
        returns how many ran."""
        n = 0
        mono = self.mgr.mono
        while self._heap and self._heap[0][0] <= now and n < budget and (
                deadline is None or n % 16 or mono() < deadline):
            _, _, action, ns, name, uid, container = heapq.heappop(self._heap)
            try:
                getattr(self, f"_do_{action}")(ns, name, uid, container)
            except Exception:  # noqa: BLE001 - a vanished or conflicting pod: skip this step
                self.mgr.log_exception(f"kubelet {action} {ns}/{name}")
            n += 1
        return n

    # ---- reactions to store events ------------------------------------------------------------
    def on_pod(self, event: str, pod: dict) -> None:
        """React to a pod write (called from the store subscription; never writes synchronously)."""
        meta = pod["metadata"]
        uid = meta.get("uid", "")
        ns, name = meta.get("namespace", ""), meta["name"]
        if event == "DELETED":
            state = self.pods.pop(uid, None)
            if state is not None:
                self._ips_in_use.discard(state.pod_ip)
                self.mgr.traffic.pod_gone(ns, name)
            return
        adopting = self._adopting
        if adopting is not None and event == "ADDED" and adopting.name == name and adopting.namespace == ns:
            self._adopting = None
            adopting.uid = uid
            self.pods[uid] = adopting
            for c in adopting.containers.values():
                if c.crash:
                    run = self.crash_run_time * (0.6 + 0.8 * self.mgr.rng.random())
                    self._at(self.mgr.mono() + run, "crash", ns, name, uid, c.name)
            return
        if uid not in self.pods:
            if event == "ADDED" or not (pod.get("status") or {}).get("containerStatuses"):
                self._register(pod)
                self._at(self.mgr.mono() + self.mgr.delay(0.05, 0.25), "schedule", ns, name, uid)
            else:
                return
        if meta.get("deletionTimestamp"):
            state = self.pods.get(uid)
            if state is not None and not state.removing:
                state.removing = True
                grace = self.mgr.delay(0.2, 0.6)
                self._at(self.mgr.mono() + grace, "remove", ns, name, uid)
                for c in state.containers.values():
                    if c.runs and c.runs[-1].end is None:
                        self.mgr.events.record(pod, "Normal", "Killing", f"Stopping container {c.name}",
                                               host=state.node, field_path=f"spec.containers{{{c.name}}}")

    def _schedulable_node(self) -> str:
        """The next node in turn that is not cordoned (spec.unschedulable), as the scheduler filters."""
        for _ in range(len(NODES)):
            node = next(self._node_cycle)
            obj = self.mgr.store.get("nodes", "", node)
            if obj is None or not (obj.get("spec") or {}).get("unschedulable"):
                return node
        return next(self._node_cycle)

    def _register(self, pod: dict) -> PodState:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        node = spec.get("nodeName") or self._schedulable_node()
        state = PodState(meta.get("namespace", ""), meta["name"], meta.get("uid", ""), node, NODE_IPS.get(node, "10.0.0.10"))
        for c in spec.get("containers") or []:
            image = str(c.get("image") or "")
            state.containers[c["name"]] = ContainerState(c["name"], image, is_crash_image(image))
        self.pods[state.uid] = state
        return state

    def create_running(self, pod: dict) -> dict:
        """Create `pod` already scheduled and running, in ONE store write (the `fast_start` of big
        scenarios: no Pending write, no schedule/start timers); returns the stored pod."""
        meta = pod["metadata"]
        node = next(self._node_cycle)
        state = PodState(meta.get("namespace", ""), meta["name"], "", node, NODE_IPS[node])
        for c in (pod.get("spec") or {}).get("containers") or []:
            image = str(c.get("image") or "")
            # crash timers are set once the pod has its uid (on_pod)
            state.containers[c["name"]] = ContainerState(c["name"], image, False)
        self._assign_ip(state)
        now = self.mgr.clock()
        for c in state.containers.values():
            self._start_container(pod, state, c, now, first=True)
            c.crash = is_crash_image(c.image)
        pod["spec"]["nodeName"] = node
        status = pod["status"] = self._status(pod, state, now, phase="Running")
        # pods started in the same second have equal conditions and host IPs: share them (read-only once
        # stored), about 1.5 KB less per pod at 150,000 pods
        for k in ("conditions", "hostIPs"):
            shared = self._shared.get((k, node))
            if shared == status[k]:
                status[k] = shared
            else:
                self._shared[(k, node)] = status[k]
        self._adopting = state
        try:
            return self.mgr.store.create("pods", pod, adopt=True)
        except Exception:
            self._ips_in_use.discard(state.pod_ip)
            raise
        finally:
            self._adopting = None

    def delete_pod(self, namespace: str, name: str) -> None:
        """Delete a pod gracefully through the store (the API marks it Terminating; we remove it later)."""
        try:
            self.mgr.store.delete("pods", namespace, name)
        except Exception:  # noqa: BLE001 - already gone
            pass

    # ---- actions ------------------------------------------------------------------------------
    def _current(self, ns: str, name: str, uid: str) -> dict | None:
        pod = self.mgr.store.get("pods", ns, name)
        if pod is None or pod["metadata"].get("uid") != uid:
            return None
        return pod

    def _do_schedule(self, ns: str, name: str, uid: str, _c: str) -> None:
        pod = self._current(ns, name, uid)
        state = self.pods.get(uid)
        if pod is None or state is None or state.removing:
            return
        now = self.mgr.clock()
        new = dict(pod)
        new["spec"] = {**pod["spec"], "nodeName": state.node}
        if self.fast_start:  # big scenarios: scheduled and started in one write
            self._assign_ip(state)
            for c in state.containers.values():
                self._start_container(pod, state, c, now, first=True)
            new["status"] = self._status(new, state, now, phase="Running")
        else:
            new["status"] = self._status(new, state, now, phase="Pending")
        new["status"]["startTime"] = iso(now)
        stored = self.mgr.store.update("pods", new, check_rv=False)
        if self.fast_start:
            return
        self.mgr.events.record(stored, "Normal", "Scheduled",
                               f"Successfully assigned {ns}/{name} to {state.node}", component="default-scheduler")
        for c in state.containers.values():
            self.mgr.events.record(stored, "Normal", "Pulling", f'Pulling image "{c.image}"', host=state.node,
                                   field_path=f"spec.containers{{{c.name}}}")
        self._at(self.mgr.mono() + self.mgr.delay(0.15, 0.6), "start", ns, name, uid)

    def _new_container_id(self) -> str:
        return "containerd://" + f"{self.mgr.rng.getrandbits(256):064x}"

    def _do_start(self, ns: str, name: str, uid: str, _c: str) -> None:
        pod = self._current(ns, name, uid)
        state = self.pods.get(uid)
        if pod is None or state is None or state.removing:
            return
        now = self.mgr.clock()
        self._assign_ip(state)
        for c in state.containers.values():
            self._start_container(pod, state, c, now, first=True)
        self._write_status(pod, state, now)

    def _assign_ip(self, state: PodState) -> None:
        """A pod IP derived from the pod's name (same seed, same IPs, whatever the timing).

        First a short probe of the node's 10,000 addresses in 10.244.0.0/16; when they are (nearly)
        all taken, the node's 60,000 addresses in 10.(245+node).0.0/16 (big scenarios: 150,000 pods)."""
        node_index = NODES.index(state.node) if state.node in NODES else 0
        h = zlib.crc32(f"{state.namespace}/{state.name}".encode())
        ips = self._ips_in_use
        n = h % 10_000
        for _ in range(_NARROW_PROBES if state.node not in self._narrow_full else 0):
            ip = f"10.244.{node_index * 40 + n // 250}.{n % 250 + 2}"
            if ip not in ips:
                ips.add(ip)
                state.pod_ip = ip
                return
            n = (n + 1) % 10_000
        if len(ips) > 30_000:
            self._narrow_full.add(state.node)
        n = h % _WIDE_SIZE
        for _ in range(_WIDE_SIZE):
            ip = f"10.{245 + node_index}.{n // 250}.{n % 250 + 2}"
            if ip not in ips:
                ips.add(ip)
                state.pod_ip = ip
                return
            n = (n + 1) % _WIDE_SIZE
        state.pod_ip = ""  # every address of the node is taken: the pod runs without an IP

    def _write_status(self, pod: dict, state: PodState, now: float) -> dict:
        new = dict(pod)  # shallow: the store copies what it keeps
        new["status"] = self._status(pod, state, now, phase="Running")
        return self.mgr.store.update("pods", new, check_rv=False)

    def _start_container(self, pod: dict, state: PodState, c: ContainerState, now: float, *, first: bool) -> None:
        c.runs.append(Run(now, self._new_container_id()))
        if len(c.runs) > 20:
            del c.runs[:-20]
        c.waiting_reason = None
        # From the names, not the shared RNG: the order controllers draw from it depends on timing, and
        # the events (shown in snapshots) must be the same for the same seed on a loaded machine too.
        ms = 200 + zlib.crc32(f"{state.namespace}/{state.name}/{c.name}/{len(c.runs)}".encode()) % 800
        fp = f"spec.containers{{{c.name}}}"
        if first:
            size = 8_000_000 + (int(hashlib.sha256(c.image.encode()).hexdigest()[:6], 16) % 30_000_000)
            self.mgr.events.record(pod, "Normal", "Pulled",
                                   f'Successfully pulled image "{c.image}" in {ms}ms ({ms}ms including waiting). '
                                   f"Image size: {size} bytes.", host=state.node, field_path=fp)
        else:
            self.mgr.events.record(pod, "Normal", "Pulled", f'Container image "{c.image}" already present on machine',
                                   host=state.node, field_path=fp)
        self.mgr.events.record(pod, "Normal", "Created", f"Created container: {c.name}", host=state.node, field_path=fp)
        self.mgr.events.record(pod, "Normal", "Started", f"Started container {c.name}", host=state.node, field_path=fp)
        if c.crash:
            run = self.crash_run_time * (0.6 + 0.8 * self.mgr.rng.random())
            self._at(self.mgr.mono() + run, "crash", state.namespace, state.name, state.uid, c.name)

    def _do_crash(self, ns: str, name: str, uid: str, cname: str) -> None:
        pod = self._current(ns, name, uid)
        state = self.pods.get(uid)
        if pod is None or state is None or state.removing:
            return
        c = state.containers.get(cname)
        if c is None or not c.runs or c.runs[-1].end is not None:
            return
        now = self.mgr.clock()
        c.runs[-1].end = now
        c.runs[-1].crashed = True
        c.restarts += 1
        backoff = min(self.crash_backoff * (2 ** (c.restarts - 1)), self.crash_backoff_max)
        c.waiting_reason = "CrashLoopBackOff"
        c.backoff_message = (f"back-off {_fmt_duration(backoff)} restarting failed container={cname} "
                             f"pod={name}_{ns}({uid})")
        stored = self._write_status(pod, state, now)
        self.mgr.events.record(stored, "Warning", "BackOff",
                               f"Back-off restarting failed container {cname} in pod {name}_{ns}({uid})",
                               host=state.node, field_path=f"spec.containers{{{cname}}}")
        self._at(self.mgr.mono() + backoff, "restart", ns, name, uid, cname)

    def _do_restart(self, ns: str, name: str, uid: str, cname: str) -> None:
        pod = self._current(ns, name, uid)
        state = self.pods.get(uid)
        if pod is None or state is None or state.removing:
            return
        c = state.containers.get(cname)
        if c is None:
            return
        now = self.mgr.clock()
        self._start_container(pod, state, c, now, first=False)
        self._write_status(pod, state, now)

    def _do_remove(self, ns: str, name: str, uid: str, _c: str) -> None:
        state = self.pods.get(uid)
        now = self.mgr.clock()
        if state is not None:
            for c in state.containers.values():
                if c.runs and c.runs[-1].end is None:
                    c.runs[-1].end = now
        if self._current(ns, name, uid) is None:
            return
        self.mgr.force_delete_pod(ns, name)

    # ---- status -------------------------------------------------------------------------------
    def _status(self, pod: dict, state: PodState, now: float, *, phase: str) -> dict:
        old = pod.get("status") or {}
        statuses = []
        all_ready = True
        for spec_c in (pod.get("spec") or {}).get("containers") or []:
            c = state.containers.get(spec_c["name"])
            if c is None:
                continue
            cs: dict = {
                "name": c.name,
                "image": c.image,
                "imageID": image_id(c.image) if c.runs else "",
                "ready": False,
                "restartCount": c.restarts,
                "started": False,
                "state": {},
                "lastState": {},
            }
            run = c.runs[-1] if c.runs else None
            if run is not None:
                cs["containerID"] = run.container_id
            if run is not None and run.end is None:
                cs["state"] = {"running": {"startedAt": iso(run.start)}}
                cs["ready"] = True
                cs["started"] = True
            elif c.waiting_reason == "CrashLoopBackOff":
                cs["state"] = {"waiting": {"reason": "CrashLoopBackOff", "message": c.backoff_message}}
            else:
                cs["state"] = {"waiting": {"reason": c.waiting_reason or "ContainerCreating"}}
            prev = None
            if run is not None and run.end is not None:
                prev = run
            elif len(c.runs) >= 2:
                prev = c.runs[-2]
            if prev is not None and prev.end is not None:
                cs["lastState"] = {"terminated": {
                    "exitCode": 2 if prev.crashed else 0,
                    "reason": "Error" if prev.crashed else "Completed",
                    "startedAt": iso(prev.start),
                    "finishedAt": iso(prev.end),
                    "containerID": prev.container_id,
                }}
            if not cs["ready"]:
                all_ready = False
            statuses.append(cs)
        not_ready = [cs["name"] for cs in statuses if not cs["ready"]]
        old_conds = {c.get("type"): c for c in old.get("conditions") or []}

        def cond(ctype: str, ok: bool, reason: str | None = None, message: str | None = None) -> dict:
            status = "True" if ok else "False"
            prev_c = old_conds.get(ctype)
            ltt = prev_c.get("lastTransitionTime") if prev_c and prev_c.get("status") == status else iso(now)
            c = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": ltt}
            if not ok and reason:
                c["reason"] = reason
                c["message"] = message
            return c

        msg = f"containers with unready status: [{' '.join(not_ready)}]"
        ready = all_ready and bool(statuses)
        conditions = [
            cond("PodReadyToStartContainers", phase == "Running"),
            cond("Initialized", True),
            cond("Ready", ready, "ContainersNotReady", msg),
            cond("ContainersReady", ready, "ContainersNotReady", msg),
            cond("PodScheduled", True),
        ]
        status = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": state.host_ip,
            "hostIPs": [{"ip": state.host_ip}],
            "startTime": old.get("startTime") or iso(now),
            "containerStatuses": statuses,
            "qosClass": old.get("qosClass") or "BestEffort",
        }
        if state.pod_ip:
            status["podIP"] = state.pod_ip
            status["podIPs"] = [{"ip": state.pod_ip}]
        return status


def _fmt_duration(seconds: float) -> str:
    """Go's time.Duration String for whole/fractional seconds (`10s`, `1m20s`, `500ms`)."""
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    return f"{m}m{s}s"
