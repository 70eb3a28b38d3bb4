"""Make untrusted text inert for display.

Everything that comes from outside (container and pod logs, build output, event messages, labels,
annotations, env values) passes through `sanitize_line` before it reaches a widget, and is then shown
as a plain `rich.text.Text` (never parsed as markup). The result holds no control character at all:
escape sequences (CSI, OSC incl. clipboard writes and title changes, DCS, APC, PM, SOS) are removed,
other C0/C1 controls are made visible as `^X` / `\\xNN`, tabs become spaces, invalid UTF-8 becomes
U+FFFD, zero-width and bidi-override characters are dropped, and over-long lines are cut with a marker.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LINE = 4096

# ESC-introduced sequences. OSC/DCS/APC/PM/SOS run until BEL or ST (ESC \\), or to the end of the text.
_ESC_SEQ = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]            # CSI ... final byte
  | \x1b\[[0-?]*[ -/]*$                # an unterminated CSI at the end
  | \x1b[\]PX^_][\s\S]*?(?:\x07|\x1b\\|$)   # OSC, DCS, SOS, PM, APC up to BEL / ST / end
  | \x1b[ -/]*[0-~]                    # two/three-byte escapes (ESC c, ESC ( B, ESC 7 ...)
  | \x1b                               # a lone ESC
    """,
    re.VERBOSE,
)
# 8-bit C1 forms: CSI (0x9b) and OSC/DCS/APC/PM/SOS (0x9d 0x90 0x9f 0x9e 0x98) terminated by ST (0x9c) / BEL.
_C1_SEQ = re.compile(r"\x9b[0-?]*[ -/]*[@-~]|[\x90\x98\x9d\x9e\x9f][\s\S]*?(?:\x9c|\x07|$)")
# Characters that change rendering invisibly: zero-width, bidi controls, BOM, interlinear annotations.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    return f"\\x{code:02x}"


def to_text(data: str | bytes) -> str:
    """Decode bytes as UTF-8, replacing invalid sequences with U+FFFD."""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data


def strip_escapes(text: str) -> str:
    """Remove terminal escape sequences (7-bit and 8-bit) from `text`."""
    if "\x1b" in text:
        text = _ESC_SEQ.sub("", text)
    if any("\x90" <= ch <= "\x9f" for ch in text):
        text = _C1_SEQ.sub("", text)
    return text


def sanitize_line(data: str | bytes, max_len: int = MAX_LINE) -> str:
    """Return one display-safe line: no escapes, no controls, no newlines, bounded length."""
    text = to_text(data)
    text = text.rstrip("\r\n")
    text = strip_escapes(text)
    if "\t" in text:
        text = text.expandtabs(4)
    # A carriage return inside a line would overwrite what came before it on a terminal.
    text = text.replace("\r\n", " ").replace("\n", " ")
    text = _CONTROL.sub(_visible, text)
    text = _INVISIBLE.sub("", text)
    if any(unicodedata.category(ch) in ("Cs", "Co", "Cn") for ch in text if ord(ch) > 0x2FFF):
        text = "".join(
            "\ufffd" if unicodedata.category(ch) in ("Cs", "Cn") else ch for ch in text
        )
    if len(text) > max_len:
        text = text[:max_len] + f" … [{len(text) - max_len} more chars]"
    return text


def sanitize_lines(data: str | bytes, max_len: int = MAX_LINE) -> list[str]:
    """Split a block of text into sanitized display lines."""
    text = strip_escapes(to_text(data))
    return [sanitize_line(part, max_len) for part in text.splitlines()]


def safe_text(value: object, max_len: int = 512) -> str:
    """Sanitize a short value (a label, an annotation, a message) for a table cell."""
    return sanitize_line("" if value is None else str(value), max_len)
