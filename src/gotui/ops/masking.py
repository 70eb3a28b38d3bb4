"""Secret masking for every view that shows configuration: container/image env and labels, layer
history, pod YAML (env, Secrets), Helm values and manifests.

A value is hidden when
- its name says it is a secret (`DB_PASSWORD`, `GITHUB_TOKEN`, label `vault.token`, `apiKey`): whole
  words of the name are compared (split at `_ . - /` and camelCase), so `PWD`/`OLDPWD` (the shell's
  working directory), `KEYBOARD` or `AUTHOR` are not secrets, and a name that ends in PATH, DIR, FILE,
  NAME, REF, URL, TTL… is about a secret (where it is, what it is called), not the secret itself;
- or the value looks like a credential whatever its name: the password of a URL
  (`postgres://app:pw@db` → `postgres://app:••••@db`, only the password goes), a JWT, a
  provider token (`ghp_…`, `github_pat_…`, `glpat-…`, `AKIA…`, `xoxb-…`, `sk_live_…`, `AIza…`), a
  PEM private key, or a long high-entropy string (32+ characters mixing upper, lower case and digits,
  over 4.2 bits per character: hex digests and UUIDs stay readable).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

MASK = "••••••••"
URL_MASK = "••••"

# whole words of a name that make it a secret; PWD only when it is not the whole name
_SECRET_WORDS = {"PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE", "TOKEN", "TOKENS", "SECRET", "SECRETS", "KEY",
                 "APIKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH", "PRIVATE", "COOKIE", "DSN", "SESSIONID",
                 "SIGNATURE", "SALT", "JWT", "BEARER", "OTP", "PIN"}
# parts of a single word that make it a secret (`DBPASSWORD`, `AUTHTOKEN`, `ACCESSKEY`)
_SECRET_PARTS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY", "ACCESSKEY", "PRIVATEKEY")
_NOT_SECRET_NAMES = {"PWD", "OLDPWD", "KEY"}  # KEY alone: a key name (`secretKeyRef: {key: password}`)
# a last word that says the value is about the secret, not the secret: where it is, what it is called,
# how long it lives (`TOKEN_FILE`, `secretName`, `secretKeyRef`, `AUTH_URL`, `TOKEN_TTL`)
_LOCATION_WORDS = {"PATH", "PATHS", "DIR", "DIRS", "FILE", "FILES", "HOME", "SOCK", "SOCKET", "LOCATION", "NAME",
                   "NAMES", "REF", "ID", "URL", "URI", "HOST", "PORT", "ENDPOINT", "ISSUER", "TTL", "TIMEOUT",
                   "EXPIRY", "EXPIRES", "LENGTH", "TYPE", "MODE", "ENABLED", "HEADER", "SECONDS"}
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def name_words(name: str) -> list[str]:
    """`DB_PASSWORD` -> [DB, PASSWORD]; `vault.token` -> [VAULT, TOKEN]; `apiKey` -> [API, KEY]."""
    return [w.upper() for part in re.split(r"[^A-Za-z0-9]+", name or "") for w in _WORDS.findall(part)]


def is_secret_name(name: str) -> bool:
    """True for a name that says its value is a secret (see the module docstring)."""
    if (name or "").upper() in _NOT_SECRET_NAMES:
        return False
    words = name_words(name)
    if not words or words[-1] in _LOCATION_WORDS:
        return False
    return any(w in _SECRET_WORDS or any(p in w for p in _SECRET_PARTS) for w in words)


# -- values -------------------------------------------------------------------------------------------

_URL_CREDS = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://(?P<user>[^:/@\s?#]*):)(?P<pw>[^@\s/?#]+)(?=@)")
_TOKENS = re.compile(
    r"""
    \beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*        # JWT
  | \b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}                         # GitHub tokens
  | \bgithub_pat_[A-Za-z0-9_]{30,}
  | \bglpat-[A-Za-z0-9_-]{20,}                                         # GitLab
  | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b                                      # AWS access key id
  | \bxox[abprs]-[A-Za-z0-9-]{10,}                                     # Slack
  | \b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}                         # Stripe
  | \bAIza[0-9A-Za-z_-]{35}                                            # Google API key
  | \bnpm_[A-Za-z0-9]{36}\b                                            # npm
  | -----BEGIN[A-Z ]*PRIVATE\ KEY-----[\s\S]*?(?:-----END[A-Z ]*PRIVATE\ KEY-----|$)
    """,
    re.VERBOSE,
)
_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(word: str) -> bool:
    """A long high-entropy string (an API key, a random password), not a hex digest or a path."""
    if len(word) < 32 or not _CANDIDATE.fullmatch(word):
        return False
    if not (re.search(r"[a-z]", word) and re.search(r"[A-Z]", word) and re.search(r"\d", word)):
        return False
    return _entropy(word) > 4.2


def mask_in_text(text: str) -> str:
    """`text` with URL passwords, known token shapes and long random strings hidden; the rest kept."""
    if not text:
        return text
    out = _URL_CREDS.sub(lambda m: m.group("head") + URL_MASK, text)
    out = _TOKENS.sub(MASK, out)
    return _CANDIDATE.sub(lambda m: MASK if looks_random(m.group(0)) else m.group(0), out)


def mask_value(name: str, value: str) -> tuple[str, bool]:
    """(value to show, masked?) for a named value (env var, label, YAML key)."""
    if value and is_secret_name(name):
        return MASK, True
    shown = mask_in_text(value)
    return shown, shown != value


# -- shapes -----------------------------------------------------------------------------------------------


def mask_env(env: list[str], revealed: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str, bool]]:
    """`["K=V", ...]` -> [(name, value shown, masked?)]; names in `revealed` are shown in clear
    (masked stays True for them, so the view can mark them)."""
    out = []
    for item in env or []:
        name, _, value = item.partition("=")
        shown, masked = mask_value(name, value)
        out.append((name, value if (masked and name in revealed) else shown, masked))
    return out


def mask_labels(labels: dict[str, Any] | None) -> dict[str, str]:
    """Labels (or annotations) with secret values hidden."""
    return {str(k): mask_value(str(k), str(v))[0] for k, v in (labels or {}).items()}


_ASSIGN = re.compile(r"(?<![\w-])(--?)?([A-Za-z_][\w.-]*)=(\"[^\"]*\"|'[^']*'|\S*)")


def mask_assignments(text: str) -> str:
    """Hide the value of every `NAME=value` (or `--name=value`) whose name is a secret (`ENV
    DB_PASSWORD=…`, build args `|1 GITHUB_TOKEN=…`, `--password=…`), then credentials in the rest."""

    def repl(m: re.Match[str]) -> str:
        if is_secret_name(m.group(2)) and m.group(3):
            return f"{m.group(1) or ''}{m.group(2)}={MASK}"
        return m.group(0)

    return mask_in_text(_ASSIGN.sub(repl, text))


_YAML_SECRET_LINE = re.compile(r"^(?P<head>\s*(?:-\s+)?(?P<key>[\"']?[\w.-]+[\"']?)\s*:\s+)(?P<value>\S.*)$")


def mask_manifest(text: str) -> str:
    """A YAML (or env-file) text, line by line: `key: value` lines whose key is a secret name get
    their value hidden, as does an `env` entry's `value:` under a secret `name:` and every entry of a
    Secret's `data:`/`stringData:`; credentials in the rest."""
    out: list[str] = []
    secret_env_name = False
    is_secret_kind = False
    data_indent: int | None = None
    for line in (text or "").split("\n"):
        if line.startswith("---"):
            is_secret_kind, data_indent = False, None
        indent = len(line) - len(line.lstrip())
        if data_indent is not None and line.strip() and indent <= data_indent:
            data_indent = None
        m = _YAML_SECRET_LINE.match(line)
        if re.match(r"^kind:\s*[\"']?Secret[\"']?\s*$", line):
            is_secret_kind = True
        if is_secret_kind and re.match(r"^\s*(data|stringData):\s*$", line):
            data_indent = indent
        elif data_indent is not None and m:
            out.append(m.group("head") + MASK)
            continue
        if m:
            key = m.group("key").strip("\"'")
            value = m.group("value")
            if key == "name":
                secret_env_name = is_secret_name(value.strip("\"' "))
            elif key == "value" and secret_env_name and value not in ("|", ">", "|-", ">-"):
                out.append(m.group("head") + MASK)
                continue
            elif is_secret_name(key) and value not in ("|", ">", "|-", ">-", "{}", "[]") and not value.startswith("&"):
                out.append(m.group("head") + MASK)
                continue
        out.append(mask_assignments(line))
    return "\n".join(out)


