"""Image builds, shared by the TUI's build screen and the headless `gotui build`.

Choice: gotui drives the engine's classic builder through the Docker API (docker-py
`APIClient.build(decode=True)`), never BuildKit. It works on every engine gotui can reach
(unix, tcp, ssh), needs no docker CLI, and streams plain `Step n/m : INSTRUCTION` output that can be
parsed into steps. The cost: Dockerfile features only BuildKit has (`# syntax=` frontends,
`RUN --mount` caches/secrets/ssh, `COPY --link`/`--chmod`, heredocs) cannot be built. gotui checks
the Dockerfile before sending anything and fails with a message that names the line and says to use
`docker buildx build` instead (`buildkit_features`, `BuildKitRequired`).

No half-tagged images: the build runs untagged and the tag is applied only after the engine reports
success (`Successfully built` / aux ID), so a failed or cancelled build never moves a tag.
Cancelling closes the HTTP stream; the engine then stops the build and (forcerm) removes its
intermediate container.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gotui.ops.sanitize import sanitize_line

# -- BuildKit-only Dockerfile features -----------------------------------------------------------

_BK_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^\s*RUN\b.*--mount(=|\s)", re.I), "RUN --mount"),
    (re.compile(r"^\s*RUN\b.*--network(=|\s)", re.I), "RUN --network"),
    (re.compile(r"^\s*RUN\b.*--security(=|\s)", re.I), "RUN --security"),
    (re.compile(r"^\s*(COPY|ADD)\b.*--link\b", re.I), "COPY --link"),
    (re.compile(r"^\s*(COPY|ADD)\b.*--chmod(=|\s)", re.I), "COPY/ADD --chmod"),
    (re.compile(r"^\s*(COPY|ADD)\b.*--(parents|exclude)\b", re.I), "COPY --parents/--exclude"),
    (re.compile(r"^\s*ADD\b.*--(checksum|keep-git-dir)\b", re.I), "ADD --checksum/--keep-git-dir"),
    (re.compile(r"^\s*(RUN|COPY)\b.*<<-?\s*[\"']?[A-Za-z_]+", re.I), "heredoc (<<EOF)"),
]
_SYNTAX = re.compile(r"^#\s*syntax\s*=\s*(\S+)", re.I)


class BuildKitRequired(Exception):
    """The Dockerfile uses BuildKit-only features; the message says which and what to do."""


@dataclass(frozen=True)
class BuildKitFeature:
    line: int
    feature: str
    text: str


def buildkit_features(dockerfile_text: str) -> list[BuildKitFeature]:
    """Every BuildKit-only feature in a Dockerfile, with its line number (1-based)."""
    found: list[BuildKitFeature] = []
    in_directives = True
    for number, line in enumerate(dockerfile_text.splitlines(), start=1):
        stripped = line.strip()
        if in_directives:
            m = _SYNTAX.match(stripped)
            if m:
                found.append(BuildKitFeature(number, f"# syntax={m.group(1)} frontend", stripped))
                continue
            if not (stripped.startswith("#") and "=" in stripped) and stripped:
                in_directives = False
        if stripped.startswith("#"):
            continue
        for pattern, name in _BK_RULES:
            if pattern.search(line):
                found.append(BuildKitFeature(number, name, stripped))
                break
    return found


def buildkit_message(features: list[BuildKitFeature], dockerfile: str) -> str:
    first = features[0]
    more = f" (and {len(features) - 1} more)" if len(features) > 1 else ""
    return (
        f"{dockerfile} needs BuildKit: line {first.line} uses {first.feature}{more}. "
        "gotui builds with the engine's classic builder (Docker API), which cannot run it. "
        "Build it with `docker buildx build` (or DOCKER_BUILDKIT=1 docker build), "
        "or remove the BuildKit-only syntax."
    )


_OFFICIAL_FRONTEND = re.compile(r"^(?:docker\.io/)?docker/dockerfile(?:-upstream)?(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?$")
SYNTAX_IGNORED = ("the `# syntax=` line is ignored: the classic builder parses this Dockerfile itself "
                  "(it uses no BuildKit-only feature)")


def _ignorable(feature: BuildKitFeature) -> bool:
    """A `# syntax=docker/dockerfile:…` line on its own: the classic builder treats it as a comment
    and builds the same image (`docker init` writes one into every Dockerfile)."""
    if not feature.feature.startswith("# syntax="):
        return False
    m = _SYNTAX.match(feature.text)
    return bool(m and _OFFICIAL_FRONTEND.match(m.group(1)))


_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(\S+))?\s*$", re.I)


def stage_names(dockerfile_text: str) -> list[str]:
    """The named stages (`FROM … AS name`) of a Dockerfile, in order, lower-cased as docker does."""
    return [m.group(1).lower() for line in dockerfile_text.splitlines()
            if (m := _FROM.match(line)) and m.group(1)]


def check_dockerfile(context_dir: str | Path, dockerfile: str | None = None, target: str | None = None) -> Path:
    """Validate the context, the Dockerfile path and the target stage; raise BuildKitRequired /
    ValueError. A lone official `# syntax=` directive is not a reason to refuse."""
    ctx = Path(context_dir)
    if not ctx.is_dir():
        raise ValueError(f"build context {str(ctx)!r} is not a directory")
    path = Path(dockerfile) if dockerfile else Path("Dockerfile")
    full = path if path.is_absolute() else ctx / path
    if not full.is_file():
        raise ValueError(f"Dockerfile {str(full)!r} not found")
    text = full.read_text(encoding="utf-8", errors="replace")
    features = buildkit_features(text)
    blockers = [f for f in features if not _ignorable(f)]
    if blockers:
        raise BuildKitRequired(buildkit_message(blockers, str(path)))
    if target:
        stages = stage_names(text)
        if target.lower() not in stages:
            known = ", ".join(stages) if stages else "none: no `FROM … AS name` line"
            raise ValueError(f"target stage {target!r} is not in {path} (stages: {known})")
    return full


_REF_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*"
    rf"(?::\d+)?)/)?(?P<path>{_REF_COMPONENT}(?:/{_REF_COMPONENT})*)(?::(?P<tag>[\w][\w.-]{{0,127}}))?$"
)


def validate_tag(tag: str) -> str:
    """Check `tag` against docker's reference grammar before anything is built (a bad tag would
    otherwise be found only after the whole build); returns it, or raises ValueError saying why."""
    if not tag or tag != tag.strip():
        raise ValueError(f"invalid tag {tag!r}: empty or surrounded by spaces")
    m = _REFERENCE.match(tag)
    if m is None or len(tag.rsplit(":", 1)[0]) > 255:
        why = "repository names must be lowercase" if tag.lower() != tag and _REFERENCE.match(tag.lower()) else \
              "expected [host[:port]/]name[:tag] with lowercase letters, digits and . _ - separators"
        raise ValueError(f"invalid tag {tag!r}: {why}")
    # a first component that looks like a host (has . or :, or is localhost) is a registry
    domain = m.group("domain")
    if domain and not ("." in domain or ":" in domain or domain == "localhost") and domain.lower() != domain:
        raise ValueError(f"invalid tag {tag!r}: repository names must be lowercase")
    return tag


def parse_build_args(items: list[str]) -> dict[str, str]:
    """`["K=V", ...]` -> dict; raises ValueError on an item without `=`."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"build arg {item!r} must look like NAME=value")
        key, value = item.split("=", 1)
        if not key:
            raise ValueError(f"build arg {item!r} has no name")
        out[key] = value
    return out


