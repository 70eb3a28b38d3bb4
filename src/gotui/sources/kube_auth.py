"""Kubeconfig -> `kubernetes.client.ApiClient`, read the way kubectl reads it.

Replaces the official client's loader, whose defects bit real kubeconfigs: it needs a current-context
even when a context is named, keeps a tokenFile's trailing newline (the header then fails and the error
shows the token), runs exec plugins on the terminal and goes on without credentials when they fail, and
writes inline keys to /tmp. Here:

- files merge as kubectl merges them (the first file to name an entry or a current-context wins);
- tokens (inline, tokenFile re-read when it changes, exec plugin, OIDC id-token) are trimmed and checked;
  a credential that cannot be had raises, so no request ever goes out without it;
- TLS is one in-memory `ssl.SSLContext`: certificate-authority-data through `cadata`, an inline client
  certificate and key through an anonymous memory file (memfd) — no key material touches the disk;
- `proxy-url` may be http(s):// or socks5:// (names resolved by the proxy, as kubectl does); without
  one, HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply as in kubectl (never to loopback addresses).

No Textual import here.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gotui.sources.exec_plugin import DEFAULT_TIMEOUT, CredentialError, run_exec_plugin

EXPIRY_SKEW = 10.0  # re-run an exec plugin this many seconds before its credential expires
TOKEN_FILE_RECHECK = 60.0  # client-go re-reads a tokenFile at most once a minute


class KubeConfigProblem(Exception):
    """The kubeconfig cannot be used; the message names the file, the line when known, and the fix."""


class KubeCredentialProblem(KubeConfigProblem, CredentialError):
    """Credentials of the kubeconfig's user cannot be had (exec plugin, token file...)."""


@dataclass
class Entry:
    """One named entry of a kubeconfig (its body) and the directory of the file it came from."""

    body: dict[str, Any]
    base_dir: Path


@dataclass
class KubeConfig:
    """The merged kubeconfig files."""

    files: list[Path]
    contexts: dict[str, Entry] = field(default_factory=dict)
    clusters: dict[str, Entry] = field(default_factory=dict)
    users: dict[str, Entry] = field(default_factory=dict)
    current: str | None = None

    @property
    def where(self) -> str:
        return str(self.files[0]) if self.files else "kubeconfig"


def merge_kubeconfig(docs: list[tuple[Path, dict[str, Any]]]) -> KubeConfig:
    """Merge parsed kubeconfig files ((path, mapping), in order) like kubectl does. The files are read
    and parsed once by `gotui.kube.client.load_kubeconfig`, never here."""
    cfg = KubeConfig(files=[path for path, _ in docs])
    sections = (("contexts", "context", cfg.contexts), ("clusters", "cluster", cfg.clusters), ("users", "user", cfg.users))
    for path, data in docs:
        base = path.resolve().parent
        for section, key, into in sections:
            items = data.get(section) or []
            if not isinstance(items, list):
                raise KubeConfigProblem(f"kubeconfig {path}: `{section}:` must be a list. Fix the YAML there.")
            for item in items:
                if not isinstance(item, dict) or not item.get("name"):
                    raise KubeConfigProblem(f"kubeconfig {path}: an entry of `{section}:` has no name. Fix the YAML there.")
                body = item.get(key) or {}
                if not isinstance(body, dict):
                    raise KubeConfigProblem(f"kubeconfig {path}: {section} entry {item['name']!r} has no `{key}:` mapping.")
                into.setdefault(str(item["name"]), Entry(body, base))
        if not cfg.current and data.get("current-context"):
            cfg.current = str(data["current-context"])
    return cfg


def pick_context(cfg: KubeConfig, context: str | None) -> tuple[str, dict[str, Any]]:
    """The named context, else the current one; a clear problem when neither exists."""
    names = ", ".join(cfg.contexts) or "none"
    if not cfg.contexts:
        raise KubeConfigProblem(f"kubeconfig {cfg.where} has no contexts. Add one or use another file.")
    name = context or cfg.current
    if not name:
        raise KubeConfigProblem(
            f"kubeconfig {cfg.where} sets no current-context. Pick one with --context or the context picker (c) "
            f"(it has: {names})."
        )
    if name not in cfg.contexts:
        raise KubeConfigProblem(
            f"context {name!r} is not in kubeconfig {cfg.where} (it has: {names}). "
            "Pick one with --context or the context picker (c)."
        )
    return name, cfg.contexts[name].body


