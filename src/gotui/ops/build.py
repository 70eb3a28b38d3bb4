"""Image builds, shared by the TUI's build screen and the headless `gotui build`.

Builders: BuildKit by default, through the plain Docker API (`POST /build?version=2`, the context as
a tar, no session; `gotui.ops.buildkit` decodes its progress): it builds what Go Dockerfiles use
(`RUN --mount=type=cache`, `COPY --link`/`--chmod`…) and keeps cache mounts between builds. The
engine's classic builder (docker-py `APIClient.build`, `Step n/m :` lines) is the fallback for engines
without BuildKit (API < 1.39, Windows) or when asked for (`builder="classic"`); a Dockerfile that
needs BuildKit is then refused before anything is sent, naming the line (`BuildKitRequired`).

Without a session BuildKit cannot use secrets, ssh forwarding or local cache exports; an engine
with no `bridge` network (dockerd --bridge=none) cannot run RUN steps on the default network, so
gotui then asks for `--network none` and says so. A `# syntax=` line makes the engine pull that
frontend image: when the official `docker/dockerfile` frontend cannot be had, gotui builds again
with the engine's built-in frontend (with a note); any other frontend that cannot be pulled fails
with a message naming the line and the image.

`-f` is relative to the current directory, as `docker build -f` is (not to the context), so the
equivalent command gotui prints runs as is.

No half-tagged images: the build runs untagged and the tag is applied only after the engine reports
success (the image ID), so a failed or cancelled build never moves a tag. Cancelling closes the HTTP
stream; the engine then stops the build.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gotui.ops.build_events import BuildEvent, StepInfo
from gotui.ops.sanitize import sanitize_line

__all__ = ["BuildEvent", "StepInfo"]  # re-exported: callers import them from here

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


def buildkit_message(features: list[BuildKitFeature], dockerfile: str, why: str = "") -> str:
    """Why the classic builder cannot build this Dockerfile (`why`: why BuildKit is not used)."""
    first = features[0]
    more = f" (and {len(features) - 1} more)" if len(features) > 1 else ""
    reason = f"gotui builds with the classic builder here ({why}), which cannot run it. " if why else \
        "The classic builder cannot run it. "
    return (
        f"{dockerfile} needs BuildKit: line {first.line} uses {first.feature}{more}. {reason}"
        "Build it with BuildKit (gotui's default builder, or `docker buildx build`), "
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


@dataclass(frozen=True)
class SyntaxLine:
    line: int
    frontend: str

    @property
    def official(self) -> bool:
        return bool(_OFFICIAL_FRONTEND.match(self.frontend))


def syntax_line(dockerfile_text: str) -> SyntaxLine | None:
    """The `# syntax=IMAGE` parser directive (which makes BuildKit pull IMAGE as its frontend), if any."""
    for f in buildkit_features(dockerfile_text):
        if f.feature.startswith("# syntax="):
            m = _SYNTAX.match(f.text)
            if m:
                return SyntaxLine(f.line, m.group(1))
    return None


def without_syntax(dockerfile_text: str, line: int) -> str:
    """The Dockerfile with its `# syntax=` line made inert (same line count, so errors keep their
    line numbers; still directive-shaped, so an `# escape=` below it still counts)."""
    lines = dockerfile_text.split("\n")
    lines[line - 1] = _SYNTAX.sub(lambda m: f"# gotuiskippedsyntax={m.group(1)}", lines[line - 1].strip(), count=1)
    return "\n".join(lines)


_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(\S+))?\s*$", re.I)


def stage_names(dockerfile_text: str) -> list[str]:
    """The named stages (`FROM … AS name`) of a Dockerfile, in order, lower-cased as docker does."""
    return [m.group(1).lower() for line in dockerfile_text.splitlines()
            if (m := _FROM.match(line)) and m.group(1)]


def resolve_dockerfile(context_dir: str | Path, dockerfile: str | None = None, cwd: str | Path | None = None) -> Path:
    """The Dockerfile's absolute path with docker's rules: `-f PATH` is relative to the current
    directory (`cwd`), not to the context; without `-f`, CONTEXT/Dockerfile. Raises ValueError when
    it is missing (saying so when the path exists relative to the context instead, gotui's old rule)."""
    ctx = Path(context_dir)
    here = Path(cwd) if cwd is not None else Path.cwd()
    if not dockerfile:
        full = ctx / "Dockerfile"
        if not full.is_absolute():
            full = here / full
        if not full.is_file():
            raise ValueError(f"Dockerfile {str(ctx / 'Dockerfile')!r} not found")
        return full
    path = Path(dockerfile).expanduser()
    full = path if path.is_absolute() else here / path
    if not full.is_file():
        hint = ""
        in_ctx = ctx / path
        if not path.is_absolute() and in_ctx.is_file():
            hint = (f" (-f is relative to the current directory, as with docker build; "
                    f"did you mean -f {in_ctx}?)")
        raise ValueError(f"Dockerfile {dockerfile!r} not found in {str(here)!r}{hint}")
    return full


def check_dockerfile(context_dir: str | Path, dockerfile: str | None = None, target: str | None = None,
                     builder: str = "buildkit", why_classic: str = "", cwd: str | Path | None = None) -> Path:
    """Validate the context, the Dockerfile path (relative to `cwd`, as docker's -f) and the target
    stage; returns the Dockerfile's absolute path. Raises ValueError, or BuildKitRequired when
    `builder` is "classic" and the Dockerfile needs BuildKit (a lone official `# syntax=` line is no
    reason to refuse)."""
    ctx = Path(context_dir)
    if not ctx.is_dir():
        raise ValueError(f"build context {str(ctx)!r} is not a directory")
    full = resolve_dockerfile(ctx, dockerfile, cwd)
    text = full.read_text(encoding="utf-8", errors="replace")
    if builder == "classic":
        blockers = [f for f in buildkit_features(text) if not _ignorable(f)]
        if blockers:
            raise BuildKitRequired(buildkit_message(blockers, dockerfile or str(ctx / "Dockerfile"), why_classic))
    if target:
        stages = stage_names(text)
        if target.lower() not in stages:
            known = ", ".join(stages) if stages else "none: no `FROM … AS name` line"
            raise ValueError(f"target stage {target!r} is not in {dockerfile or 'Dockerfile'} (stages: {known})")
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


BUILDERS = ("auto", "buildkit", "classic")


@dataclass
class BuildRequest:
    context_dir: str
    tag: str | None = None
    dockerfile: str | None = None  # relative to the current directory, as docker build -f
    target: str | None = None
    buildargs: dict[str, str] = field(default_factory=dict)
    platform: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    nocache: bool = False
    pull: bool = False  # always try to pull a newer version of the base images
    builder: str = "auto"  # auto (BuildKit when the engine has it) | buildkit | classic
    network: str | None = None  # RUN steps' network (BuildKit on an engine without a bridge: none)

    def command(self) -> str:
        """The equivalent docker CLI command, shell-quoted, to run from the same directory (`-f` is
        relative to it in both). The classic builder gets `DOCKER_BUILDKIT=0` in front."""
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
        if self.network:
            argv += ["--network", self.network]
        argv += ["--no-cache"] if self.nocache else []
        argv += ["--pull"] if self.pull else []
        prefix = "DOCKER_BUILDKIT=0 " if self.builder == "classic" else ""
        return prefix + shlex.join([*argv, self.context_dir])


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
    builder: str = ""

    @property
    def exit_code(self) -> int | None:
        """The failing RUN step's own exit code, when the engine said it."""
        if self.failed_step is not None and self.failed_step.exit_code is not None:
            return self.failed_step.exit_code
        from gotui.ops.buildkit import exit_code_of

        return exit_code_of(self.error or "") if self.failed_step is not None else None

    def summary(self) -> str:
        """One line: what was built, how big, how long — or where it failed (with the step's exit code)."""
        from gotui.ops.docker_ops import human_size

        if self.ok:
            short = (self.image_id or "").removeprefix("sha256:")[:12]
            tagged = f", tagged {self.tag}" if self.tag else ""
            cached = sum(1 for s in self.steps if s.cached)
            return (f"Built {short} ({human_size(self.size or 0)}) in {self.duration:.1f} s"
                    f"{tagged}; {len(self.steps)} steps, {cached} cached")
        if self.cancelled:
            return f"Build cancelled after {self.duration:.1f} s; nothing was tagged"
        if self.failed_step is not None:
            code = self.exit_code
            if code is not None:
                return f"Build failed at {self.failed_step.label()}: exit code {code}"
            return f"Build failed at {self.failed_step.label()}: {self.error}"
        return f"Build failed: {self.error}"


def _is_frontend_failure(message: str, syntax: SyntaxLine) -> bool:
    low = message.lower()
    name = syntax.frontend.split("@")[0].split(":")[0].lower()
    return "frontend gateway" in low or (name in low and ("resolve" in low or "pull" in low or "manifest" in low))


class BuildRun:
    """One build: `run(on_event)` blocks (call it in a thread); `cancel()` from any thread."""

    def __init__(self, source: Any, request: BuildRequest, cwd: str | Path | None = None) -> None:
        self.source = source
        self.request = request
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.parser: Any = BuildStreamParser()
        self._cancel = threading.Event()
        self._stream: Any = None
        self._lock = threading.Lock()
        self.builder = ""
        self.why_classic = ""
        self.notes: list[str] = []

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            if self._stream is not None:
                self._stream.close()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def plan(self) -> str:
        """Choose the builder (asks the engine) and, for BuildKit on an engine without a `bridge`
        network, `--network none`; fills request.builder/network and `notes`. Returns the builder."""
        if self.builder:
            return self.builder
        req = self.request
        if req.builder not in BUILDERS:
            raise ValueError(f"unknown builder {req.builder!r} (one of {', '.join(BUILDERS)})")
        builder = req.builder
        if builder in ("auto", "buildkit"):
            why = self.source.buildkit_support()
            if why and builder == "buildkit":
                raise ValueError(f"the engine cannot build with BuildKit: {why}")
            if why:
                builder, self.why_classic = "classic", f"the engine has no BuildKit: {why}"
                self.notes.append(f"classic builder: {self.why_classic}")
            else:
                builder = "buildkit"
        if builder == "buildkit" and req.network is None and not self.source.has_network("bridge"):
            req.network = "none"
            self.notes.append("the engine has no `bridge` network (dockerd --bridge=none): "
                              "RUN steps run with --network none, without network access")
        req.builder = "classic" if builder == "classic" else req.builder
        self.builder = builder
        return builder

    def run(self, on_event: Callable[[BuildEvent], None]) -> BuildResult:
        """Build, streaming events; raises BuildKitRequired / ValueError / EngineUnreachable
        before anything is sent, else always returns a BuildResult."""
        req = self.request
        if req.tag:
            validate_tag(req.tag)
        check_dockerfile(req.context_dir, req.dockerfile, req.target, cwd=self.cwd)  # before asking the engine
        builder = self.plan()
        full = check_dockerfile(req.context_dir, req.dockerfile, req.target, builder, self.why_classic, self.cwd)
        on_event(BuildEvent("command", sanitize_line(req.command())))
        for note in self.notes:
            on_event(BuildEvent("note", note))
        text = full.read_text(encoding="utf-8", errors="replace")
        start = time.monotonic()
        if builder == "classic":
            if any(_ignorable(f) for f in buildkit_features(text)):
                on_event(BuildEvent("note", SYNTAX_IGNORED))
            result = self._stream_build(on_event, lambda: self.source.build(
                req.context_dir, dockerfile=str(full), target=req.target, buildargs=req.buildargs or None,
                platform=req.platform, labels=req.labels or None, nocache=req.nocache, pull=req.pull))
        else:
            result = self._buildkit(on_event, full, text)
        result.builder = builder
        if not result.ok:
            result.duration = time.monotonic() - start
            return result
        image_id = str(self.parser.image_id)
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

    def _buildkit(self, on_event: Callable[[BuildEvent], None], full: Path, text: str) -> BuildResult:
        from gotui.ops.buildkit import BuildKitStreamParser

        req = self.request
        syntax = syntax_line(text)

        def start(replacement: str | None) -> Any:
            return self.source.build_buildkit(
                req.context_dir, dockerfile=str(full), replacement=replacement, target=req.target,
                buildargs=req.buildargs or None, platform=req.platform, labels=req.labels or None,
                nocache=req.nocache, pull=req.pull, network=req.network)

        if syntax is None:
            self.parser = BuildKitStreamParser()
            return self._stream_build(on_event, lambda: start(None))
        # `# syntax=IMAGE`: the engine pulls IMAGE as the frontend; hold the events back until the
        # first Dockerfile step, so a failed pull can be retried without showing its noise
        held: list[BuildEvent] = []
        parser = self.parser = BuildKitStreamParser()

        def hold(ev: BuildEvent) -> None:
            if not parser.steps and ev.kind != "note":
                held.append(ev)
                return
            for old in held:
                on_event(old)
            held.clear()
            on_event(ev)

        result = self._stream_build(hold, lambda: start(None))
        if result.ok or result.cancelled or parser.steps or not _is_frontend_failure(result.error or "", syntax):
            for old in held:
                on_event(old)
            return result
        if not syntax.official:
            result.error = sanitize_line(f"line {syntax.line} `# syntax={syntax.frontend}` asks the engine for the Dockerfile "
                            f"frontend image {syntax.frontend}, which it could not get ({result.error}). Make that "
                            "image available to the engine (docker load, or a registry it can reach), or remove "
                            "the line to build with the engine's built-in frontend.", max_len=2000)
            on_event(BuildEvent("error", result.error))
            return result
        on_event(BuildEvent("note", sanitize_line(f"line {syntax.line} `# syntax={syntax.frontend}` names a frontend image the "
                                    "engine could not pull; building with the engine's built-in Dockerfile frontend")))
        self.parser = BuildKitStreamParser()
        return self._stream_build(on_event, lambda: start(without_syntax(text, syntax.line)))

    def _stream_build(self, on_event: Callable[[BuildEvent], None], start: Callable[[], Any]) -> BuildResult:
        result = BuildResult(ok=False)
        began = time.monotonic()
        stream = start()
        with self._lock:
            self._stream = stream
        if self._cancel.is_set():
            stream.close()
        parser = self.parser
        try:
            for chunk in stream:
                for event in parser.feed(chunk):
                    on_event(event)
                if self._cancel.is_set():
                    break
            for event in parser.finish():
                on_event(event)
        except Exception as exc:  # noqa: BLE001 - a dropped stream is a failed (or cancelled) build
            if not self._cancel.is_set():
                from gotui.ops.errors import describe_error

                result.error = describe_error(exc, what="build stream")
        finally:
            stream.close()
        result.duration = time.monotonic() - began
        result.steps = list(parser.steps)
        if self._cancel.is_set():
            result.cancelled = True
            return result
        if parser.error or result.error or not parser.image_id:
            result.error = parser.error or result.error or "the engine reported no image"
            result.failed_step = parser.current
            failed_vertex = getattr(parser, "failed_vertex", "")
            if result.failed_step is None and failed_vertex and not result.error.startswith(failed_vertex):
                result.error = f"{failed_vertex}: {result.error}"  # the builder's own work, e.g. a FROM image
            if result.failed_step is not None and result.failed_step.exit_code is None:
                from gotui.ops.buildkit import exit_code_of

                result.failed_step.exit_code = exit_code_of(result.error)
            return result
        result.ok = True
        return result


def format_event(event: BuildEvent) -> str | None:
    """The plain-text line the headless build prints for `event` (None: print nothing)."""
    if event.kind == "step":
        stage = f" [{event.stage}]" if event.stage and event.stage != "stage-0" else ""
        return f"Step {event.step}/{event.total}{stage} : {event.text}"
    if event.kind == "vertex":
        return f"# {event.text}"
    if event.kind == "cached":
        return f"  CACHED {event.text}".rstrip()
    if event.kind == "done":
        what = f" {event.text}" if event.text else ""
        return f"  done{what} in {event.seconds or 0.0:.2f} s"
    if event.kind == "output":
        return f"  | {event.text}"
    if event.kind == "error":
        return f"ERROR: {event.text}"
    if event.kind == "info" and event.text.startswith("tagged"):
        return f"  {event.text}"
    if event.kind == "note":
        return f"note: {event.text}"
    return None  # command: the headless build prints `equivalent: …` itself, before building