def split_tag(tag: str) -> tuple[str, str]:
    """`repo:tag` -> (repo, tag); a missing tag means `latest` (ports in registry hosts kept)."""
    name, _, maybe = tag.rpartition(":")
    if name and "/" not in maybe:
        return name, maybe
    return tag, "latest"


# -- stream parsing ----------------------------------------------------------------------------

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_BUILT = re.compile(r"^Successfully built ([0-9a-f]+)")


@dataclass
class BuildEvent:
    """One thing a build reported. kind: step | cached | output | error | built | info | note
    (note: gotui's own remark, e.g. an ignored `# syntax=` line)."""

    kind: str
    text: str = ""
    step: int = 0
    total: int = 0


@dataclass
class StepInfo:
    number: int
    total: int
    instruction: str
    cached: bool = False
    output: list[str] = field(default_factory=list)
    started: float = 0.0
    duration: float = 0.0


class BuildStreamParser:
    """Turns the engine's build stream (dicts) into BuildEvents, one per complete line."""

    def __init__(self) -> None:
        self._partial = ""
        self.steps: list[StepInfo] = []
        self.image_id: str | None = None
        self.error: str | None = None

    @property
    def current(self) -> StepInfo | None:
        return self.steps[-1] if self.steps else None

    def feed(self, chunk: dict[str, Any]) -> list[BuildEvent]:
        events: list[BuildEvent] = []
        if not isinstance(chunk, dict):
            return events
        if "errorDetail" in chunk or "error" in chunk:
            detail = chunk.get("errorDetail") or {}
            message = sanitize_line(str(detail.get("message") or chunk.get("error") or "build failed"))
            self.error = message
            events.extend(self._flush())
            events.append(BuildEvent("error", message, *self._step_nums()))
            return events
        aux = chunk.get("aux")
        if isinstance(aux, dict) and aux.get("ID"):
            self.image_id = str(aux["ID"])
        text = chunk.get("stream")
        if text is None and chunk.get("status"):
            text = str(chunk["status"]) + "\n"
        if text:
            self._partial += str(text)
            *lines, self._partial = self._partial.split("\n")
            for line in lines:
                events.extend(self._line(line))
        return events

    def finish(self) -> list[BuildEvent]:
        """Flush the last partial line (call when the stream ends)."""
        events = self._flush()
        if self.current and not self.current.duration:
            self.current.duration = time.monotonic() - self.current.started
        return events

    def _flush(self) -> list[BuildEvent]:
        if self._partial.strip():
            line, self._partial = self._partial, ""
            return self._line(line)
        self._partial = ""
        return []

    def _step_nums(self) -> tuple[int, int]:
        cur = self.current
        return (cur.number, cur.total) if cur else (0, 0)

    def _line(self, raw: str) -> list[BuildEvent]:
        line = sanitize_line(raw)
        m = _STEP.match(line)
        if m:
            now = time.monotonic()
            if self.current and not self.current.duration:
                self.current.duration = now - self.current.started
            step = StepInfo(int(m.group(1)), int(m.group(2)), m.group(3), started=now)
            self.steps.append(step)
            return [BuildEvent("step", step.instruction, step.number, step.total)]
        stripped = line.strip()
        if stripped == "---> Using cache":
            if self.current:
                self.current.cached = True
            return [BuildEvent("cached", "", *self._step_nums())]
        built = _BUILT.match(stripped)
        if built:
            if not self.image_id:
                self.image_id = built.group(1)
            return [BuildEvent("built", built.group(1), *self._step_nums())]
        if not stripped:
            return []
        if stripped.startswith(("--->", "Removing intermediate container", "Successfully tagged")):
            return [BuildEvent("info", stripped, *self._step_nums())]
        if self.current:
            self.current.output.append(line)
        return [BuildEvent("output", line, *self._step_nums())]