def mask_tree(obj: Any, key: str = "") -> Any:
    """A copy of a JSON-like tree (Helm values, a Kubernetes object) with secret values hidden:
    scalars under secret-named keys, `env` entries `{name, value}` by their name, credentials in
    every other string."""
    if isinstance(obj, dict):
        if "name" in obj and "value" in obj and isinstance(obj.get("value"), str) and isinstance(obj.get("name"), str):
            out = {k: mask_tree(v, str(k)) for k, v in obj.items() if k != "value"}
            out["value"] = mask_value(obj["name"], obj["value"])[0]
            return {k: out[k] for k in obj}
        return {k: mask_tree(v, str(k)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask_tree(v, key) for v in obj]
    if isinstance(obj, str):
        return mask_value(key, obj)[0] if key else mask_in_text(obj)
    if obj is not None and not isinstance(obj, bool) and key and is_secret_name(key):
        return MASK  # a numeric PIN or password
    return obj


def mask_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A Kubernetes object for a YAML view: Secret `data`/`stringData` hidden whole, the
    last-applied annotation (a full copy, may hold secrets) replaced, the rest through `mask_tree`."""
    out = json.loads(json.dumps(obj))
    secret_data: dict[str, dict[str, str]] = {}
    if out.get("kind") == "Secret":
        for field in ("data", "stringData"):
            if isinstance(out.get(field), dict):
                secret_data[field] = {k: "***masked***" for k in out[field]}
    ann = (out.get("metadata") or {}).get("annotations") or {}
    if "kubectl.kubernetes.io/last-applied-configuration" in ann:
        ann["kubectl.kubernetes.io/last-applied-configuration"] = "***masked (may hold secrets)***"
    masked = mask_tree(out)
    masked.update(secret_data)
    return masked
