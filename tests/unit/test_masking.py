"""Secret masking: by the words of a name (not substrings: PWD/OLDPWD stay readable) and by value
(URL passwords, token shapes, long random strings), in env, labels, history, YAML trees and manifests."""

from __future__ import annotations

from gotui.ops import image_analysis as ia
from gotui.ops import masking
from gotui.ops.masking import MASK, URL_MASK, mask_manifest, mask_object, mask_tree, mask_value


def test_url_credentials_are_masked_whatever_the_name() -> None:
    env = ["DATABASE_URL=postgres://app:pw-9f3@db.internal:5432/app?sslmode=disable",
           "REDIS_URL=redis://:s3cr3t@redis:6379/0", "UPSTREAM=https://example.com/path", "PWD=/app",
           "OLDPWD=/", "PATH=/usr/local/go/bin:/usr/bin", "HOME=/root"]
    shown = {n: (v, m) for n, v, m in ia.mask_env(env)}
    assert shown["DATABASE_URL"] == (f"postgres://app:{URL_MASK}@db.internal:5432/app?sslmode=disable", True)
    assert shown["REDIS_URL"] == (f"redis://:{URL_MASK}@redis:6379/0", True)
    assert shown["UPSTREAM"] == ("https://example.com/path", False)
    assert shown["PWD"] == ("/app", False) and shown["OLDPWD"] == ("/", False)
    assert shown["PATH"][1] is False and shown["HOME"] == ("/root", False)
    assert "pw-9f3" not in repr(ia.mask_env(env)) and "s3cr3t" not in repr(ia.mask_env(env))
    revealed = {n: v for n, v, _ in ia.mask_env(env, {"DATABASE_URL"})}
    assert "pw-9f3" in revealed["DATABASE_URL"] and "s3cr3t" not in revealed["REDIS_URL"]


def test_secret_names_by_word() -> None:
    for name in ("DB_PASSWORD", "DB_PWD", "MYSQL_PWD", "GITHUB_TOKEN", "vault.token", "apiKey", "API_KEY",
                 "AWS_SECRET_ACCESS_KEY", "SERVICE_CREDENTIALS", "dbPassword", "app.kubernetes.io/secret",
                 "AUTHTOKEN", "SENTRY_DSN"):
        assert masking.is_secret_name(name), name
    for name in ("PWD", "OLDPWD", "PATH", "KEYBOARD_LAYOUT", "AUTHOR", "MODE", "TOKEN_FILE", "secretName",
                 "secretKeyRef", "key", "GOPATH", "MONKEY", "vault.addr"):
        assert not masking.is_secret_name(name), name


def test_token_looking_values() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    for value in (jwt, "ghp_" + "a1B2c3D4" * 5, "AKIAIOSFODNN7EXAMPLE", "xoxb-123456789012-abcdefghij",
                  "Zx8kQ2mP9vL4nR7tY1wB5cF3hJ6dG0sA", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"):
        assert mask_value("SOMETHING", value) == (MASK, True), value
    # digests, commit ids, UUIDs, versions and paths stay readable
    for value in ("sha256:" + "ab12" * 16, "3f2a9c" * 7, "123e4567-e89b-12d3-a456-426614174000", "1.22.5",
                  "/usr/local/go/bin", "linux/amd64"):
        assert mask_value("SOMETHING", value) == (value, False), value


def test_labels_history_and_trees() -> None:
    labels = masking.mask_labels({"vault.token": "s.AbCd1234", "org.opencontainers.image.source": "https://github.com/x/y",
                                  "db.url": "mysql://root:hunter2@db/app"})
    assert labels["vault.token"] == MASK and labels["org.opencontainers.image.source"] == "https://github.com/x/y"
    assert labels["db.url"] == f"mysql://root:{URL_MASK}@db/app"
    assert ia.instruction("/bin/sh -c #(nop)  ENV DATABASE_URL=postgres://a:pw@db/x PWD=/app") == \
        f"ENV DATABASE_URL=postgres://a:{URL_MASK}@db/x PWD=/app"
    values = {"postgresql": {"auth": {"password": "pw1", "username": "app"}, "port": 5432},
              "redis": {"url": "redis://:pw2@r:6379"}, "image": {"tag": "1.2"},
              "env": [{"name": "API_TOKEN", "value": "tok"}, {"name": "MODE", "value": "blue"}]}
    masked = mask_tree(values)
    assert masked["postgresql"]["auth"] == {"password": MASK, "username": "app"}
    assert masked["redis"]["url"] == f"redis://:{URL_MASK}@r:6379" and masked["image"] == {"tag": "1.2"}
    assert masked["env"] == [{"name": "API_TOKEN", "value": MASK}, {"name": "MODE", "value": "blue"}]
    assert "pw1" not in repr(masked) and "pw2" not in repr(masked)


def test_pod_yaml_env_and_helm_manifest() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "api", "labels": {"app": "api"}},
           "spec": {"containers": [{"name": "api", "env": [
               {"name": "DATABASE_URL", "value": "postgres://app:pw@db/app"},
               {"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "PWD", "value": "/app"},
               {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "db", "key": "token"}}}]}]}}
    env = mask_object(pod)["spec"]["containers"][0]["env"]
    assert env[0]["value"] == f"postgres://app:{URL_MASK}@db/app" and env[1]["value"] == MASK
    assert env[2]["value"] == "/app" and env[3]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "token"}}
    secret = mask_object({"kind": "Secret", "metadata": {"name": "db"}, "data": {"password": "aHVudGVyMg=="}})
    assert secret["data"] == {"password": "***masked***"}
    manifest = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  user: YXBw\n  tls.crt: Q0VSVA==\n"
                "---\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - env:\n"
                "        - name: DB_PASSWORD\n          value: hunter2\n        - name: DATABASE_URL\n"
                "          value: postgres://app:pw@db/app\n        - name: PWD\n          value: /app\n")
    out = mask_manifest(manifest)
    assert "YXBw" not in out and "Q0VSVA==" not in out and "hunter2" not in out and ":pw@" not in out
    assert f"value: postgres://app:{URL_MASK}@db/app" in out and "value: /app" in out and "name: db" in out