def build_api_client(cfg: KubeConfig, context: str | None = None, *,
                     exec_timeout: float = DEFAULT_TIMEOUT) -> tuple[Any, str, str | None]:
    """(ApiClient, context name, the context's namespace). Runs an exec plugin now if the user has one."""
    from kubernetes.client import ApiClient, Configuration

    name, ctx = pick_context(cfg, context)
    cluster_name = str(ctx.get("cluster") or "")
    cluster = cfg.clusters.get(cluster_name)
    if cluster is None:
        raise KubeConfigProblem(f"context {name!r} names cluster {cluster_name!r}, which is not in kubeconfig {cfg.where}.")
    user_name = str(ctx.get("user") or "")
    user = cfg.users.get(user_name) if user_name else Entry({}, cluster.base_dir)
    if user is None:
        raise KubeConfigProblem(f"context {name!r} names user {user_name!r}, which is not in kubeconfig {cfg.where}.")
    server = str(cluster.body.get("server") or "").rstrip("/")
    if not server:
        raise KubeConfigProblem(f"cluster {cluster_name!r} in kubeconfig {cfg.where} has no `server:`. Add the API server's URL.")

    conf: Any = Configuration()
    conf.host = server
    creds = _Credentials(user, user_name, name, cluster.body, exec_timeout)
    creds.load(conf)
    conf.refresh_api_key_hook = creds.refresh
    tls = _ssl_context(cluster, cluster_name, user, user_name, creds.exec_cert) if server.startswith("https") else None
    api: Any = ApiClient(configuration=conf)
    proxy = str(cluster.body.get("proxy-url") or "") or _env_proxy(server)
    api.rest_client.pool_manager = _pool_manager(cluster.body, tls, conf.connection_pool_maxsize, cluster_name, proxy)
    api.gotui_context = name  # read by the error wording (names the context)
    if isinstance(user.body.get("exec"), dict) and not creds.exec_cert:
        api.gotui_reauth = lambda: creds.rerun(conf)  # a 401 re-runs the plugin once (Watcher)
    api.gotui_client_cert = tls is not None and _has_client_cert(user.body, creds.exec_cert)
    # what the WebSocket streams (exec, port-forward: sources/kube_ws.py) need to reach the same server
    api.gotui_tls = tls
    api.gotui_tls_server_name = str(cluster.body.get("tls-server-name") or "") or None
    api.gotui_proxy = proxy
    return api, name, (str(ctx["namespace"]) if ctx.get("namespace") else None)


def _has_client_cert(user: dict[str, Any], exec_cert: tuple[bytes, bytes] | None) -> bool:
    return exec_cert is not None or bool(user.get("client-certificate-data") or user.get("client-certificate"))


# -- credentials -----------------------------------------------------------------------------------
def _clean_token(raw: str, what: str) -> str:
    """A token as kubectl uses it (surrounding whitespace trimmed); refuse one that cannot be a header."""
    token = raw.strip()
    if not token:
        raise KubeCredentialProblem(f"{what} is empty. Put the token there (or remove the entry).")
    if any(not ch.isprintable() for ch in token):
        raise KubeCredentialProblem(f"{what} contains a line break or control character inside the token. Fix it.")
    from gotui.ops.errors import register_secret

    register_secret(token)
    return token


