"""Who is calling: the sandbox's authenticators, as the API server runs them.

Every method needs TLS (client-go sends no credentials to an http:// server).
- `cert`: a client certificate signed by the sandbox CA; user = CN, groups = each O.
- `token`: `Authorization: Bearer <token>` against a table of static tokens (the API server's
  --token-auth-file); the `exec` credential plugin hands out one of these tokens too.
With no method enabled every request is `system:anonymous` (the sandbox's historical behaviour). With any
method enabled a request without valid credentials gets 401 Unauthorized, worded as the API server words
it; a bearer token that matches nothing is 401 even when a certificate would have been absent. Every
authenticated user also gets the group `system:authenticated`, as on a real cluster.
"""

from __future__ import annotations

import contextvars
import secrets
from dataclasses import dataclass, field
from typing import Any

METHODS = ("cert", "token", "exec")
AUTHENTICATED = "system:authenticated"


def subject_user(peercert: dict | None) -> tuple[str, tuple[str, ...]] | None:
    """(user, groups) from a verified peer certificate as `SSLSocket.getpeercert()` returns it: CN and O."""
    if not peercert:
        return None
    user = None
    groups: list[str] = []
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                user = value
            elif key == "organizationName":
                groups.append(value)
    if not user:
        return None
    return user, tuple(groups)


@dataclass(frozen=True)
class UserInfo:
    """An authenticated (or anonymous) user."""

    name: str
    groups: tuple[str, ...] = ()
    method: str = "anonymous"


ANONYMOUS = UserInfo("system:anonymous", ("system:unauthenticated",), "anonymous")
# The user of the request being handled (set by the server's authentication middleware, one per task).
CURRENT_USER: contextvars.ContextVar[UserInfo] = contextvars.ContextVar("gotui_sandbox_user", default=ANONYMOUS)


def parse_methods(value: str) -> tuple[str, ...]:
    """`none`, `all`, or a comma-separated list of cert/token/exec, in METHODS order; ValueError else."""
    words = {w.strip() for w in value.split(",") if w.strip()}
    if not words or words == {"none"}:
        return ()
    if words == {"all"}:
        return METHODS
    unknown = words - set(METHODS)
    if unknown:
        raise ValueError(f"unknown --auth method(s) {sorted(unknown)}: choose none, all or from {', '.join(METHODS)}")
    return tuple(m for m in METHODS if m in words)


@dataclass
class Authenticator:
    """The enabled methods and the static token table."""

    methods: tuple[str, ...] = ()
    tokens: dict[str, UserInfo] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        """Whether requests must carry credentials (any method enabled)."""
        return bool(self.methods)

    def new_token(self, user: str, groups: tuple[str, ...] = (), method: str = "token", token: str | None = None) -> str:
        """Register `token` (a fresh random one by default) for `user` and return it."""
        token = token or secrets.token_urlsafe(24)
        self.tokens[token] = UserInfo(user, tuple(groups) + (AUTHENTICATED,), method)
        return token

    def authenticate(self, headers: Any, peercert: dict | None) -> UserInfo | None:
        """The user behind a request (its headers and verified peer certificate), or None for 401."""
        if not self.required:
            return ANONYMOUS
        if "cert" in self.methods:
            found = subject_user(peercert)
            if found is not None:
                return UserInfo(found[0], found[1] + (AUTHENTICATED,), "cert")
        header = headers.get("Authorization")
        if header:
            scheme, _, token = header.strip().partition(" ")
            if scheme.lower() == "bearer":
                return self.tokens.get(token.strip())
            return None
        return None