# -- running a build -----------------------------------------------------------------------------


@dataclass
class BuildRequest:
    context_dir: str
    tag: str | None = None
    dockerfile: str | None = None
    target: str | None = None
    buildargs: dict[str, str] = field(default_factory=dict)
    platform: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    nocache: bool = False
    pull: bool = False  # always try to pull a newer version of the base images

    def command(self) -> str:
        """The equivalent docker CLI command (classic builder), shell-quoted."""
        import shlex

        argv = ["docker", "build"]
        if self.tag:
            argv += ["-t", self.tag]
        if self.dockerfile:
            argv += ["-f", self.dockerfile]
        if self.target:
            argv += ["--target", self.target]
        for key, value in self.buildargs.items():
            argv += ["--build-arg", f"{key}={value}"]
        if self.platform:
            argv += ["--platform", self.platform]
        argv += ["--no-cache"] if self.nocache else []
        argv += ["--pull"] if self.pull else []
        return shlex.join([*argv, self.context_dir])


@dataclass
class BuildResult:
    ok: bool
    image_id: str | None = None
    size: int | None = None
    duration: float = 0.0
    tag: str | None = None
    cancelled: bool = False
    error: str | None = None
    failed_step: StepInfo | None = None
    steps: list[StepInfo] = field(default_factory=list)

    def summary(self) -> str:
        """One line: what was built, how big, how long — or where it failed."""
        from gotui.ops.docker_ops import human_size

        if self.ok:
            short = (self.image_id or "").removeprefix("sha256:")[:12]
            tagged = f", tagged {self.tag}" if self.tag else ""
            cached = sum(1 for s in self.steps if s.cached)
            return (f"Built {short} ({human_size(self.size or 0)}) in {self.duration:.1f} s"
                    f"{tagged}; {len(self.steps)} steps, {cached} cached")
        if self.cancelled:
            return f"Build cancelled after {self.duration:.1f} s; nothing was tagged"
        where = ""
        if self.failed_step is not None:
            s = self.failed_step
            where = f" at step {s.number}/{s.total} ({s.instruction})"
        return f"Build failed{where}: {self.error}"


