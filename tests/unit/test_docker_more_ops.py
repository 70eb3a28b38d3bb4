"""Pure logic of the Docker additions: custom-command config and quoting, compose grouping, volume
and network rules, the event buffer, bulk failures."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gotui.config import ConfigError, build_settings
from gotui.ops import docker_commands as dcmd
from gotui.ops import docker_compose as dc
from gotui.ops import docker_resources as dr
from gotui.ops.docker_bulk import run_each
from gotui.ops.docker_events import EventBuffer, event_row


def settings_from(tmp_path: Path, text: str):  # noqa: ANN201
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return build_settings(env={}, config_path=path)


def test_docker_commands_config_is_validated(tmp_path: Path) -> None:
    s = settings_from(tmp_path, "docker_commands:\n  - {name: top, key: T, command: 'docker top {{.ID}}'}\n")
    assert s.docker_commands == [{"name": "top", "key": "T", "command": "docker top {{.ID}}", "confirm": False,
                                  "scope": "containers"}]
    for bad, words in (
        ("docker_commands: {name: x}", "must be a list"),
        ("docker_commands:\n  - {name: x, key: X}", "`command` is required"),
        ("docker_commands:\n  - {name: x, key: X, command: 'echo {{.Foo}}'}", "unknown placeholder {{.Foo}}"),
        ("docker_commands:\n  - {name: x, key: X, command: ls, scope: pods}", "scope must be one of containers, images"),
        ("docker_commands:\n  - {name: x, key: X, command: ls, confirm: maybe}", "confirm must be true or false"),
        ("docker_commands:\n  - {name: x, key: X, command: ls, shell: bash}", "unknown field shell"),
    ):
        with pytest.raises(ConfigError, match="docker_commands") as info:
            settings_from(tmp_path, bad)
        assert words in str(info.value), str(info.value)


def test_placeholders_are_shell_quoted() -> None:
    evil = "x'; touch /tmp/gotui-pwned; echo '$(id)"
    line = dcmd.render("printf '%s\\n' {{.Name}} {{ .ID }}", {"Name": evil, "ID": "abc"})
    out = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [evil, "abc"]
    assert not Path("/tmp/gotui-pwned").exists()


def test_compose_projects_group_by_labels() -> None:
    def c(cid: str, name: str, project: str | None, service: str = "", state: str = "running") -> dict:
        labels = {dc.PROJECT: project, dc.SERVICE: service, dc.WORKING_DIR: "/srv/" + (project or "")} if project else {}
        return {"Id": cid, "Names": ["/" + name], "State": state, "Labels": labels, "Image": "img", "Status": ""}

    containers = [c("1", "shop-web-1", "shop", "web"), c("2", "shop-db-1", "shop", "db", "exited"),
                  c("3", "blog-app-1", "blog", "app"), c("4", "loose", None)]
    projects = dc.projects(containers)
    assert [p.name for p in projects] == ["blog", "shop"]
    shop = projects[1]
    assert [x.name for x in shop.containers] == ["shop-db-1", "shop-web-1"] and shop.running == 1
    assert shop.working_dir == "/srv/shop"
    assert [r.name for r in dc.ungrouped(containers)] == ["loose"]
    action = dc.project_action("down", shop, "unix:///x")
    assert action.destructive and not action.reversible and action.is_docker
    assert "shop-db-1" in action.detail and "shop-web-1" in action.detail
    assert dc.up_command(dc.Project("p", config_files="/a.yml,/b.yml"), ["docker", "compose"]) == \
        ["docker", "compose", "-p", "p", "-f", "/a.yml", "-f", "/b.yml", "up", "-d"]


def test_volume_and_network_rules() -> None:
    containers = [{"Id": "1", "Names": ["/db"], "Mounts": [{"Type": "volume", "Name": "data"}],
                   "NetworkSettings": {"Networks": {"backend": {}}}, "HostConfig": {"NetworkMode": "backend"}}]
    anon = "a" * 64
    rows = dr.volume_rows([{"Name": "data"}, {"Name": "cache"}, {"Name": anon}], containers, {"cache": 2000})
    by = {r.key: r for r in rows}
    assert by["data"].users == ("db",) and dr.volume_refusal(by["data"]) is not None
    assert "in use by 1 container(s): db" in (dr.volume_refusal(by["data"]) or "")
    assert dr.volume_refusal(by["cache"]) is None and by["cache"].cells()[2] == "2kB"
    assert {r.key for r in dr.prune_volume_plan(rows, "1.41")} == {"cache", anon}
    assert {r.key for r in dr.prune_volume_plan(rows, "1.44")} == {anon}  # API 1.42+: anonymous only
    nets = dr.network_rows([{"Name": "bridge"}, {"Name": "backend"}, {"Name": "spare"}], containers)
    nb = {n.key: n for n in nets}
    assert "predefined" in (dr.network_refusal(nb["bridge"]) or "")
    assert "db" in (dr.network_refusal(nb["backend"]) or "")
    assert [n.key for n in dr.prune_network_plan(nets)] == ["spare"]


def test_event_buffer_is_bounded_and_newest_first() -> None:
    buf = EventBuffer(3)
    for i in range(5):
        buf.add({"Type": "container", "Action": "start", "Actor": {"ID": f"{i:064d}", "Attributes": {"name": f"c{i}"}},
                 "timeNano": (1_700_000_000 + i) * 10**9})
    assert len(buf) == 3 and buf.total == 5
    assert [r.actor for r in buf.newest_first()] == ["c4", "c3", "c2"]
    assert [r.actor for r in buf.newest_first("c3")] == ["c3"]
    row = event_row({"Type": "container", "Action": "die", "Actor": {"ID": "f" * 64,
                     "Attributes": {"name": "web\x1b[31m", "exitCode": "137"}}}, 1)
    assert "\x1b" not in row.actor and row.attributes == "exitCode=137"


def test_bulk_goes_on_past_failures_and_names_them() -> None:
    seen = []

    def fn(item: str) -> None:
        seen.append(item)
        if item == "b":
            raise RuntimeError("409 Conflict\nmore")

    with pytest.raises(RuntimeError, match=r"stopped 2 of 3; failed: b: 409 Conflict"):
        run_each(["a", "b", "c"], fn, "stopped")
    assert seen == ["a", "b", "c"]
