"""Pure Docker maths and parsing: CPU % (docker CLI formula), memory without cache, env masking,
layer analysis, BuildKit detection, build stream parsing. Samples are recorded engine payloads."""

from __future__ import annotations

import pytest

from gotui.ops import image_analysis as ia
from gotui.ops.build import BuildStreamParser, buildkit_features, parse_build_args, split_tag
from gotui.ops.docker_ops import container_rows, human_size, image_rows, prune_plan
from gotui.sources.docker_source import context_host, resolve_host

# Recorded from `GET /containers/{id}/stats` (cgroup v2, 2 CPUs), trimmed to the fields used.
SAMPLE_V2 = {
    "cpu_stats": {"cpu_usage": {"total_usage": 4_350_000_000}, "system_cpu_usage": 190_000_000_000, "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 4_100_000_000}, "system_cpu_usage": 188_000_000_000},
    "memory_stats": {"usage": 12_000_000, "limit": 1_000_000_000, "stats": {"inactive_file": 2_000_000}},
}
# cgroup v1 shape: percpu_usage instead of online_cpus, total_inactive_file.
SAMPLE_V1 = {
    "cpu_stats": {"cpu_usage": {"total_usage": 2_000_000_000, "percpu_usage": [1, 1, 1, 1]}, "system_cpu_usage": 20_000_000_000},
    "precpu_stats": {"cpu_usage": {"total_usage": 1_000_000_000}, "system_cpu_usage": 10_000_000_000},
    "memory_stats": {"usage": 50_000_000, "limit": 100_000_000, "stats": {"total_inactive_file": 10_000_000, "inactive_file": 1}},
}


def test_cpu_percent_matches_docker_cli_formula() -> None:
    # (250e6 / 2e9) * 2 CPUs * 100 = 25 %
    assert ia.cpu_percent(SAMPLE_V2) == pytest.approx(25.0)
    # (1e9 / 10e9) * 4 (len percpu_usage) * 100 = 40 %
    assert ia.cpu_percent(SAMPLE_V1) == pytest.approx(40.0)


def test_cpu_percent_is_zero_without_a_previous_sample() -> None:
    first = {"cpu_stats": SAMPLE_V2["cpu_stats"], "precpu_stats": {"cpu_usage": {"total_usage": 0}}}
    # precpu system usage missing -> system delta is the whole counter, cpu delta positive: CLI computes it
    assert ia.cpu_percent(first) > 0
    idle = {"cpu_stats": SAMPLE_V2["cpu_stats"], "precpu_stats": SAMPLE_V2["cpu_stats"]}
    assert ia.cpu_percent(idle) == 0.0


def test_memory_excludes_page_cache() -> None:
    used, limit, pct = ia.memory_usage(SAMPLE_V2)
    assert (used, limit) == (10_000_000, 1_000_000_000)
    assert pct == pytest.approx(1.0)
    used, _, pct = ia.memory_usage(SAMPLE_V1)
    assert used == 40_000_000 and pct == pytest.approx(40.0)


def test_env_masking_and_reveal() -> None:
    env = ["DB_PASSWORD=hunter2", "GITHUB_TOKEN=ghp_x", "AWS_SECRET_ACCESS_KEY=abc", "PATH=/bin", "MODE=prod",
           "SERVICE_CREDENTIALS=c", "EMPTY="]
    shown = {name: (value, masked) for name, value, masked in ia.mask_env(env)}
    assert shown["DB_PASSWORD"] == (ia.MASK, True)
    assert shown["GITHUB_TOKEN"][1] and shown["AWS_SECRET_ACCESS_KEY"][1] and shown["SERVICE_CREDENTIALS"][1]
    assert shown["PATH"] == ("/bin", False) and shown["MODE"] == ("prod", False)
    revealed = {n: v for n, v, _ in ia.mask_env(env, {"DB_PASSWORD"})}
    assert revealed["DB_PASSWORD"] == "hunter2" and revealed["GITHUB_TOKEN"] == ia.MASK
    assert "hunter2" not in repr(ia.mask_env(env))


def test_history_flags_heavy_layers_and_go_toolchain() -> None:
    history = [
        {"Created": 3, "CreatedBy": '/bin/sh -c #(nop)  CMD ["/app"]', "Size": 0},
        {"Created": 2, "CreatedBy": "/bin/sh -c go build -o /app ./cmd/api", "Size": 25_000_000},
        {"Created": 1, "CreatedBy": "/bin/sh -c #(nop) ENV GOLANG_VERSION=1.22.3", "Size": 0},
        {"Created": 1, "CreatedBy": "/bin/sh -c set -eux; url=https://dl.google.com/go/go1.22.3.tar.gz; tar -C /usr/local -xzf go.tgz", "Size": 230_000_000},
        {"Created": 0, "CreatedBy": "/bin/sh -c #(nop) ADD file:abc in / ", "Size": 80_000_000},
    ]
    a = ia.analyze_history(history, 335_000_000, ["GOLANG_VERSION=1.22.3"])
    assert a.toolchain
    assert [layer.instruction for layer in a.layers][0] == 'CMD ["/app"]'
    assert a.layers[1].instruction.startswith("RUN go build")
    heavy = {layer.size for layer in a.heavy}
    assert 230_000_000 in heavy and 80_000_000 in heavy and 0 not in heavy
    text = " ".join(a.advice)
    assert "toolchain" in text and "FROM golang" in text and "335MB" in text


def test_small_static_image_gets_no_advice() -> None:
    a = ia.analyze_history([{"Created": 1, "CreatedBy": "COPY file:x in /app", "Size": 8_000_000}], 8_000_000)
    assert not a.toolchain and a.advice == []


def test_buildkit_detection() -> None:
    text = "# syntax=docker/dockerfile:1.6\nFROM scratch\nRUN --mount=type=cache,target=/root/.cache go build\nCOPY --link a b\n"
    found = buildkit_features(text)
    assert [(f.line, f.feature) for f in found] == [
        (1, "# syntax=docker/dockerfile:1.6 frontend"), (3, "RUN --mount"), (4, "COPY --link")]
    assert buildkit_features("FROM scratch\n# RUN --mount=x\nRUN echo --mount\nCOPY a b\n") == []


def test_build_stream_parser_steps_cache_output_error() -> None:
    p = BuildStreamParser()
    events = []
    for chunk in [
        {"stream": "Step 1/3 : FROM scratch"}, {"stream": "\n"}, {"stream": " ---> \n"},
        {"stream": "Step 2/3 : COPY busybox /bin/busybox\n ---> Using cache\n ---> 1234\n"},
        {"stream": "Step 3/3 : RUN exit 4\n ---> Running in abc\n"}, {"stream": "out \x1b[31mred\x1b[0m\n"},
        {"errorDetail": {"message": "The command '/bin/sh -c exit 4' returned a non-zero code: 4", "code": 4},
         "error": "x"},
    ]:
        events += p.feed(chunk)
    kinds = [(e.kind, e.step) for e in events]
    assert ("step", 1) in kinds and ("cached", 2) in kinds and ("output", 3) in kinds and ("error", 3) in kinds
    assert [e.text for e in events if e.kind == "output"] == ["out red"]
    assert p.steps[1].cached and not p.steps[2].cached and p.current.number == 3


def test_build_args_and_tags() -> None:
    assert parse_build_args(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(ValueError):
        parse_build_args(["NOEQUALS"])
    assert split_tag("repo/x:1") == ("repo/x", "1")
    assert split_tag("localhost:5000/x") == ("localhost:5000/x", "latest")


def test_rows_and_prune_plan() -> None:
    images = [{"Id": "sha256:aaa", "RepoTags": ["a:1", "a:2"], "Size": 10, "Created": 5},
              {"Id": "sha256:bbb", "RepoTags": None, "Size": 2_000_000, "Created": 4},
              {"Id": "sha256:ccc", "RepoTags": ["<none>:<none>"], "Size": 3_000_000, "Created": 3}]
    containers = [{"Id": "c1", "Names": ["/web"], "ImageID": "sha256:ccc", "Image": "ccc", "State": "exited",
                   "Status": "Exited (137) 2 minutes ago", "Created": 1}]
    rows = image_rows(images, containers)
    assert [r.ref for r in rows] == ["a:1", "a:2", "<none>:<none>", "<none>:<none>"]
    assert rows[3].containers == 1 and rows[2].dangling
    assert container_rows(containers)[0].exit_code == 137
    assert prune_plan([images[1], images[2]], containers) == (1, 2_000_000)
    assert human_size(1_982_256) == "1.98MB" and human_size(532) == "532B"


def test_host_resolution_honours_docker_context(tmp_path) -> None:  # noqa: ANN001
    import hashlib
    import json

    cfg = tmp_path / "dockercfg"
    meta = cfg / "contexts" / "meta" / hashlib.sha256(b"remote").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(json.dumps({"Name": "remote", "Endpoints": {"docker": {"Host": "ssh://me@box"}}}))
    (cfg / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    env = {"DOCKER_CONFIG": str(cfg)}
    assert context_host(env) == ("ssh://me@box", "remote")
    assert resolve_host(None, env) == ("ssh://me@box", "context remote")
    assert resolve_host(None, {**env, "DOCKER_HOST": "tcp://1.2.3.4:2375"})[0] == "tcp://1.2.3.4:2375"
    assert resolve_host("unix:///x.sock", env) == ("unix:///x.sock", "flag/config")
    assert resolve_host(None, {"DOCKER_CONFIG": str(tmp_path / "none")})[1] == "default"
    assert resolve_host(None, {**env, "DOCKER_CONTEXT": "default"})[1] == "default"


def test_history_masks_secret_values_like_the_env_table() -> None:
    from gotui.ops.image_analysis import instruction

    assert instruction("/bin/sh -c #(nop)  ENV DB_PASSWORD=hunter2 LOG_LEVEL=debug") == \
        "ENV DB_PASSWORD=•••••••• LOG_LEVEL=debug"
    assert instruction("RUN |1 NPM_TOKEN=abc /bin/sh -c npm ci # buildkit") == \
        "RUN |1 NPM_TOKEN=•••••••• /bin/sh -c npm ci # buildkit"
    assert instruction("/bin/sh -c mysql --password=s3cret -u root") == "RUN mysql --password=•••••••• -u root"
    assert instruction("/bin/sh -c #(nop)  LABEL gotui.test=1") == "LABEL gotui.test=1"


def test_golang_base_label_counts_as_a_toolchain() -> None:
    layers = [{"Created": 1, "CreatedBy": "COPY file:x in /app", "Size": 8_000_000}]
    a = ia.analyze_history(layers, 8_000_000, [], {"org.opencontainers.image.base.name": "docker.io/library/golang:1.22"})
    assert a.toolchain and a.advice
    b = ia.analyze_history(layers, 8_000_000, [], {"org.opencontainers.image.base.name": "gcr.io/distroless/static"})
    assert not b.toolchain and b.advice == []


def test_exit_code_meanings() -> None:
    from gotui.ops.docker_ops import exit_meaning

    assert "out of memory" in exit_meaning(137, oom_killed=True)
    assert "SIGKILL" in exit_meaning(137) and "SIGTERM" in exit_meaning(143)
    assert exit_meaning(127) == "command not found" and exit_meaning(0) == "success"
    assert exit_meaning(None) == ""


def test_removal_summary_tells_untag_from_delete() -> None:
    from gotui.ops.docker_ops import removal_summary

    assert removal_summary("a:1", [{"Untagged": "a:1"}]).startswith("untagged a:1; the image itself stays")
    assert removal_summary("a:1", [{"Untagged": "a:1"}, {"Deleted": "sha256:1"}, {"Deleted": "sha256:2"}]) == \
        "removed a:1: the image is deleted (2 id(s) with its parent layers)"


def test_container_cells_put_state_first_and_shorten_a_bare_image_id() -> None:
    rows = container_rows([{"Id": "c1", "Names": ["/api"], "Image": "sha256:" + "ab" * 32, "State": "exited",
                            "Status": "Exited (3) 1 minute ago", "Created": 1}])
    name, state, code, _age, image, _ports = rows[0].cells(now=100)
    assert (name, state, code, image) == ("api", "exited", "3", "ab" * 6)


def test_tag_and_target_validation() -> None:
    from gotui.ops.build import stage_names, validate_tag

    for good in ("api:1", "localhost:5000/team/api:v1.2_3", "ghcr.io/org/app"):
        assert validate_tag(good) == good
    for bad in ("Bad Tag", "Api:1", "api:", "a/b:c/d", "ghcr.io/Org/app:1"):
        with pytest.raises(ValueError):
            validate_tag(bad)
    assert stage_names("FROM scratch AS Build\nFROM --platform=$BUILDPLATFORM golang:1.22 as deps\nFROM build\n") == \
        ["build", "deps"]


def test_build_request_equivalent_command() -> None:
    from gotui.ops.build import BuildRequest

    req = BuildRequest("ctx dir", tag="go-api:dev", dockerfile="build/Dockerfile", target="final",
                       buildargs={"GO": "1.22", "MSG": "a b"}, platform="linux/amd64", nocache=True, pull=True)
    assert req.command() == ("docker build -t go-api:dev -f build/Dockerfile --target final --build-arg GO=1.22 "
                             "--build-arg 'MSG=a b' --platform linux/amd64 --no-cache --pull 'ctx dir'")
    assert BuildRequest(".").command() == "docker build ."
