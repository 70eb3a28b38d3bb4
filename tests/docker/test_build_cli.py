"""`gotui build -f` as docker's: relative to the current directory (a Dockerfile outside the context
works), and the equivalent `docker build` line gotui prints runs in the real docker CLI. A failing
RUN exits 1 and names the step's own exit code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.docker_engine import BASE_DOCKERFILE, SESSION, make_context

pytestmark = [pytest.mark.docker, pytest.mark.timeout(180)]


def _gotui_build(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gotui", "build", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=dict(os.environ))


def _equivalent(stdout: str) -> str:
    m = re.search(r"^equivalent: (.*)$", stdout, re.M)
    assert m, stdout
    return m.group(1)


def test_dash_f_is_relative_to_the_current_directory(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    work = tmp_path / "work"
    ctx = make_context(work / "ctx", BASE_DOCKERFILE)
    (ctx / "Dockerfile").unlink()
    (work / "docker").mkdir()
    (work / "docker" / "Dockerfile.dev").write_text(BASE_DOCKERFILE + "RUN echo built-from-dev-file\n")
    tag = f"gotui-test/cli-f:{SESSION}"
    res = _gotui_build(work, "ctx", "-t", tag, "-f", "docker/Dockerfile.dev")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "built-from-dev-file" in res.stdout
    line = _equivalent(res.stdout)
    assert line.startswith(f"docker build -t {tag} -f docker/Dockerfile.dev") and line.endswith(" ctx")

    # the printed line, run by the real docker CLI from the same directory
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker CLI")
    again = line.replace(tag, tag + "-cli")
    cli = subprocess.run(again, shell=True, cwd=work, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "DOCKER_BUILDKIT": "0"})  # this CLI has no buildx: classic builder
    assert cli.returncode == 0, cli.stdout + cli.stderr
    labels = docker_client.api.inspect_image(tag + "-cli")["Config"]["Labels"]
    assert labels["gotui.test.session"] == SESSION

    # a path relative to the context (gotui's old rule) is not found, with a hint
    (ctx / "Dockerfile.ctx").write_text(BASE_DOCKERFILE)
    wrong = _gotui_build(work, "ctx", "-t", tag, "-f", "Dockerfile.ctx")
    assert wrong.returncode == 2 and "did you mean -f ctx/Dockerfile.ctx" in wrong.stderr


def test_failing_run_exits_1_with_the_step_exit_code(docker_client, tmp_path: Path) -> None:  # noqa: ANN001
    ctx = make_context(tmp_path / "ctx", BASE_DOCKERFILE + "RUN echo compiling; exit 2\n")
    res = _gotui_build(tmp_path, "ctx", "-t", f"gotui-test/cli-fail:{SESSION}")
    assert res.returncode == 1
    assert "Build failed at step 3/3 RUN echo compiling; exit 2: exit code 2" in res.stderr, res.stderr
    assert "| compiling" in res.stderr
    assert ctx.is_dir()
