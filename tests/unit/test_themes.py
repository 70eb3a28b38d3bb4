"""Theme choice (config / colour system / NO_COLOR) and the NO_COLOR crash fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.filter import Monochrome, NoColor

from gotui.config import Settings
from gotui.ui import themes


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TERM": "xterm"}, "standard"),
        ({"TERM": "screen"}, "standard"),
        ({"TERM": "linux"}, "standard"),
        ({"TERM": "xterm-256color"}, "256"),
        ({"TERM": "tmux-256color"}, "256"),
        ({"TERM": "xterm-256color", "COLORTERM": "truecolor"}, "truecolor"),
        ({"TERM": "xterm-kitty"}, "standard"),
        ({"TERM": "kitty"}, "256"),
        ({"TERM": "dumb"}, None),
        ({}, None),
        ({"TERM": "xterm-256color", "COLORTERM": "truecolor", "TEXTUAL_COLOR_SYSTEM": "standard"}, "standard"),
        ({"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "256"}, "256"),
    ],
)
def test_detect_color_system(env: dict[str, str], expected: str | None) -> None:
    assert themes.detect_color_system(env) == expected


def test_resolve_theme() -> None:
    truecolor = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}
    over_ssh = {"TERM": "xterm-256color"}  # COLORTERM is not forwarded by OpenSSH
    assert themes.resolve_theme("auto", truecolor) == "textual-dark"
    assert themes.resolve_theme(None, over_ssh) == themes.ANSI_THEME
    assert themes.resolve_theme("auto", {**truecolor, "NO_COLOR": "1"}) == themes.ANSI_THEME
    assert themes.resolve_theme("auto", truecolor, no_color=True) == themes.ANSI_THEME
    assert themes.resolve_theme("ansi", truecolor) == themes.ANSI_THEME
    assert themes.resolve_theme("Light", over_ssh) == "textual-light"
    assert themes.resolve_theme("nord", over_ssh) == "nord"


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        audit_log=tmp_path / "audit.jsonl",
        docker_host=f"unix://{tmp_path}/no-docker.sock",
        kubeconfig=str(tmp_path / "no-kubeconfig"),
        config_path=tmp_path / "config.yaml",
    )


def test_install_registers_and_reports_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gotui.ui.app import GotuiApp

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    app = GotuiApp(_settings(tmp_path))
    assert themes.install(app, "auto") is None
    assert app.theme == themes.ANSI_THEME and app.current_theme.ansi
    assert themes.install(app, "no-such-theme") == "no-such-theme"
    assert app.theme == themes.ANSI_THEME  # fell back to auto
    assert themes.install(app, "dracula") is None and app.theme == "dracula"


@pytest.mark.parametrize("theme", ["textual-dark", "auto"])
async def test_no_color_does_not_crash_gotui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, theme: str) -> None:
    """Textual 8.2.8's Monochrome filter crashes on style-less segments; gotui's screens have them."""
    from gotui.ui.app import GotuiApp

    monkeypatch.setenv("NO_COLOR", "1")
    app = GotuiApp(_settings(tmp_path))
    assert app.no_color
    themes.install(app, theme)
    filters = app._filters
    assert not any(type(f) is Monochrome for f in filters)
    if theme == "auto":
        assert any(isinstance(f, NoColor) for f in filters)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("2", "3", "4", "1", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running
    assert app.return_code in (None, 0)


def test_safe_monochrome_handles_missing_style() -> None:
    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color

    out = themes.SafeMonochrome().apply(
        [Segment("a", None), Segment("b", Style(color="red", bgcolor="blue"))], Color(0, 0, 0)
    )
    assert out[0].style is None and out[0].text == "a"
    color = out[1].style.color.get_truecolor()  # type: ignore[union-attr]
    assert color.red == color.green == color.blue  # grey
    assert themes.style_has_colour(out[1].style) and not themes.style_has_colour(None)
