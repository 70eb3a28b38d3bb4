"""Custom commands from the config (`docker_commands:`), bound to their keys in the Images pane.

Each runs `sh -c` with the selected container's or image's {{.Name}} / {{.ID}} / {{.Image}}
(shell-quoted), through the app's gate (`confirm: true` opens the dialog; read-only mode refuses
it; every run is audited), its output streamed into a CommandOutputScreen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gotui.ops import docker_commands as dcmd

if TYPE_CHECKING:
    from gotui.ui.panes.images import ImagesPane


def install(pane: ImagesPane) -> list[dcmd.DockerCommand]:
    """Bind each configured command's key on the pane; a key a built-in binding already uses is
    skipped with a warning naming it."""
    settings = getattr(pane.app, "settings", None)
    commands = dcmd.commands_from_settings(list(getattr(settings, "docker_commands", None) or []))
    taken = {key for key in pane._bindings.key_to_bindings}  # noqa: SLF001 - Textual has no public view
    taken |= {"q", "tab", "shift+tab", "question_mark", "H", "1", "2", "3", "4"}
    installed = []
    for i, cmd in enumerate(commands):
        if cmd.key in taken:
            pane.notify(f"custom command {cmd.name!r}: key {cmd.key!r} is taken by a built-in binding; "
                        "pick another key in docker_commands", severity="warning", timeout=8)
            continue
        taken.add(cmd.key)
        pane._bindings.bind(cmd.key, f"custom_command({i})", cmd.name, show=False)  # noqa: SLF001
        installed.append(cmd)
    pane.docker_commands = commands
    return installed


def run(pane: ImagesPane, index: int) -> None:
    from gotui.ui.docker.output import CommandOutputScreen

    cmd = pane.docker_commands[index]
    source = pane.source
    if source is None:
        pane.notify("Docker is not connected", severity="error")
        return
    if cmd.scope == "containers":
        crow = pane.selected_container()
        if crow is None:
            pane.notify(f"{cmd.name}: switch to containers (c) and pick one", severity="warning", timeout=4)
            return
        values = {"Name": crow.name, "ID": crow.key, "Image": crow.image}
        target = crow.name
    else:
        row = pane.selected_image()
        if row is None:
            pane.notify(f"{cmd.name}: switch to images (c) and pick one", severity="warning", timeout=4)
            return
        values = {"Name": row.ref, "ID": row.image_id, "Image": row.ref}
        target = row.ref
    line = dcmd.render(cmd.command, values)
    action = dcmd.command_action(cmd, line, target, source.host)
    app: Any = pane.app
    screen = CommandOutputScreen(f"{cmd.name}: {target}", line)

    def runner() -> str:
        app.call_from_thread(app.push_screen, screen)
        try:
            code = dcmd.run(line, source.host, lambda s: app.call_from_thread(screen.add_lines, [s]))
        except Exception as exc:
            app.call_from_thread(screen.finished, None, f"could not run: {exc}")
            raise
        app.call_from_thread(screen.finished, code)
        if code:
            raise RuntimeError(f"{cmd.name} exited with code {code}")
        return f"{cmd.name}: done (exit 0)"

    gate = getattr(app, "gate", None)
    if gate is None:
        pane.notify("actions need the gotui app", severity="error")
        return
    gate.perform(action, runner)
