"""A throw-away certificate authority for one lab world: the Kubernetes stand-in's serving cert and
the certs the STS proxy presents for *.amazonaws.com. EC P-256 keys, so issuing is instant.

Lab-only: nothing here is trusted outside the world's own kubeconfig and AWS_CA_BUNDLE.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class CA:
    def __init__(self, directory: Path):
        self.dir = directory
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        self._cert = (
            x509.CertificateBuilder().subject_name(_name("eksdoctor-lab-ca")).issuer_name(_name("eksdoctor-lab-ca"))
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.pem = self._cert.public_bytes(serialization.Encoding.PEM)
        self.path = directory / "lab-ca.pem"
        self.path.write_bytes(self.pem)
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def issue(self, name: str) -> tuple[bytes, bytes]:
        """(cert PEM, key PEM) for a DNS name or an IP address."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        try:
            san = [x509.IPAddress(ipaddress.ip_address(name)), x509.DNSName("localhost")]
        except ValueError:
            san = [x509.DNSName(name)]
        cert = (
            x509.CertificateBuilder().subject_name(_name(name)).issuer_name(self._cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)

    def server_context(self, name: str) -> ssl.SSLContext:
        """A TLS server context presenting a cert for `name` (cached)."""
        with self._lock:
            if name not in self._contexts:
                cert, key = self.issue(name)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                with tempfile.NamedTemporaryFile(dir=self.dir, suffix=".pem") as f:
                    f.write(cert + key)
                    f.flush()
                    ctx.load_cert_chain(f.name)
                self._contexts[name] = ctx
            return self._contexts[name]
