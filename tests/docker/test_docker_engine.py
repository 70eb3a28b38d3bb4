"""Against the real engine: lists, events, logs follow, stats, builds (progress, cache, size,
failing step, cancellation, BuildKit-only Dockerfile, multi-stage target) and `gotui build` exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from fixtures.docker_engine import BASE_DOCKERFILE, TEST_LABEL, make_context
from gotui.ops.build import BuildKitRequired, BuildRequest, BuildRun
from gotui.ops.image_analysis import cpu_percent, memory_usage
from gotui.sources.docker_source import DockerSource, EngineUnreachable, EventWatcher

pytestmark = [pytest.mark.docker, pytest.mark.timeout(120)]

MULTI = BASE_DOCKERFILE.replace("FROM scratch", "FROM scratch AS base") + """\
FROM base AS test
RUN echo step-output-one && echo step-output-two
ARG CODE=0
RUN echo about to exit $CODE; exit $CODE
FROM base AS final
RUN echo final stage
LABEL gotui.test=1
"""


def _image_exists(client, ref: str) -> bool:  # noqa: ANN001
    try:
        client.api.inspect_image(ref)
        return True
    except Exception:  # noqa: BLE001
        return False


def test_lists_use_the_low_level_api(docker_client, busybox_image, run_container) -> None:  # noqa: ANN001
    cid = run_container("exit 0")
    source = DockerSource()
    images = source.list_images()
    assert any(busybox_image in (i.get("RepoTags") or []) for i in images)
    assert any(c["Id"] == cid for c in source.list_containers())
    history = source.history(busybox_image)
    assert any("busybox" in h["CreatedBy"] for h in history)


def test_unreachable_engine_message(tmp_path: Path) -> None:
    source = DockerSource(f"unix://{tmp_path}/none.sock")
    with pytest.raises(EngineUnreachable) as err:
        source.list_images()
    assert str(err.value) == f"Docker engine not reachable at unix://{tmp_path}/none.sock — is it running? Set DOCKER_HOST."


def test_event_watcher_reports_container_changes(docker_client, run_container) -> None:  # noqa: ANN001
    changes: list[set[str]] = []
    states: list[str] = []
    watcher = EventWatcher(DockerSource(), changes.append, lambda s, d: states.append(s), coalesce=0.1)
    watcher.start()
    try:
        deadline = time.time() + 10
        while "connected" not in states and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        changes.clear()
        run_container("exit 0")
        while not any("container" in c for c in changes) and time.time() < deadline:
            time.sleep(0.05)
        assert any("container" in c for c in changes)
        assert len(changes) <= 3, "a burst of events is coalesced into a few notifications"
    finally:
        watcher.stop()


def test_logs_follow_and_stats(docker_client, run_container) -> None:  # noqa: ANN001
    cid = run_container("i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done")
    source = DockerSource()
    stream = source.logs(cid, tail=0, timestamps=False, follow=True)
    seen: list[str] = []
    closer = threading.Timer(3.0, stream.close)
    closer.start()
    buf = b""
    for chunk in stream:
        buf += chunk
        if buf.count(b"\n") >= 10:
            break
    stream.close()
    closer.cancel()
    seen = buf.decode().splitlines()
    assert seen[:3] == ["line 1", "line 2", "line 3"] or seen[0].startswith("line ")
    stats = source.stats(cid)
    samples = []
    for sample in stats:
        samples.append(sample)
        if len(samples) == 2:
            break
    stats.close()
    used, limit, _pct = memory_usage(samples[-1])
    assert used > 0 and limit > 0
    assert cpu_percent(samples[-1]) >= 0.0
    assert samples[-1]["precpu_stats"].get("system_cpu_usage")


def _build(tmp_path: Path, dockerfile: str, **kw):  # noqa: ANN003, ANN202
    ctx = make_context(tmp_path / "ctx", dockerfile)
    events = []
    run = BuildRun(DockerSource(), BuildRequest(str(ctx), labels=TEST_LABEL, **kw))
    result = run.run(events.append)
    return result, events


def test_build_streams_steps_and_reports_size(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    tag = "gotui-test/build:ok"
    # a token of this test's own in a RUN step: the first build runs it (output streamed), the second
    # build of the same Dockerfile takes every step from the cache
    dockerfile = MULTI.replace("echo step-output-one", f"echo step-output-one {uuid.uuid4().hex}")
    result, events = _build(tmp_path, dockerfile, tag=tag, target="test", builder="classic")
    assert result.ok, result.summary()
    steps = [(e.step, e.total, e.text) for e in events if e.kind == "step"]
    assert steps[0][:2] == (1, steps[0][1]) and steps[0][2] == "FROM scratch AS base"
    assert [s[0] for s in steps] == list(range(1, len(steps) + 1))
    assert any(e.kind == "output" and e.text == "step-output-two" for e in events)
    info = docker_client.api.inspect_image(tag)
    assert result.size == info["Size"] > 1_900_000 and result.image_id == info["Id"]
    assert "tagged gotui-test/build:ok" in result.summary()
    # second build: same steps come from the cache
    again, events2 = _build(tmp_path / "2", dockerfile, tag=tag, target="test", builder="classic")
    assert again.ok and any(e.kind == "cached" for e in events2)
    assert sum(1 for s in again.steps if s.cached) >= 3, [(s.instruction, s.cached) for s in again.steps]


def test_failing_step_is_named_and_leaves_no_tag(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    tag = "gotui-test/build:fail"
    result, events = _build(tmp_path, MULTI, tag=tag, target="test", buildargs={"CODE": "7"}, builder="classic")
    assert not result.ok and not result.cancelled
    assert result.failed_step is not None and result.failed_step.instruction.startswith("RUN echo about to exit")
    assert "returned a non-zero code: 7" in (result.error or "")
    assert "about to exit 7" in result.failed_step.output
    assert f"at step {result.failed_step.number}/" in result.summary() and result.summary().endswith(": exit code 7")
    assert not _image_exists(docker_client, tag)


def test_cancelled_build_leaves_no_tag_and_stops(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    tag = "gotui-test/build:cancel"
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE + "RUN echo sleeping; sleep 30\nLABEL x=y\n")
    run = BuildRun(DockerSource(), BuildRequest(str(ctx), tag=tag, labels=TEST_LABEL))
    seen = []

    def on_event(ev) -> None:  # noqa: ANN001
        seen.append(ev)
        if ev.kind == "output" and ev.text == "sleeping":
            threading.Timer(0.3, run.cancel).start()

    start = time.monotonic()
    result = run.run(on_event)
    assert result.cancelled and not result.ok
    assert time.monotonic() - start < 20
    assert "cancelled" in result.summary()
    assert not _image_exists(docker_client, tag)
    deadline = time.time() + 15
    while time.time() < deadline:
        running = [c for c in docker_client.api.containers() if "sleep 30" in str(c.get("Command"))]
        if not running:
            break
        time.sleep(0.5)
    assert not running, "the engine stopped the cancelled build's step"


def test_buildkit_only_dockerfile_is_refused_by_the_classic_builder(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE + "RUN --mount=type=cache,target=/c echo hi\n")
    with pytest.raises(BuildKitRequired) as err:
        BuildRun(DockerSource(), BuildRequest(str(ctx), tag="gotui-test/bk:1", builder="classic")).run(lambda e: None)
    assert "needs BuildKit" in str(err.value) and "line 6" in str(err.value) and "docker buildx build" in str(err.value)


def _gotui_build(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gotui", "build", *args], capture_output=True, text=True,
                          timeout=90, env={**os.environ, **(env or {})})


def test_headless_build_exit_codes(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_context(tmp_path / "ctx", MULTI)
    ok = _gotui_build(str(ctx), "-t", "gotui-test/headless:ok", "--target", "final")
    assert ok.returncode == 0, ok.stderr
    assert "Step 1/" in ok.stdout and "final stage" in ok.stdout and "Built " in ok.stdout and "MB" in ok.stdout
    assert _image_exists(docker_client, "gotui-test/headless:ok")

    bad = _gotui_build(str(ctx), "-t", "gotui-test/headless:bad", "--target", "test", "--build-arg", "CODE=3")
    assert bad.returncode == 1
    assert "Build failed at step" in bad.stderr and "RUN echo about to exit" in bad.stderr
    assert ": exit code 3" in bad.stderr and not _image_exists(docker_client, "gotui-test/headless:bad")

    bk = make_context(tmp_path / "bk", "# syntax=docker/dockerfile:1\n" + BASE_DOCKERFILE
                      + "RUN --mount=type=cache,target=/root/.cache true\n")
    res = _gotui_build(str(bk), "-t", "gotui-test/headless:bk", "--builder", "classic")
    assert res.returncode == 1 and "needs BuildKit" in res.stderr and "RUN --mount" in res.stderr
    assert not _image_exists(docker_client, "gotui-test/headless:bk")
    res = _gotui_build(str(bk), "-t", "gotui-test/headless:bk")  # BuildKit, the default, builds it
    assert res.returncode == 0 and "with BuildKit" in res.stdout, res.stderr
    assert _image_exists(docker_client, "gotui-test/headless:bk")

    assert _gotui_build(str(ctx), "-t", "x", "--build-arg", "NOPE").returncode == 2
    assert _gotui_build(str(tmp_path / "missing"), "-t", "x").returncode == 2
    down = _gotui_build(str(ctx), "-t", "x", env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert down.returncode == 2 and "not reachable" in down.stderr


def test_headless_build_syntax_line_alone_builds(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    """`# syntax=docker/dockerfile:1` (which `docker init` writes) is a comment to the classic
    builder: the build runs, with a note, instead of being refused as BuildKit-only."""
    ctx = make_context(tmp_path / "syn", "# syntax=docker/dockerfile:1\n" + BASE_DOCKERFILE)
    res = _gotui_build(str(ctx), "-t", "gotui-test/headless:syntax", "--builder", "classic")
    assert res.returncode == 0, res.stderr
    assert "note: the `# syntax=` line is ignored" in res.stdout and "needs BuildKit" not in res.stderr
    assert _image_exists(docker_client, "gotui-test/headless:syntax")


def test_headless_build_bad_arguments_exit_2_before_building(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    """An invalid tag or an unknown target stage is a usage error (2), found before the engine
    builds anything (no step output, so no untagged image left behind)."""
    ctx = make_context(tmp_path / "ctx", MULTI)
    bad_tag = _gotui_build(str(ctx), "-t", "Gotui-Test/Upper Case:1")
    assert bad_tag.returncode == 2 and "invalid tag" in bad_tag.stderr and "Step 1/" not in bad_tag.stdout
    no_stage = _gotui_build(str(ctx), "-t", "gotui-test/headless:nostage", "--target", "nope")
    assert no_stage.returncode == 2 and "target stage 'nope' is not in Dockerfile" in no_stage.stderr
    assert "final" in no_stage.stderr and "Step 1/" not in no_stage.stdout


def test_headless_build_no_cache_and_pull(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    """`--no-cache` runs every step again (its output shows) where a plain rebuild takes them from the
    cache; `--pull` is accepted with it (a `FROM scratch` build has nothing to pull, so no registry is needed)."""
    token = uuid.uuid4().hex
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE + f"RUN echo ran-{token}\n")
    tag = "gotui-test/headless:nocache"
    first = _gotui_build(str(ctx), "-t", tag)
    assert first.returncode == 0, first.stderr
    assert f"ran-{token}" in first.stdout.replace(f"echo ran-{token}", "")
    cached = _gotui_build(str(ctx), "-t", tag)
    assert cached.returncode == 0 and f"ran-{token}" not in cached.stdout.replace(f"echo ran-{token}", "")
    # another tag: re-tagging `tag` would leave its old image dangling for the tests that count those
    fresh = _gotui_build(str(ctx), "-t", tag + "-fresh", "--no-cache", "--pull")
    assert fresh.returncode == 0, fresh.stderr
    assert f"ran-{token}" in fresh.stdout.replace(f"echo ran-{token}", ""), fresh.stdout
    assert _image_exists(docker_client, tag + "-fresh") and _image_exists(docker_client, tag)
    assert docker_client.api.inspect_image(tag)["Id"] != docker_client.api.inspect_image(tag + "-fresh")["Id"]
