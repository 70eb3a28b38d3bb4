"""The one sanitizing function against a corpus of hostile text, plus property tests.

Every output must be one line that cannot change the terminal's state (no escape, no control
character), cannot break the layout (no invisible or unassigned code points, bounded length, capped
combining marks) and is never parsed as markup when shown (it reaches widgets as a rich Text).
"""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from gotui.ops.sanitize import (
    MAX_COMBINING,
    MAX_LINE,
    display_text,
    safe_text,
    sanitize_coloured_line,
    sanitize_line,
    sanitize_lines,
    strip_escapes,
    to_text,
)

ESC = "\x1b"

# (name, hostile input, exact expected output)
CORPUS: list[tuple[str, str | bytes, str]] = [
    ("plain", "GET /healthz 200 1.2ms", "GET /healthz 200 1.2ms"),
    ("sgr colour", "\x1b[31;1mred\x1b[0m text", "red text"),
    ("sgr 256/truecolor", "\x1b[38;5;196mA\x1b[38;2;255;0;0mB\x1b[m", "AB"),
    ("cursor moves", "a\x1b[2Jb\x1b[Hc\x1b[10;20Hd\x1b[?25le\x1b[?1049hf", "abcdef"),
    ("osc 52 clipboard write (BEL)", "x\x1b]52;c;cm0gLXJmIC8K\x07y", "xy"),
    ("osc 52 clipboard write (ST)", "x\x1b]52;c;cm0gLXJmIC8K\x1b\\y", "xy"),
    ("osc 0 title change", "\x1b]0;you have been pwned\x07log line", "log line"),
    ("osc 2 title change ST", "\x1b]2;title\x1b\\after", "after"),
    ("osc 8 hyperlink", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"),
    ("osc unterminated eats rest of line only", "keep\x1b]0;never ends", "keep"),
    ("dcs", "\x1bP+q544e\x1b\\after", "after"),
    ("apc / pm / sos", "a\x1b_apc\x1b\\b\x1b^pm\x1b\\c\x1bXsos\x1b\\d", "abcd"),
    ("two-byte escapes", "\x1bc\x1b7\x1b8\x1b(B\x1b=\x1bMok", "ok"),
    ("lone esc at end", "ok\x1b", "ok"),
    ("esc esc csi", "\x1b\x1b[31mok", "ok"),
    ("unterminated csi", "ok\x1b[31", "ok"),
    ("8-bit csi", "\x9b31mred\x9b0m", "red"),
    ("8-bit osc title", "\x9d0;title\x9cok", "ok"),
    ("8-bit osc bel", "\x9d52;c;Zm9v\x07ok", "ok"),
    ("8-bit dcs", "\x90qstuff\x9cok", "ok"),
    ("other c1 controls visible", "a\x85b\x8dc\x84d", "a\\x85b\\x8dc\\x84d"),
    ("c0 controls visible", "a\x00b\x07c\x08d\x7fe\x0bf\x0cg", "a^@b^Gc^Hd^?e^Kf^Lg"),
    ("carriage return overwrite attack", "rm -rf /\rls -la   ", "rm -rf /^Mls -la   "),
    ("crlf line end", "line\r\n", "line"),
    ("embedded newline", "one\ntwo", "one two"),
    ("tab", "a\tb", "a   b"),
    ("backspace hide attack", "safe\x08\x08\x08\x08evil", "safe^H^H^H^Hevil"),
    ("rich markup stays literal", "[bold red]alert[/] [link=http://x]y[/link]", "[bold red]alert[/] [link=http://x]y[/link]"),
    ("textual action markup stays literal", "[@click=app.quit]quit[/]", "[@click=app.quit]quit[/]"),
    ("broken markup stays literal", "[/] [/bold] [", "[/] [/bold] ["),
    ("invalid utf-8 bytes", b"bad \xff\xfe utf8 \xc3", "bad \ufffd\ufffd utf8 \ufffd"),
    ("raw 8-bit csi byte is not utf-8", b"a\x9b31mb", "a\ufffd31mb"),
    ("utf-8 encoded c1 csi", "a\u009b2Jb".encode(), "ab"),
    ("lone surrogate", "bad \udcff surrogate", "bad \ufffd surrogate"),
    ("zero-width chars dropped", "ze\u200bro\u200cwi\u200ddth\u2060\ufeff", "zerowidth"),
    ("bidi override dropped", "file\u202etxt.exe\u202c\u2066x\u2069", "filetxt.exex"),
    ("soft hyphen dropped", "soft\u00adhyphen", "softhyphen"),
    ("tag characters dropped", "flag\U000e0067\U000e0062\U000e007f", "flag"),
    ("variation selector dropped", "heart \u2764\ufe0f!", "heart \u2764!"),
    ("hangul filler dropped", "a\u3164b\u115fc", "abc"),
    ("line/paragraph separators", "a\u2028b\u2029c", "a b c"),
    ("unusual spaces", "a\u00a0b\u3000c\u2003d", "a b c d"),
    ("unassigned code point", "x\U000e0fffy", "x\ufffdy"),
    ("wide cjk kept", "日本語のログ", "日本語のログ"),
    ("emoji zwj sequence split", "👨\u200d👩\u200d👧", "👨👩👧"),
    ("zalgo capped", "z" + "\u0301" * 50 + "a\u0300", "z\u0301\u0301a\u0300"),
    ("enclosing marks capped", "1" + "\u20dd" * 10, "1\u20dd\u20dd"),
]


@pytest.mark.parametrize(("name", "hostile", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_corpus(name: str, hostile: str | bytes, expected: str) -> None:
    out = sanitize_line(hostile)
    assert out == expected
    assert_inert(out)


def assert_inert(out: str) -> None:
    """Properties every sanitized line has."""
    assert ESC not in out
    assert "\n" not in out and "\r" not in out
    for ch in out:
        cat = unicodedata.category(ch)
        assert cat not in ("Cc", "Cf", "Cs", "Cn", "Zl", "Zp"), (ch, cat)
        assert not ("\ufe00" <= ch <= "\ufe0f"), ch
    run = 0
    for ch in out:
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
        assert run <= MAX_COMBINING


def test_long_line_is_cut_with_a_marker() -> None:
    out = sanitize_line("x" * (MAX_LINE + 100))
    assert out == "x" * MAX_LINE + " … [100 more chars]"
    out = sanitize_line("y" * 50, max_len=10)
    assert out == "y" * 10 + " … [40 more chars]"


def test_hostile_multi_megabyte_line_is_bounded() -> None:
    line = ("\x1b[31m日本\u200b" * 400_000) + "end"
    out = sanitize_line(line)
    assert len(out) < MAX_LINE + 40
    assert out.startswith("日本日本")
    assert "more chars]" in out
    assert_inert(out)


def test_sanitize_lines_splits_and_keeps_each_line_inert() -> None:
    block = "first\r\n\x1b]0;title never terminated\nthird \x1b[1mbold\x1b[0m\n"
    assert sanitize_lines(block) == ["first", "", "third bold"]
    assert sanitize_lines(b"a\nb") == ["a", "b"]
    assert sanitize_lines("") == []


def test_helpers() -> None:
    assert to_text(b"\xe2\x9c\x93") == "✓"
    assert to_text(bytearray(b"ok")) == "ok"
    assert strip_escapes("\x1b[1mA\x1b[0m\x9b1mB") == "AB"
    assert safe_text(None) == ""
    assert safe_text(42) == "42"
    assert safe_text("a" * 600) == "a" * 512 + " … [88 more chars]"


def render(text: object, width: int = 200) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=True, color_system="standard", legacy_windows=False)
    console.print(text, end="", soft_wrap=True)
    return buf.getvalue()


def test_display_text_is_never_markup() -> None:
    hostile = "[bold red]alert[/] [/] [@click=app.quit]x[/] \x1b]52;c;Zm9v\x07done"
    text = display_text(hostile)
    assert text.plain == "[bold red]alert[/] [/] [@click=app.quit]x[/] done"
    assert not text.spans
    out = render(text)
    # the only escape sequences on the wire are none at all: no style was applied
    assert ESC not in out
    assert out == text.plain
    styled = render(display_text("[x]", style="bold"))
    assert "[x]" in styled


@pytest.mark.parametrize(("name", "hostile", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_rendered_width_matches_cells(name: str, hostile: str | bytes, expected: str) -> None:
    """What Rich measures is what the terminal gets: no hidden characters to shift the layout."""
    text = display_text(hostile, max_len=MAX_LINE)
    out = render(text, width=10_000)
    assert ESC not in out
    assert cell_len(out) == cell_len(text.plain)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300))
def test_any_text_comes_out_inert(text: str) -> None:
    out = sanitize_line(text)
    assert_inert(out)
    assert sanitize_line(out) == out  # idempotent


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_come_out_inert(data: bytes) -> None:
    assert_inert(sanitize_line(data))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["\x1b", "[", "]", "\\", "\x07", "\x9b", "\x9c", "\x9d", "0;", "52;c;", "m", "P", "_", "a", "\n", "\r"]),
        max_size=60,
    )
)
def test_escape_fragments_never_survive(parts: list[str]) -> None:
    for line in sanitize_lines("".join(parts)):
        assert_inert(line)
        assert "\x9b" not in line and "\x9d" not in line


