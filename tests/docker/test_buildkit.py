"""BuildKit builds through the Docker API on the real engine: a `RUN --mount=type=cache` Dockerfile
(refused before BuildKit support), its cache kept between builds, the progress stream (steps, CACHED,
per-step times, logs), a failing step's own exit code, `# syntax=` frontends that cannot be pulled,
and the classic builder as the fallback. Plus the trace decoder on a payload recorded from this engine."""

from __future__ import annotations

import base64
import time
import uuid
from pathlib import Path

import pytest

from fixtures.docker_engine import BASE_DOCKERFILE, SESSION, TEST_LABEL, make_context
from gotui.ops.build import BuildKitRequired, BuildRequest, BuildRun, format_event
from gotui.ops.buildkit import BuildKitStreamParser, decode_trace, exit_code_of
from gotui.sources.docker_source import DockerSource

# A StatusResponse recorded from docker.io 20.10.24: one step vertex completed, plus its log line.
RECORDED_VERTEX = base64.b64encode(
    b"\n\x9d\x02\nGsha256:4ceb604dcb0c6797795bd28d2d33b01bf53f06f8d34de019ebec6ab25b8cb0a0"
    b"\x12Gsha256:d3ef61ee948ee1e9bc5ec01a8dcf4ac30d8fc72d2c539f8d8b7a0cbcdcff53d0"
    b"\x1an[stage-0 3/3] RUN --mount=type=cache,target=/cache sh -c 'ls /cache; date > /cache/stamp; echo hello; sleep 1'"
    b"*\x0c\x08\xde\xaf\xba\xd8\x06\x10\xd9\xb9\xf4\xcc\x032\x0b\x08\xe0\xaf\xba\xd8\x06\x10\xb2\xb9\x86\x12"
).decode()
RECORDED_LOG = base64.b64encode(
    b'\x1a`\nGsha256:4ceb604dcb0c6797795bd28d2d33b01bf53f06f8d34de019ebec6ab25b8cb0a0'
    b'\x12\x0b\x08\xdf\xaf\xba\xd8\x06\x10\xd8\xaf\xeb\r\x18\x01"\x06hello\n'
).decode()


def test_trace_decoder_reads_vertexes_times_and_logs() -> None:
    status = decode_trace(RECORDED_VERTEX)
    (v,) = status.vertexes
    assert v.name.startswith("[stage-0 3/3] RUN --mount=type=cache") and not v.cached and not v.error
    assert v.started is not None and v.completed is not None and 1.0 < v.completed - v.started < 1.5
    (log,) = decode_trace(RECORDED_LOG).logs
    assert log.vertex == v.digest and log.stream == 1 and log.data == b"hello\n"
    parser = BuildKitStreamParser()
    events = parser.feed({"id": "moby.buildkit.trace", "aux": RECORDED_LOG})
    events += parser.feed({"id": "moby.buildkit.trace", "aux": RECORDED_VERTEX})
    kinds = [(e.kind, e.step, e.total) for e in events]
    assert ("step", 3, 3) in kinds and ("done", 3, 3) in kinds
    assert parser.steps[0].instruction.startswith("RUN --mount") and parser.steps[0].duration > 1.0
    assert exit_code_of("executor failed running [/bin/sh -c exit 3]: exit code: 3") == 3
    assert exit_code_of("The command '/bin/sh -c exit 7' returned a non-zero code: 7") == 7



CACHE_MOUNT = BASE_DOCKERFILE + """\
ARG TOKEN=0
RUN --mount=type=cache,target=/cache,id=gotui-{session}-{nonce} \\
    if [ -f /cache/warm ]; then echo cache-mount-hit; else echo cache-mount-cold; sleep 3; touch /cache/warm; fi; \\
    echo token $TOKEN
"""


def _build(ctx: Path, **kw):  # noqa: ANN003, ANN202
    events = []
    run = BuildRun(DockerSource(), BuildRequest(str(ctx), labels=TEST_LABEL, **kw))
    result = run.run(events.append)
    return result, events, run


