"""Make untrusted text inert for display.

Everything that comes from outside (container and pod logs, build output, event messages, labels,
annotations, env values, error messages) passes through `sanitize_line` before it reaches a widget,
and is then shown as a plain `rich.text.Text` (never parsed as markup: `display_text` builds one).

The result of `sanitize_line` is one line that cannot change the terminal's state or the layout:
- escape sequences (CSI, OSC incl. OSC 52 clipboard writes and title changes, DCS, APC, PM, SOS, and
  their 8-bit C1 forms) are removed; other C0/C1 controls are made visible as `^X` / `\\xNN`;
- tabs become spaces, newlines inside the line become spaces, a carriage return shows as `^M`
  (it would otherwise let a later part of the line overwrite an earlier one);
- invalid UTF-8 and lone surrogates become U+FFFD, as do code points Unicode has not assigned
  (terminals disagree on their width);
- invisible format characters (zero-width, bidi overrides, BOM, tags, variation selectors, soft
  hyphen, Hangul fillers) are dropped; unusual spaces and line/paragraph separators become a space;
- runs of combining marks are capped (no "Zalgo" text spilling over neighbouring rows);
- over-long lines are cut with a marker saying how much was cut.

`sanitize_line` is the one sanitizing function; `sanitize_lines`, `safe_text` and `display_text` are
thin wrappers around it. `sanitize_coloured_line` keeps what a log's SGR colour codes meant as data
(spans of Rich style strings over the sanitized text) and sanitizes every piece between them the same
way; only foreground colours, bold, dim, italic and underline survive (backgrounds, reverse, conceal
and blink could hide text from the operator). This module must not import Textual (it is in `ops`);
Rich is imported lazily by `display_text` only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rich.text import Text

MAX_LINE = 4096
MAX_COMBINING = 2  # combining marks kept after one base character

# ESC-introduced sequences. String sequences (OSC, DCS, SOS, PM, APC) run until BEL or ST (ESC \\),
# or, unterminated, to the end of the line: a hostile unterminated OSC must not swallow later lines.
_ESC_SEQ = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]                  # CSI ... final byte
  | \x1b\[[0-?]*[ -/]*(?=[^@-~]|$)           # an unterminated / malformed CSI
  | \x1b[\]PX^_][^\n]*?(?:\x07|\x1b\\|(?=\n)|$)  # OSC, DCS, SOS, PM, APC up to BEL / ST / newline
  | \x1b[ -/]*[0-~]                          # two/three-byte escapes (ESC c, ESC ( B, ESC 7 ...)
  | \x1b                                     # a lone ESC
    """,
    re.VERBOSE,
)
# 8-bit forms: CSI (0x9b) and OSC/DCS/SOS/PM/APC (0x9d 0x90 0x98 0x9e 0x9f) ended by ST (0x9c) / BEL.
_C1_SEQ = re.compile(r"\x9b[0-?]*[ -/]*[@-~]?|[\x90\x98\x9d\x9e\x9f][^\n]*?(?:\x9c|\x07|(?=\n)|$)")
_HAS_C1 = re.compile(r"[\x80-\x9f]")

_DROP_EXTRA = {
    "\u115f", "\u1160", "\u3164", "\uffa0",  # Hangul fillers: blank, of disputed width
    "\u034f",  # combining grapheme joiner
    "\u180e",  # Mongolian vowel separator (was Zs, now Cf)
}


def _visible_control(code: int) -> str:
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    return f"\\x{code:02x}"


@lru_cache(maxsize=8192)
def _replacement(ch: str) -> str:
    """What a non-printable or dangerous character `ch` becomes (cached per character)."""
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return _visible_control(code)
    if ch in _DROP_EXTRA or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return ""  # variation selectors: terminals and Rich disagree on the width they imply
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""  # zero-width, bidi controls, BOM, soft hyphen, tag characters ...
    if category in ("Cs", "Cn"):
        return "\ufffd"
    if category in ("Zl", "Zp", "Zs"):
        return " "
    return ch


