"""Compose projects (`P` in the Images pane): containers grouped by their compose labels under one
header row per project, as lazydocker shows them. Start/stop/restart/down act on the project of the
highlighted row, behind one dialog listing its containers; `U` (up) needs the compose CLI."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding

from gotui.ops import docker_compose as dc
from gotui.ops.actions import Action
from gotui.ops.docker_bulk import run_each
from gotui.ops.docker_ops import elide, short_image
from gotui.ops.errors import describe_error
from gotui.ops.sanitize import safe_text
from gotui.ui.docker.base import DockerTableScreen


class ComposeScreen(DockerTableScreen):
    TITLE = "compose projects"
    COLUMNS = ("project / service", "state", "container", "image")
    BINDINGS = [
        Binding("escape,q", "close", "Back", id="compose.close"),
        Binding("S", "project('start')", "Start", id="compose.start"),
        Binding("ctrl+k", "project('stop')", "Stop", id="compose.stop"),
        Binding("R", "project('restart')", "Restart", id="compose.restart"),
        Binding("ctrl+d", "project('down')", "Down", id="compose.down"),
        Binding("U", "up", "Up", id="compose.up"),
        Binding("r", "refresh", "Refresh", show=False, id="compose.refresh"),
    ]

    def __init__(self, source: Any) -> None:
        super().__init__(source)
        self.projects: list[dc.Project] = []
        self.loaded = False

    def on_mount(self) -> None:
        super().on_mount()
        self.reload()

    def docker_changed(self, kinds: set[str]) -> None:
        if "container" in kinds:
            self.reload()

    def action_refresh(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, exit_on_error=False, group="compose-list")
    def reload(self) -> None:
        try:
            containers = self.source.list_containers()
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self.set_status, describe_error(exc, what="containers"), "bold red")
            return
        self.app.call_from_thread(self.show_projects, dc.projects(containers))

    def show_projects(self, projects: list[dc.Project]) -> None:
        self.projects = projects
        self.loaded = True
        rows: list[tuple[str, tuple[str, ...]]] = []
        for p in projects:
            rows.append((f"p:{p.name}", (f"▾ {elide(safe_text(p.name, 200), 30)}", f"{p.running}/{len(p.containers)} up",
                                         f"{len(set(p.services.values()))} service(s)",
                                         elide(safe_text(p.working_dir, 300), 36))))
            for c in p.containers:
                rows.append((f"c:{p.name}:{c.key}", ("   " + elide(safe_text(p.services[c.key], 100), 27), c.state,
                                                     elide(safe_text(c.name, 200), 30),
                                                     elide(short_image(safe_text(c.image, 200)), 30))))
        self.fill(rows)
        if not projects:
            self.set_status("no compose projects: no container carries com.docker.compose.project", "dim")
        else:
            self.set_status(f"{len(projects)} project(s) · keys act on the highlighted row's whole project")
        self._show_selected()

    def selected_project(self) -> dc.Project | None:
        key = self.cursor_key()
        if not key:
            return None
        name = key.split(":", 2)[1]
        return next((p for p in self.projects if p.name == name), None)

    def on_data_table_row_highlighted(self, event: Any) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        p = self.selected_project()
        if p is None:
            self.set_details(Text(""))
            return
        text = Text()
        text.append(f"{p.name}", style="bold")
        text.append(f"  {p.running}/{len(p.containers)} running\n")
        text.append("files  ", style="dim")
        text.append(safe_text(p.config_files or "-", 400) + "\n")
        text.append("dir    ", style="dim")
        text.append(safe_text(p.working_dir or "-", 400) + "\n")
        text.append("services ", style="dim")
        text.append(safe_text(", ".join(sorted(set(p.services.values()))), 400))
        self.set_details(text)

    def action_project(self, verb: str) -> None:
        p = self.selected_project()
        if p is None:
            self.notify("no compose project selected", severity="warning", timeout=3)
            return
        source = self.source
        action = dc.project_action(verb, p, source.host)
        ids: list[str] = list(action.params["ids"])
        names = dict(zip(ids, action.params["names"], strict=True))

        def runner() -> str:
            if verb == "start":
                return run_each(ids, source.start_container, "started") + f" container(s) of {p.name}"
            if verb == "stop":
                return run_each(ids, source.stop_container, "stopped") + f" container(s) of {p.name}"
            if verb == "restart":
                return run_each(ids, source.restart_container, "restarted") + f" container(s) of {p.name}"
            running = [i for i in ids if next((c.state for c in p.containers if c.key == i), "") == "running"]
            run_each(running, source.stop_container, "stopped")
            return run_each(ids, lambda i: source.remove_container(i, force=True), "removed") + \
                f" container(s) of {p.name}: " + ", ".join(names.values())

        self.perform(action, runner)

    def action_up(self) -> None:
        from gotui.ops import docker_commands
        from gotui.ui.docker.output import CommandOutputScreen

        p = self.selected_project()
        if p is None:
            self.notify("no compose project selected", severity="warning", timeout=3)
            return
        cli = dc.compose_cli()
        if cli is None:
            self.notify(dc.NO_COMPOSE, title="compose is not installed", severity="error", timeout=12)
            return
        if not p.config_files:
            self.notify(f"{p.name}: its containers do not name their compose files; cannot bring it up",
                        severity="error", timeout=8)
            return
        import shlex

        line = " ".join(shlex.quote(part) for part in dc.up_command(p, cli))
        if p.working_dir:
            line = f"cd {shlex.quote(p.working_dir)} && {line}"
        source = self.source
        action = Action(verb="up", kind="compose-project", target=p.name, context=source.host, preview=line,
                        reversible=True, detail=f"creates and starts the services of {p.name} from {p.config_files}")
        screen = CommandOutputScreen(f"compose up {p.name}", line)

        def runner() -> str:
            self.app.call_from_thread(self.app.push_screen, screen)
            code = docker_commands.run(line, source.host, lambda s: self.app.call_from_thread(screen.add_lines, [s]))
            self.app.call_from_thread(screen.finished, code)
            if code:
                raise RuntimeError(f"compose up {p.name} exited with code {code}")
            return f"{p.name} is up"

        self.perform(action, runner)