@pytest.mark.docker
@pytest.mark.timeout(180)
def test_cache_mount_dockerfile_builds_twice_second_faster(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    """The Go-style `RUN --mount=type=cache` Dockerfile builds with BuildKit (the old code refused it
    with BuildKitRequired); the second build, with another TOKEN so the RUN step runs again, finds the
    cache mount warm, takes the earlier steps from the layer cache (CACHED in the stream) and is faster."""
    nonce = uuid.uuid4().hex[:8]
    ctx = make_context(tmp_path / "ctx", CACHE_MOUNT.format(session=SESSION, nonce=nonce))
    tag = f"gotui-test/bk-cache:{nonce}"
    first, events1, run1 = _build(ctx, tag=tag, buildargs={"TOKEN": "one"})
    assert first.ok, first.summary()
    assert first.builder == "buildkit" and run1.request.network == "none"  # the test engine has no bridge
    outputs1 = [e.text for e in events1 if e.kind == "output"]
    assert "cache-mount-cold" in outputs1 and "token one" in outputs1
    run_step = next(s for s in first.steps if s.instruction.startswith("RUN --mount"))
    assert run_step.duration >= 3.0 and not run_step.cached
    assert any(e.kind == "done" and e.step == run_step.number and (e.seconds or 0) >= 3.0 for e in events1)

    second, events2, _ = _build(ctx, tag=tag, buildargs={"TOKEN": "two"})
    assert second.ok, second.summary()
    outputs2 = [e.text for e in events2 if e.kind == "output"]
    assert "cache-mount-hit" in outputs2 and "token two" in outputs2
    cached = [e for e in events2 if e.kind == "cached" and e.step]
    assert {e.text for e in events2 if e.kind == "step" and any(c.step == e.step for c in cached)} >= \
        {"COPY busybox /bin/busybox"}
    assert "  CACHED" in [format_event(e) for e in cached]
    assert second.duration < first.duration - 2.0, (first.duration, second.duration)
    print(f"\nBuildKit cache-mount build: first {first.duration:.2f} s, second {second.duration:.2f} s")
    info = docker_client.api.inspect_image(tag)
    assert info["Id"] == second.image_id and info["Config"]["Labels"]["gotui.test.session"] == SESSION


@pytest.mark.docker
@pytest.mark.timeout(120)
def test_failing_run_step_reports_its_own_exit_code(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE + "RUN echo about to fail; echo oops >&2; exit 3\nLABEL x=y\n")
    result, events, _ = _build(ctx, tag=f"gotui-test/bk-fail:{SESSION}")
    assert not result.ok and result.builder == "buildkit"
    step = result.failed_step
    assert step is not None and step.instruction.startswith("RUN echo about to fail") and step.exit_code == 3
    assert result.summary() == f"Build failed at step {step.number}/{step.total} RUN echo about to fail; echo oops >&2; exit 3: exit code 3"
    assert "about to fail" in step.output and "oops" in step.output
    with pytest.raises(Exception):  # noqa: B017 - nothing was tagged
        docker_client.api.inspect_image(f"gotui-test/bk-fail:{SESSION}")


@pytest.mark.docker
@pytest.mark.timeout(120)
def test_syntax_line_frontends_that_cannot_be_pulled(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    """No registry here: the official frontend falls back to the engine's built-in one (with a note
    naming the line); any other frontend fails with a message naming the line and the image."""
    body = BASE_DOCKERFILE + f"RUN --mount=type=cache,target=/c,id=gotui-syntax echo mounted {uuid.uuid4().hex}\n"
    ctx = make_context(tmp_path / "off", "# syntax=docker/dockerfile:1\n" + body)
    ok, events, _ = _build(ctx, tag=f"gotui-test/bk-syntax:{SESSION}")
    assert ok.ok, ok.summary()
    notes = [e.text for e in events if e.kind == "note"]
    assert any("line 1 `# syntax=docker/dockerfile:1`" in n and "built-in" in n for n in notes)
    assert any(e.text.startswith("mounted ") for e in events if e.kind == "output")
    ctx2 = make_context(tmp_path / "custom", "# syntax=frontends.invalid/acme/dockerfile:7\n" + body)
    bad, _, _ = _build(ctx2, tag=f"gotui-test/bk-syntax2:{SESSION}")
    assert not bad.ok and "line 1 `# syntax=frontends.invalid/acme/dockerfile:7`" in (bad.error or "")
    assert "frontend image frontends.invalid/acme/dockerfile:7" in (bad.error or "")


class NoBuildKitEngine(DockerSource):
    """The real engine, answering the capability question as an engine without BuildKit would
    (API < 1.39): everything else goes to the engine."""

    def buildkit_support(self) -> str | None:
        return "API 1.38 is older than 1.39 (Docker 18.09)"


@pytest.mark.docker
@pytest.mark.timeout(120)
def test_classic_builder_is_the_fallback(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    plain = make_context(tmp_path / "plain", BASE_DOCKERFILE + "RUN echo classic-ran\n")
    events: list = []
    run = BuildRun(NoBuildKitEngine(), BuildRequest(str(plain), tag=f"gotui-test/classic:{SESSION}", labels=TEST_LABEL))
    result = run.run(events.append)
    assert result.ok and result.builder == "classic" and run.request.command().startswith("DOCKER_BUILDKIT=0 docker build")
    assert any(e.kind == "note" and "no BuildKit" in e.text for e in events)
    assert "classic-ran" in [e.text for e in events if e.kind == "output"]
    mount = make_context(tmp_path / "mount", BASE_DOCKERFILE + "RUN --mount=type=cache,target=/c true\n")
    with pytest.raises(BuildKitRequired) as err:
        BuildRun(NoBuildKitEngine(), BuildRequest(str(mount), tag="gotui-test/classic:no")).run(lambda e: None)
    assert "line 6 uses RUN --mount" in str(err.value) and "the engine has no BuildKit" in str(err.value)
    # and asked for explicitly
    with pytest.raises(BuildKitRequired):
        BuildRun(DockerSource(), BuildRequest(str(mount), builder="classic")).run(lambda e: None)
    start = time.monotonic()
    forced = BuildRun(DockerSource(), BuildRequest(str(plain), builder="classic", labels=TEST_LABEL)).run(lambda e: None)
    assert forced.ok and forced.builder == "classic" and time.monotonic() - start < 60


@pytest.mark.docker
@pytest.mark.timeout(180)
def test_cancel_stops_the_buildkit_step(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    """BuildKit RUN steps are not containers: after a cancel, no process of the step is left."""
    import subprocess
    import threading

    duration = f"{40 + uuid.uuid4().int % 1000 / 1000:.3f}"
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE + f"RUN echo sleeping; sleep {duration}\n")
    run = BuildRun(DockerSource(), BuildRequest(str(ctx), tag=f"gotui-test/bk-cancel:{SESSION}", labels=TEST_LABEL))

    def on_event(ev) -> None:  # noqa: ANN001
        if ev.kind == "output" and ev.text == "sleeping":
            threading.Timer(0.3, run.cancel).start()

    start = time.monotonic()
    result = run.run(on_event)
    assert result.cancelled and time.monotonic() - start < 30
    deadline = time.time() + 15
    left = "?"
    while time.time() < deadline:
        left = subprocess.run(["pgrep", "-f", f"sleep {duration}"], capture_output=True, text=True).stdout
        if not left:
            break
        time.sleep(0.2)
    assert not left, "the engine stopped the cancelled step"
    with pytest.raises(Exception):  # noqa: B017 - nothing was tagged
        docker_client.api.inspect_image(f"gotui-test/bk-cancel:{SESSION}")


@pytest.mark.docker
@pytest.mark.timeout(180)
async def test_build_screen_streams_buildkit_progress(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    """The TUI's build screen at 80x24: the equivalent command, the RUN --mount step's output and
    time, then on the second build (ctrl+b again) CACHED steps and the warm cache mount."""
    from fixtures.images_pilot import make_app, wait_for
    from gotui.ui.docker_screens import BuildScreen

    nonce = uuid.uuid4().hex[:8]
    ctx = make_context(tmp_path / "ctx", CACHE_MOUNT.format(session=SESSION, nonce=nonce) + f"LABEL gotui.test.session={SESSION}\n")
    app, pane = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: pane.refreshes > 0, "first list")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BuildScreen), "build screen")
        screen = app.screen
        screen.query_one("#build-context").value = str(ctx)
        screen.query_one("#build-tag").value = f"gotui-test/bk-tui:{nonce}"
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: screen.result is not None and not screen.running, "first build", 90)
        log = "\n".join(screen.query_one("#build-log").lines())
        assert screen.result.ok, screen.progress
        assert f"$ docker build -t gotui-test/bk-tui:{nonce} --network none {ctx}" in log
        assert "cache-mount-cold" in log and any(line.startswith("  done step 3/3 in ") for line in log.splitlines()), log
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: "cache-mount-hit" in "\n".join(screen.query_one("#build-log").lines())
                       and not screen.running, "second build", 90)
        log = "\n".join(screen.query_one("#build-log").lines())
        assert "  CACHED" in log.splitlines() and "Built " in screen.progress
