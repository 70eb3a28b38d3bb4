"""Themes: the terminal-palette theme for SSH / 16-colour / NO_COLOR sessions, and theme choice.

- `gotui-ansi` is Textual's `ansi-dark` (colours are the terminal's own 16-colour palette, so it looks
  right in any colour scheme and survives 256/16-colour downgrades) with a few gotui tweaks.
- `theme:` in the config (or GOTUI_THEME) takes any Textual theme name, the aliases `ansi` / `dark` /
  `light`, or `auto`: the ANSI theme when the terminal is not truecolor (TERM=xterm, screen, linux,
  SSH without COLORTERM, TEXTUAL_COLOR_SYSTEM=standard/256) or NO_COLOR is set, else textual-dark.
- NO_COLOR: Textual 8.2.8's `Monochrome` line filter crashes on a segment without a style
  (AttributeError in `monochrome_style`); `install` swaps it for a safe one, or for `NoColor` (terminal
  default colours, attributes only) when the ANSI theme is active.

Use: call `install(app, settings.theme)` in the App's `__init__` after `super().__init__()`.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.color import Color
from textual.filter import Monochrome, NoColor, monochrome_style
from textual.theme import BUILTIN_THEMES, Theme

from gotui.config import ConfigError, Settings

ANSI_THEME = "gotui-ansi"
TRUECOLOR_THEME = "textual-dark"
ALIASES = {"ansi": ANSI_THEME, "ansi-dark": ANSI_THEME, "dark": TRUECOLOR_THEME, "light": "textual-light", "": "auto", "auto": "auto"}


def _gotui_ansi() -> Theme:
    base = BUILTIN_THEMES["ansi-dark"]
    variables = dict(base.variables)
    # Footer keys and the block cursor must stay readable on both dark and light terminal palettes.
    variables.update({"footer-key-foreground": "ansi_bright_cyan", "block-cursor-text-style": "bold reverse"})
    return Theme(
        name=ANSI_THEME,
        primary=base.primary,
        secondary=base.secondary,
        warning=base.warning,
        error=base.error,
        success=base.success,
        accent=base.accent,
        foreground=base.foreground,
        background=base.background,
        surface=base.surface,
        panel=base.panel,
        boost=base.boost,
        dark=base.dark,
        ansi=True,
        variables=variables,
    )


def detect_color_system(env: Mapping[str, str] | None = None) -> str | None:
    """The colour system Textual will use: 'truecolor', '256', 'standard', 'windows' or None."""
    env = os.environ if env is None else env
    forced = env.get("TEXTUAL_COLOR_SYSTEM", "auto").strip().lower()
    if forced in ("truecolor", "256", "standard", "windows"):
        return forced
    colorterm = env.get("COLORTERM", "").strip().lower()
    if colorterm in ("truecolor", "24bit"):
        return "truecolor"
    term = env.get("TERM", "").strip().lower()
    if term in ("dumb", "unknown", ""):
        return None
    _, _, suffix = term.rpartition("-")
    if suffix == "truecolor" or term.startswith("xterm-direct"):
        return "truecolor"
    if suffix == "256color" or term.startswith("kitty"):
        return "256"
    return "standard"


def resolve_theme(requested: str | None, env: Mapping[str, str] | None = None, *, no_color: bool | None = None) -> str:
    """Map a configured theme name (or alias, or 'auto') to a registered theme name."""
    env = os.environ if env is None else env
    raw = (requested or "auto").strip()
    name = ALIASES.get(raw.lower(), raw)
    if name != "auto":
        return name
    if no_color is None:
        no_color = "NO_COLOR" in env
    if no_color or detect_color_system(env) != "truecolor":
        return ANSI_THEME
    return TRUECOLOR_THEME


def theme_names() -> list[str]:
    """Every name `theme:` accepts: auto, the aliases, gotui's and Textual's themes."""
    names = ["auto", *[a for a in ALIASES if a and a != "auto"], ANSI_THEME, *sorted(BUILTIN_THEMES)]
    return list(dict.fromkeys(names))


def check_settings(settings: Settings) -> None:
    """Raise ConfigError (where it was set, and the names there are) for an unknown theme."""
    requested = (settings.theme or "auto").strip()
    names = theme_names()
    if requested.lower() in ALIASES or requested in names:
        return
    close = difflib.get_close_matches(requested, names, n=1, cutoff=0.6)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    raise ConfigError(f"{settings.where('theme')}: unknown theme {requested!r}. {hint}Use one of: {', '.join(names)}.")


class SafeMonochrome(Monochrome):
    """Textual's Monochrome filter, also for segments that carry no style (Textual 8.2.8 crashes)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(text, None if style is None else monochrome_style(style), None)
            for text, style, _ in segments
        ]


def fix_filters(app: App) -> None:
    """Replace Textual's NO_COLOR filter with one that works (NoColor for the ANSI theme)."""
    filters = getattr(app, "_filters", None)
    if not isinstance(filters, list):
        return
    ansi = app.get_theme(app.theme) is not None and bool(app.get_theme(app.theme).ansi)  # type: ignore[union-attr]
    for index, line_filter in enumerate(filters):
        if isinstance(line_filter, (Monochrome, NoColor)) and not isinstance(line_filter, SafeMonochrome):
            filters[index] = NoColor() if ansi else SafeMonochrome()
        elif isinstance(line_filter, SafeMonochrome) and ansi:
            filters[index] = NoColor()


def install(app: App, requested: str | None) -> str | None:
    """Register gotui's themes, select the configured one, make NO_COLOR safe.

    Returns None when the theme was applied, else the unknown name (the app keeps its default and
    should tell the operator).
    """
    app.register_theme(_gotui_ansi())
    name = resolve_theme(requested, no_color=bool(getattr(app, "no_color", False)))
    unknown: str | None = None
    if app.get_theme(name) is None:
        unknown = requested
        name = resolve_theme("auto", no_color=bool(getattr(app, "no_color", False)))
    app.theme = name
    fix_filters(app)
    return unknown


def style_has_colour(style: Style | None) -> bool:
    """True when `style` sets a foreground or background colour (used by tests of NO_COLOR)."""
    return style is not None and (style.color is not None or style.bgcolor is not None)
