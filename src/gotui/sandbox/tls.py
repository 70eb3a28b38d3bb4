"""The sandbox's certificates: a private CA, a server certificate and client certificates, as a real
cluster's (kubeadm-style) PKI has them.

`Pki.create(directory)` makes an ECDSA P-256 CA and a server certificate whose SANs are 127.0.0.1, ::1,
localhost and `gotui-sandbox` (so a kubeconfig's `tls-server-name: gotui-sandbox` verifies);
`issue_client(user, groups)` signs a client certificate with CN = user and one O per group, which is how
the API server reads a user from a certificate. Every file is written into `directory` (mode 0600); the
caller owns that directory and removes it (or keeps it, `keep=True`, to restart with the same CA).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("localhost", "gotui-sandbox")
SERVER_IPS = ("127.0.0.1", "::1")
VALIDITY = datetime.timedelta(days=2)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY))


@dataclass
class ClientCert:
    """A client certificate and its key, as files."""

    user: str
    groups: tuple[str, ...]
    cert_path: Path
    key_path: Path


@dataclass
class Pki:
    """The CA (certificate and key in memory), the server certificate files and the directory they live in."""

    directory: Path
    ca_cert: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey
    ca_path: Path
    server_cert_path: Path
    server_key_path: Path

    @property
    def ca_pem(self) -> bytes:
        """The CA certificate, PEM (what a kubeconfig's certificate-authority-data holds, base64)."""
        return _cert_pem(self.ca_cert)

    @classmethod
    def create(cls, directory: str | os.PathLike, common_name: str = "gotui-sandbox-ca", *,
               keep: bool = False) -> Pki:
        """A CA and a new server certificate written into `directory`. With `keep` the CA key is written
        too (ca.key), and a CA already there (ca.crt + ca.key) is reused: a restarted sandbox is then the
        same cluster to the clients that trust it."""
        directory = Path(directory)
        ca_path, ca_key_path = directory / "ca.crt", directory / "ca.key"
        if keep and ca_path.is_file() and ca_key_path.is_file():
            ca_cert = x509.load_pem_x509_certificate(ca_path.read_bytes())
            loaded = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{ca_key_path}: not an ECDSA key")
            ca_key = loaded
        else:
            ca_key = _key()
            ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
            ca_cert = (_builder(ca_name, ca_name, ca_key.public_key())
                       .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                       .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                    content_commitment=False, key_encipherment=False,
                                                    data_encipherment=False, key_agreement=False,
                                                    encipher_only=False, decipher_only=False), critical=True)
                       .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                       .sign(ca_key, hashes.SHA256()))
            _write(ca_path, _cert_pem(ca_cert))
            if keep:
                _write(ca_key_path, _key_pem(ca_key))
        pki = cls(directory, ca_cert, ca_key, ca_path, directory / "server.crt", directory / "server.key")
        server_key = _key()
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in SERVER_NAMES]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS]
        server = pki._sign(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gotui-sandbox")]), server_key,
                           ExtendedKeyUsageOID.SERVER_AUTH, sans)
        _write(pki.server_cert_path, _cert_pem(server))
        _write(pki.server_key_path, _key_pem(server_key))
        return pki

    def _sign(self, subject: x509.Name, key: ec.EllipticCurvePrivateKey, usage: x509.ObjectIdentifier,
              sans: list[x509.GeneralName] | None = None) -> x509.Certificate:
        builder = (_builder(subject, self.ca_cert.subject, key.public_key())
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False,
                                                content_commitment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                                  critical=False))
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        return builder.sign(self.ca_key, hashes.SHA256())

    def issue_client(self, user: str, groups: tuple[str, ...] = (), name: str | None = None) -> ClientCert:
        """A client certificate (CN = user, O = each group) and key, written as `<name>.crt`/`<name>.key`."""
        attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
        key = _key()
        cert = self._sign(x509.Name(attrs), key, ExtendedKeyUsageOID.CLIENT_AUTH)
        stem = name or "client-" + "".join(c if c.isalnum() else "-" for c in user)
        return ClientCert(user, tuple(groups), _write(self.directory / f"{stem}.crt", _cert_pem(cert)),
                          _write(self.directory / f"{stem}.key", _key_pem(key)))

    def server_context(self) -> ssl.SSLContext:
        """The server's SSL context: its certificate, and client certificates checked against the CA when
        a client sends one (optional, so bearer-token clients connect too)."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.server_cert_path), str(self.server_key_path))
        ctx.load_verify_locations(cadata=self.ca_pem.decode("ascii"))
        ctx.verify_mode = ssl.CERT_OPTIONAL
        return ctx


def client_context(ca_pem: bytes | str, cert: ClientCert | None = None) -> ssl.SSLContext:
    """A client SSL context trusting only `ca_pem`, presenting `cert` when given (tests, raw requests)."""
    ctx = ssl.create_default_context(cadata=ca_pem.decode("ascii") if isinstance(ca_pem, bytes) else ca_pem)
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert_path), str(cert.key_path))
    return ctx