async def test_hostile_text_in_widgets_renders_literally() -> None:
    """A DataTable cell and a Static showing hostile text: no crash, literal markup on screen."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Static

    hostile = "[/] [@click=app.quit]boom[/] \x1b]0;title\x07 \x1b[31mred\u202e"

    class Probe(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(display_text(hostile), id="static")
            yield DataTable(id="table")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_column("value")
            table.add_row(display_text(hostile))

    app = Probe()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        static_line = app.query_one("#static").render_line(0).text
        table_line = app.query_one(DataTable).render_line(1).text
        assert app.is_running
    for line in (static_line, table_line):
        assert "[/] [@click=app.quit]boom[/]" in line
        assert "red" in line and "title" not in line


def test_coloured_line_keeps_foreground_colours_as_spans() -> None:
    line, spans = sanitize_coloured_line("\x1b[32mINFO\x1b[0m started \x1b[1;31mERR\x1b[22m x\x1b[m")
    assert line == "INFO started ERR x"
    assert spans == ((0, 4, "color(2)"), (13, 16, "bold color(1)"), (16, 18, "color(1)"))
    # 256 colours, truecolour; an out-of-range one is no colour
    assert sanitize_coloured_line("\x1b[38;5;208ma\x1b[38;2;1;2;300mb\x1b[38;2;1;2;3mc\x1b[39md")[1] == (
        (0, 1, "color(208)"), (2, 3, "#010203"))
    # backgrounds, reverse, conceal and blink could hide text: dropped; plain text has no spans
    assert sanitize_coloured_line("\x1b[8;7;5;30;47mhidden?\x1b[0m") == ("hidden?", ((0, 7, "color(0)"),))
    assert sanitize_coloured_line("no colour") == ("no colour", ())


def test_coloured_line_sanitizes_every_piece_and_cuts_like_sanitize_line() -> None:
    line, spans = sanitize_coloured_line("\x1b]52;c;ZXZpbA==\x07\x1b[31m[bold]red\x1b\x1b[0m[2J\r")
    assert line == "[bold]red[2J" and spans == ((0, 9, "color(1)"),)
    line, spans = sanitize_coloured_line("\x1b[31m" + "x" * 50 + "\x1b[0m" + "y" * 100, 100)
    assert line == "x" * 50 + "y" * 50 + " … [50 more chars]" and spans == ((0, 50, "color(1)"),)
    line, spans = sanitize_coloured_line("\x1b[31m" + "z" * 5_000_000, 100)
    assert line.endswith("… [4999900 more chars]") and spans == ((0, 100, "color(1)"),)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["\x1b[31m", "\x1b[0m", "\x1b[1;38;5;9m", "\x1b[38;2;1;2m", "\x1b[m", "\x1b",
                                 "[", "m", "a", "é", "\t", "\r", "\x9b", "\u202e", "[b]"]), max_size=40))
def test_coloured_line_is_as_inert_as_sanitize_line(parts: list[str]) -> None:
    import re

    raw = "".join(parts)
    line, spans = sanitize_coloured_line(raw)
    assert_inert(line)
    plain = re.sub(r"\x1b\[[0-9;:]*m", "", raw)
    if not any(c in plain for c in "\x1b\x9b\t"):  # (an SGR may split another sequence; tabs expand per piece)
        assert line == sanitize_line(plain)
    for a, b, style in spans:
        assert 0 <= a < b <= len(line) and style
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