class BuildRun:
    """One build: `run(on_event)` blocks (call it in a thread); `cancel()` from any thread."""

    def __init__(self, source: Any, request: BuildRequest) -> None:
        self.source = source
        self.request = request
        self.parser = BuildStreamParser()
        self._cancel = threading.Event()
        self._stream: Any = None
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            if self._stream is not None:
                self._stream.close()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self, on_event: Callable[[BuildEvent], None]) -> BuildResult:
        """Build, streaming events; raises BuildKitRequired / ValueError / EngineUnreachable
        before anything is sent, else always returns a BuildResult."""
        req = self.request
        if req.tag:
            validate_tag(req.tag)
        full = check_dockerfile(req.context_dir, req.dockerfile, req.target)
        if any(_ignorable(f) for f in buildkit_features(full.read_text(encoding="utf-8", errors="replace"))):
            on_event(BuildEvent("note", SYNTAX_IGNORED))
        start = time.monotonic()
        result = BuildResult(ok=False)
        stream = self.source.build(
            req.context_dir, dockerfile=req.dockerfile, target=req.target,
            buildargs=req.buildargs or None, platform=req.platform, labels=req.labels or None,
            nocache=req.nocache, pull=req.pull,
        )
        with self._lock:
            self._stream = stream
        if self._cancel.is_set():
            stream.close()
        try:
            for chunk in stream:
                for event in self.parser.feed(chunk):
                    on_event(event)
                if self._cancel.is_set():
                    break
            for event in self.parser.finish():
                on_event(event)
        except Exception as exc:  # noqa: BLE001 - a dropped stream is a failed (or cancelled) build
            if not self._cancel.is_set():
                from gotui.ops.errors import describe_error

                result.error = describe_error(exc, what="build stream")
        finally:
            stream.close()
        result.duration = time.monotonic() - start
        result.steps = list(self.parser.steps)
        if self._cancel.is_set():
            result.cancelled = True
            return result
        if self.parser.error or result.error or not self.parser.image_id:
            result.error = self.parser.error or result.error or "the engine reported no image"
            result.failed_step = self.parser.current
            return result
        image_id = self.parser.image_id
        if req.tag:
            repo, tag = split_tag(req.tag)
            self.source.tag(image_id, repo, tag)
            result.tag = req.tag
            on_event(BuildEvent("info", f"tagged {req.tag}"))
        info = self.source.inspect_image(image_id)
        result.image_id = str(info.get("Id") or image_id)
        result.size = int(info.get("Size") or 0)
        result.ok = True
        result.duration = time.monotonic() - start
        return result


def format_event(event: BuildEvent) -> str | None:
    """The plain-text line the headless build prints for `event` (None: print nothing)."""
    if event.kind == "step":
        return f"Step {event.step}/{event.total} : {event.text}"
    if event.kind == "cached":
        return "  (cached)"
    if event.kind == "output":
        return f"  | {event.text}"
    if event.kind == "error":
        return f"ERROR: {event.text}"
    if event.kind == "info" and event.text.startswith("tagged"):
        return f"  {event.text}"
    if event.kind == "note":
        return f"note: {event.text}"
    return None
