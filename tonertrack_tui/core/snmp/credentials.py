"""SNMP settings of a printer (version and credentials) and how secrets are masked."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

VERSIONS = ("1", "2c", "3")
AUTH_PROTOCOLS = ("none", "MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("none", "DES", "AES", "AES192", "AES256", "AES192C", "AES256C")
SECRET_FIELDS = ("community", "v3_auth_key", "v3_priv_key")

# Accept the spellings people type; store the canonical one.
_AUTH_ALIASES = {
    "": "none", "none": "none", "noauth": "none",
    "md5": "MD5", "hmac-md5": "MD5",
    "sha": "SHA", "sha1": "SHA", "sha-1": "SHA", "hmac-sha": "SHA",
    "sha224": "SHA224", "sha-224": "SHA224",
    "sha256": "SHA256", "sha-256": "SHA256",
    "sha384": "SHA384", "sha-384": "SHA384",
    "sha512": "SHA512", "sha-512": "SHA512",
}
_PRIV_ALIASES = {
    "": "none", "none": "none", "nopriv": "none",
    "des": "DES",
    "aes": "AES", "aes128": "AES", "aes-128": "AES",
    "aes192": "AES192", "aes-192": "AES192",
    "aes256": "AES256", "aes-256": "AES256",
    # Cisco-style ("Reeder") key extension for AES-192/256
    "aes192c": "AES192C", "aes256c": "AES256C",
}


class CredentialError(ValueError):
    """SNMP settings that cannot work (message names the field)."""


def normalise_auth_proto(value: str | None) -> str:
    key = (value or "").strip().lower()
    if key not in _AUTH_ALIASES:
        raise CredentialError(f"unknown v3 auth protocol {value!r} (use one of {', '.join(AUTH_PROTOCOLS)})")
    return _AUTH_ALIASES[key]


def normalise_priv_proto(value: str | None) -> str:
    key = (value or "").strip().lower()
    if key not in _PRIV_ALIASES:
        raise CredentialError(f"unknown v3 privacy protocol {value!r} (use one of {', '.join(PRIV_PROTOCOLS)})")
    return _PRIV_ALIASES[key]


def mask_secret(value: str | None) -> str | None:
    """Never the secret itself: a fixed mask that only says whether one is set."""
    if value is None:
        return None
    return "••••••" if value else ""


@dataclass(frozen=True, slots=True)
class SnmpSettings:
    version: str = "2c"
    community: str = "public"
    v3_user: str = ""
    v3_auth_proto: str = "none"
    v3_auth_key: str = ""
    v3_priv_proto: str = "none"
    v3_priv_key: str = ""
    timeout: float = 1.0
    retries: int = 1

    def overridden(self, own: dict[str, Any]) -> SnmpSettings:
        """These settings (the config's defaults) with a printer's own values on top; keys that
        are not SNMP settings and blank values are ignored. Not validated."""
        return replace(self, **{k: v for k, v in own.items() if k in _FIELDS and v not in (None, "")})

    def validated(self) -> SnmpSettings:
        """Return a normalised copy, or raise CredentialError naming what is wrong."""
        version = str(self.version).strip().lower().removeprefix("v")
        if version not in VERSIONS:
            raise CredentialError(f"SNMP version must be 1, 2c or 3, not {self.version!r}")
        timeout = float(self.timeout)
        if not 0.05 <= timeout <= 60:
            raise CredentialError(f"timeout must be between 0.05 and 60 seconds, not {self.timeout!r}")
        retries = int(self.retries)
        if not 0 <= retries <= 10:
            raise CredentialError(f"retries must be between 0 and 10, not {self.retries!r}")
        auth = normalise_auth_proto(self.v3_auth_proto)
        priv = normalise_priv_proto(self.v3_priv_proto)
        if version in ("1", "2c"):
            if not self.community:
                raise CredentialError("community must not be empty")
            if any(ord(c) < 32 or ord(c) == 127 for c in self.community):
                raise CredentialError("community must not contain control characters")
        else:
            if not self.v3_user:
                raise CredentialError("SNMPv3 needs a user name (--v3-user)")
            if auth == "none" and priv != "none":
                raise CredentialError("SNMPv3 privacy needs authentication too (set an auth protocol)")
            if auth != "none" and len(self.v3_auth_key) < 8:
                raise CredentialError("SNMPv3 auth key must be at least 8 characters")
            if priv != "none" and len(self.v3_priv_key) < 8:
                raise CredentialError("SNMPv3 privacy key must be at least 8 characters")
        return replace(self, version=version, timeout=timeout, retries=retries,
                       v3_auth_proto=auth, v3_priv_proto=priv)

    def to_json(self) -> dict[str, Any]:
        """Full settings, secrets included: only for printers.json (mode 0600)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def masked_json(self) -> dict[str, Any]:
        """What may be shown, logged, audited or exported."""
        d = self.to_json()
        for key in SECRET_FIELDS:
            d[key] = mask_secret(d[key])
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> SnmpSettings:
        d = d or {}
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known and v is not None})


_FIELDS = frozenset(f.name for f in fields(SnmpSettings))