def to_text(data: str | bytes | bytearray) -> str:
    """Decode bytes as UTF-8, replacing invalid sequences with U+FFFD."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).decode("utf-8", errors="replace")
    return data


def strip_escapes(text: str) -> str:
    """Remove terminal escape sequences (7-bit and 8-bit forms) from `text`."""
    if "\x1b" in text:
        text = _ESC_SEQ.sub("", text)
    if _HAS_C1.search(text):
        text = _C1_SEQ.sub("", text)
    return text


def _cut(text: str, max_len: int, dropped: int = 0) -> str:
    extra = max(len(text) - max_len, 0) + dropped
    if extra:
        return text[:max_len] + f" … [{extra} more chars]"
    return text


def sanitize_line(data: str | bytes | bytearray, max_len: int = MAX_LINE) -> str:
    """Return one display-safe line: no escapes, no controls, no newlines, bounded length."""
    return _sanitize(to_text(data), max_len, trim_end=True)


def _sanitize(text: str, max_len: int, *, trim_end: bool) -> str:
    if text.isascii() and text.isprintable():  # the common case: plain log text
        return _cut(text, max_len)
    dropped = 0
    limit = 2 * max_len + 256  # bound the work on a hostile multi-megabyte line
    if len(text) > limit:
        dropped = len(text) - limit
        text = text[:limit]
    if trim_end:
        text = text.rstrip("\r\n")
    text = strip_escapes(text)
    if "\t" in text:
        text = text.expandtabs(4)
    text = text.replace("\r\n", " ").replace("\n", " ")
    if not (text.isascii() and text.isprintable()):
        table = {ord(ch): _replacement(ch) for ch in set(text) if not " " <= ch <= "~"}
        text = text.translate({k: v for k, v in table.items() if v != chr(k)})
        if not text.isascii():
            text = _cap_combining(text)
    return _cut(text, max_len, dropped)


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_SGR_TAIL = re.compile(r"(?:[\r\n]|\x1b\[[0-9;:]*m)+\Z")
Span = tuple[int, int, str]  # (start, end, rich style string) over a sanitized line


def _colour(params: list[int], i: int) -> tuple[str | None, int]:
    """Parse `38;5;n` / `38;2;r;g;b` at params[i] (the 38/48); returns (colour, params consumed)."""
    kind = params[i + 1] if len(params) > i + 1 else None
    if kind == 5 and len(params) > i + 2:
        n = params[i + 2]
        return (f"color({n})" if 0 <= n <= 255 else None), 3
    if kind == 2 and len(params) > i + 4:
        r, g, b = params[i + 2 : i + 5]
        return (f"#{r:02x}{g:02x}{b:02x}" if max(r, g, b) <= 255 else None), 5
    return None, len(params) - i  # malformed: ignore the rest


# SGR attribute codes kept: code -> (attributes, value); 0 resets, colours are handled apart
_SGR_FLAGS = {1: (("bold",), True), 2: (("dim",), True), 3: (("italic",), True), 4: (("underline",), True),
              22: (("bold", "dim"), False), 23: (("italic",), False), 24: (("underline",), False)}


class _SgrState:
    __slots__ = ("bold", "dim", "italic", "underline", "fg")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.bold = self.dim = self.italic = self.underline = False
        self.fg: str | None = None

    def apply(self, raw: str) -> None:
        try:
            params = [int(p) if p else 0 for p in raw.replace(":", ";").split(";")]
        except ValueError:
            return
        i = 0
        while i < len(params):
            code, step = params[i], 1
            if code == 0:
                self.reset()
            elif code in _SGR_FLAGS:
                names, value = _SGR_FLAGS[code]
                for name in names:
                    setattr(self, name, value)
            elif 30 <= code <= 37 or 90 <= code <= 97:
                self.fg = f"color({code - 30 if code < 90 else code - 82})"
            elif code == 39:
                self.fg = None
            elif code in (38, 48):  # extended colours; backgrounds are parsed only to skip their arguments
                colour, step = _colour(params, i)
                if code == 38:
                    self.fg = colour
            i += step

    def style(self) -> str:
        parts = [name for name in ("bold", "dim", "italic", "underline") if getattr(self, name)]
        if self.fg:
            parts.append(self.fg)
        return " ".join(parts)


def sanitize_coloured_line(data: str | bytes | bytearray, max_len: int = MAX_LINE) -> tuple[str, tuple[Span, ...]]:
    """Like `sanitize_line`, but SGR colour codes become style spans instead of vanishing."""
    text = to_text(data)
    if "\x1b[" not in text or "m" not in text:
        return sanitize_line(text, max_len), ()
    dropped = 0
    limit = 2 * max_len + 256  # bound the work on a hostile multi-megabyte line, as sanitize_line does
    if len(text) > limit:
        dropped = len(text) - limit
        text = text[:limit]
    end = _SGR_TAIL.search(text)  # the line's end is trimmed as sanitize_line trims it; a piece's is kept
    if end:
        text = text[: end.start()] + end.group().replace("\r", "").replace("\n", "")
    state = _SgrState()
    out: list[str] = []
    spans: list[Span] = []
    pos = 0
    for i, piece in enumerate(_SGR.split(text)):
        if i % 2:
            state.apply(piece)
            continue
        clean = _sanitize(piece, limit, trim_end=False)  # a piece is never longer than `limit`: never cut
        if not clean:
            continue
        style = state.style()
        if style:
            if spans and spans[-1][1] == pos and spans[-1][2] == style:
                spans[-1] = (spans[-1][0], pos + len(clean), style)
            else:
                spans.append((pos, pos + len(clean), style))
        out.append(clean)
        pos += len(clean)
    line = _cut("".join(out), max_len, dropped)
    if len(line) != pos:
        spans = [(a, min(b, max_len), st) for a, b, st in spans if a < max_len]
    return line, tuple(spans)


def _cap_combining(text: str) -> str:
    """Keep at most MAX_COMBINING combining marks after each base character."""
    marks = {ch for ch in set(text) if unicodedata.category(ch) in ("Mn", "Me")}
    if not marks:
        return text
    out: list[str] = []
    run = 0
    for ch in text:
        if ch in marks:
            run += 1
            if run > MAX_COMBINING:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


def sanitize_lines(data: str | bytes | bytearray, max_len: int = MAX_LINE) -> list[str]:
    """Split a block of text into sanitized display lines (\\n, \\r\\n, and \\r\\n-free)."""
    text = to_text(data)
    if text.endswith("\n"):
        text = text[:-1]
    return [sanitize_line(part, max_len) for part in text.split("\n")] if text else []


def safe_text(value: object, max_len: int = 512) -> str:
    """Sanitize a short value (a label, an annotation, a message) for a table cell."""
    return sanitize_line("" if value is None else str(value), max_len)


def display_text(value: object, max_len: int = 512, style: str = "") -> Text:
    """A `rich.text.Text` of the sanitized `value`: safe to hand to any widget (DataTable cells,
    Static, notifications) because a Text is never parsed as markup, unlike a `str`."""
    from rich.text import Text

    return Text(safe_text(value, max_len), style=style, end="", no_wrap=True)