class _Credentials:
    """The user's bearer credential and how to refresh it (exec plugin expiry, rotated tokenFile)."""

    def __init__(self, user: Entry, user_name: str, context: str, cluster: dict[str, Any], exec_timeout: float) -> None:
        self.user, self.user_name, self.context, self.cluster = user, user_name, context, cluster
        self.exec_timeout = exec_timeout
        self.exec_cert: tuple[bytes, bytes] | None = None
        self._lock = threading.Lock()
        self._expiry: float | None = None
        self._token_file: Path | None = None
        self._token_mtime = 0.0
        self._checked = 0.0
        self._rerun_at = -1e9

    def load(self, conf: Any) -> None:
        body = self.user.body
        value: str | None = None
        if body.get("token"):
            value = "Bearer " + _clean_token(str(body["token"]), f"the token of user {self.user_name!r}")
        elif body.get("tokenFile"):
            self._token_file = self.user.base_dir / os.path.expanduser(str(body["tokenFile"]))
            value = self._read_token_file()
        elif isinstance(body.get("exec"), dict):
            value = self._run_exec()
        elif isinstance(body.get("auth-provider"), dict):
            value = self._auth_provider(body["auth-provider"])
        elif body.get("username") is not None and body.get("password") is not None:
            import urllib3

            from gotui.ops.errors import register_secret

            register_secret(str(body["password"]))
            value = urllib3.util.make_headers(basic_auth=f"{body['username']}:{body['password']}")["authorization"]
            register_secret(value.split(" ", 1)[1])
        if value:
            conf.api_key["BearerToken"] = value

    def refresh(self, conf: Any) -> None:
        """Called by the client before every request: renew a credential about to expire."""
        now = time.time()
        if self._expiry is None and self._token_file is None:
            return
        with self._lock:
            if self._expiry is not None and now >= self._expiry - EXPIRY_SKEW:
                conf.api_key["BearerToken"] = self._run_exec()
            elif self._token_file is not None and now - self._checked >= TOKEN_FILE_RECHECK:
                self._checked = now
                try:
                    changed = self._token_file.stat().st_mtime != self._token_mtime
                except OSError:
                    changed = False  # keep the token in hand; client-go does the same
                if changed:
                    conf.api_key["BearerToken"] = self._read_token_file()

    def rerun(self, conf: Any) -> None:
        """Run the exec plugin again now (the server refused its token before it expired)."""
        with self._lock:
            if time.monotonic() - self._rerun_at < 5:  # another watcher met the same 401 and re-ran it
                return
            conf.api_key["BearerToken"] = self._run_exec()
            self._rerun_at = time.monotonic()

    def _read_token_file(self) -> str:
        path = self._token_file
        assert path is not None
        try:
            self._token_mtime = path.stat().st_mtime
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KubeCredentialProblem(
                f"user {self.user_name!r}: cannot read tokenFile {path} ({exc.strerror}). Fix the path or its permissions."
            ) from None
        self._checked = time.time()
        return "Bearer " + _clean_token(raw, f"tokenFile {path} of user {self.user_name!r}")

    def _run_exec(self) -> str:
        try:
            status = run_exec_plugin(self.user.body["exec"], context=self.context, base_dir=self.user.base_dir,
                                     cluster=self.cluster, timeout=self.exec_timeout)
        except CredentialError as exc:
            raise KubeCredentialProblem(str(exc)) from None
        stamp = status.get("expirationTimestamp")
        self._expiry = _parse_time(str(stamp)) if stamp else None
        if status.get("token"):
            return "Bearer " + _clean_token(str(status["token"]), f"the token from the exec plugin of context {self.context!r}")
        from gotui.ops.errors import register_secret

        key = str(status["clientKeyData"])
        register_secret(key)
        self.exec_cert = (str(status["clientCertificateData"]).encode(), key.encode())
        self._expiry = None  # a new certificate needs a new connection pool: not renewed in place
        return ""

    def _auth_provider(self, provider: dict[str, Any]) -> str:
        name = str(provider.get("name") or "?")
        config = provider.get("config") or {}
        if name == "oidc" and config.get("id-token"):
            return "Bearer " + _clean_token(str(config["id-token"]), f"the oidc id-token of user {self.user_name!r}")
        raise KubeCredentialProblem(
            f"user {self.user_name!r}: auth-provider {name!r} is not supported (kubectl dropped it too). "
            "Use its exec credential plugin instead (e.g. gke-gcloud-auth-plugin, kubelogin)."
        )


def _parse_time(stamp: str) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


# -- TLS and transport -----------------------------------------------------------------------------
def _data_or_file(body: dict[str, Any], key: str, base: Path, owner: str) -> bytes | None:
    """`key-data` (base64) or the file `key` (relative to the kubeconfig's directory) as bytes."""
    if body.get(f"{key}-data"):
        try:
            return base64.b64decode(str(body[f"{key}-data"]), validate=False)
        except (binascii.Error, ValueError):
            raise KubeConfigProblem(f"{owner}: {key}-data is not valid base64. Fix it in the kubeconfig.") from None
    if body.get(key):
        path = base / os.path.expanduser(str(body[key]))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise KubeConfigProblem(f"{owner}: cannot read {key} {path} ({exc.strerror}).") from None
    return None


