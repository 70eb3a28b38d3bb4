"""Config validation: an unknown binding id, an invalid key name, an unknown theme or an invalid regex
is a one-line error naming the file, the line and the fix (exit 2 before the terminal is taken);
before, each was accepted (the theme only drew a notification after start)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gotui import cli
from gotui.config import ConfigError, build_settings

STARTED = 99  # what the stand-in TUI returns: the config was accepted


@pytest.fixture
def no_tui(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Replace the TUI by a recorder, so an accepted config never opens a terminal UI in the test."""
    import gotui.tui

    started: list[object] = []
    monkeypatch.setattr(gotui.tui, "run_tui", lambda settings: started.append(settings) or STARTED)
    for var in ("GOTUI_THEME", "GOTUI_PROTECTED_CONTEXTS"):
        monkeypatch.delenv(var, raising=False)
    return started


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def run(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = cli.main(["--config", str(path), *extra])
    return code, capsys.readouterr().err


CASES = [
    # (config text, line, words in the message)
    ("readonly: true\nkeys:\n  help: f1\n  pods.delet: ctrl+x\n", 4, ["unknown binding id 'pods.delet'", "Did you mean 'pods.delete'?", "? screen"]),
    ("keys:\n  pods.delete: ctrl+shft+x\n", 2, ["'ctrl+shft+x' is not a key name", "ctrl+x"]),
    ("keys:\n  help: pgdn\n", 2, ["'pgdn' is not a key name"]),
    ("# my config\n\ntheme: draculla\n", 3, ["unknown theme 'draculla'", "Did you mean 'dracula'?", "textual-dark"]),
    ("namespace: shop\nprotected_contexts: \"(prod\"\n", 2, ["not a valid regular expression", "protected_contexts: \".*prod.*\""]),
    ("readonly: true\nnamespce: shop\n", 2, ["unknown setting namespce"]),
]


@pytest.mark.parametrize(("text", "line", "words"), CASES)
def test_tui_refuses_a_bad_config_in_one_line(text: str, line: int, words: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str], no_tui: list[object]) -> None:
    path = write(tmp_path, text)
    code, err = run(path, capsys)
    assert code == cli.EXIT_REFUSED and not no_tui, err
    assert err.count("\n") == 1 and err.startswith(f"gotui: {path}, line {line}: "), err
    for word in words:
        assert word in err, err


def test_a_good_config_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str], no_tui: list[object]) -> None:
    path = write(tmp_path, "theme: dracula\nprotected_contexts: '.*(prod|live).*'\nkeys:\n  help: f1\n"
                           "  pane.hpa: 3\n  pods.delete: ctrl+x,ctrl+d\n  kube.context: question_mark\n")
    code, err = run(path, capsys)
    assert code == STARTED and err == ""
    (settings,) = no_tui
    assert settings.keys["pane.hpa"] == "3" and settings.theme == "dracula"  # type: ignore[attr-defined]


def test_theme_from_the_environment_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               no_tui: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTUI_THEME", "nope")
    code, err = run(tmp_path / "missing.yaml", capsys)
    assert code == cli.EXIT_REFUSED and "environment variable GOTUI_THEME: unknown theme 'nope'" in err


def test_bad_regex_refuses_headless_commands_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 no_tui: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "protected_contexts: '['\n")
    code = cli.main(["status", "--config", str(path), "--kubeconfig", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_REFUSED and f"{path}, line 1: protected_contexts is not a valid regular expression" in err
    monkeypatch.setenv("GOTUI_PROTECTED_CONTEXTS", "(")
    with pytest.raises(ConfigError, match="environment variable GOTUI_PROTECTED_CONTEXTS: protected_contexts is not"):
        build_settings({}, config_path=tmp_path / "missing.yaml")


def test_keys_and_theme_do_not_block_headless_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       no_tui: list[object]) -> None:
    """`keys:` and `theme:` only concern the TUI: a typo there never stops `gotui status` in an incident."""
    path = write(tmp_path, "theme: draculla\nkeys:\n  pods.delet: x\n")
    code = cli.main(["status", "--config", str(path), "--kubeconfig", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert "draculla" not in err and "pods.delet" not in err and "kubeconfig" in err.lower()
    assert code == cli.EXIT_REFUSED  # refused for the missing kubeconfig, not for the config


def test_line_numbers_are_recorded(tmp_path: Path) -> None:
    path = write(tmp_path, "readonly: false\n\ntheme: auto\nkeys:\n  help: f1\n")
    settings = build_settings({}, env={"GOTUI_READONLY": "1"}, config_path=path)
    assert settings.where("theme") == f"{path}, line 3"
    assert settings.where("keys.help") == f"{path}, line 5"
    assert settings.where("readonly") == "environment variable GOTUI_READONLY"


def test_the_readme_example_config_passes(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = re.search(r"```yaml\n(# ~/.config/gotui/config.yaml\n.*?)```", readme, re.S)
    assert block is not None
    settings = build_settings({}, env={}, config_path=write(tmp_path, block.group(1)))
    cli.check_tui_settings(settings)
    assert settings.keys