def _ssl_context(cluster: Entry, cluster_name: str, user: Entry, user_name: str,
                 exec_cert: tuple[bytes, bytes] | None) -> ssl.SSLContext:
    body = cluster.body
    owner = f"cluster {cluster_name!r}"
    ca = _data_or_file(body, "certificate-authority", cluster.base_dir, owner)
    if ca is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # only the kubeconfig's CA is trusted, as in kubectl
        try:
            ctx.load_verify_locations(cadata=ca.decode("ascii", "replace") if b"-----BEGIN" in ca else ca)
        except (ssl.SSLError, ValueError) as exc:
            raise KubeConfigProblem(f"{owner}: certificate-authority is not a valid PEM certificate ({exc}).") from None
    else:
        ctx = ssl.create_default_context()
    if body.get("insecure-skip-tls-verify"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    u_owner = f"user {user_name!r}"
    if exec_cert is not None:
        cert, key = exec_cert
    else:
        cert = _data_or_file(user.body, "client-certificate", user.base_dir, u_owner) or b""
        key = _data_or_file(user.body, "client-key", user.base_dir, u_owner) or b""
    if cert or key:
        if not (cert and key):
            raise KubeConfigProblem(f"{u_owner}: a client certificate needs both client-certificate and client-key.")
        try:
            _load_chain_in_memory(ctx, cert, key)
        except (ssl.SSLError, ValueError) as exc:
            raise KubeConfigProblem(
                f"{u_owner}: the client certificate and key do not load ({getattr(exc, 'reason', None) or exc}). "
                "Fix client-certificate(-data) / client-key(-data)."
            ) from None
    return ctx


def _load_chain_in_memory(ctx: ssl.SSLContext, cert: bytes, key: bytes) -> None:
    """Load a certificate and key without leaving them on disk: an anonymous memory file (Linux), else a
    private (0700) directory removed at once."""
    pem = cert.rstrip(b"\n") + b"\n" + key
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("gotui-client-cert", os.MFD_CLOEXEC)
        try:
            view = memoryview(pem)
            while view:
                view = view[os.write(fd, view):]
            ctx.load_cert_chain(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return
    with tempfile.TemporaryDirectory(prefix="gotui-") as tmp:  # pragma: no cover - non-Linux
        path = os.path.join(tmp, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        ctx.load_cert_chain(path)


def _env_proxy(server: str) -> str:
    """HTTPS_PROXY / HTTP_PROXY / ALL_PROXY for `server` unless NO_PROXY names it; never for a loopback
    address (Go's ProxyFromEnvironment rule, so kubectl's)."""
    import ipaddress
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(server)
    host = parts.hostname or ""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all") or ""
    if not proxy or host == "localhost":
        return ""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return ""
    except ValueError:
        pass
    bypass = getattr(urllib.request, "proxy_bypass_environment", None)  # NO_PROXY (not in the stubs)
    if bypass is not None and (bypass(parts.netloc, proxies) or bypass(host, proxies)):
        return ""
    return proxy


def _pool_manager(cluster: dict[str, Any], tls: ssl.SSLContext | None, maxsize: int | None, cluster_name: str,
                  proxy: str) -> Any:
    import urllib3

    kw: dict[str, Any] = {"maxsize": maxsize or 4}
    if tls is not None:
        kw["ssl_context"] = tls
        insecure = bool(cluster.get("insecure-skip-tls-verify"))
        kw["cert_reqs"] = ssl.CERT_NONE if insecure else ssl.CERT_REQUIRED
        if insecure:
            kw["assert_hostname"] = False
        if cluster.get("tls-server-name"):
            kw["server_hostname"] = str(cluster["tls-server-name"])
    if not proxy:
        return urllib3.PoolManager(**kw)
    scheme = proxy.split("://", 1)[0].lower() if "://" in proxy else ""
    if scheme.startswith("socks"):
        try:
            from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError:
            raise KubeConfigProblem(f"cluster {cluster_name!r}: proxy-url is SOCKS, which needs the PySocks package "
                                    "(pip install PySocks).") from None
        if scheme == "socks5":  # kubectl hands the host name to the proxy; urllib3 calls that socks5h
            proxy = "socks5h" + proxy[len(scheme):]
        return SOCKSProxyManager(proxy, **kw)
    if scheme in ("http", "https"):
        return urllib3.ProxyManager(proxy, **kw)
    raise KubeConfigProblem(f"cluster {cluster_name!r}: proxy-url scheme {scheme or proxy!r} is not supported "
                            "(use http://, https:// or socks5://).")
