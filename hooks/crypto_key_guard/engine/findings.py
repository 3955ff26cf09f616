"""Findings and redaction: a finding holds the redacted value from the moment it is made."""
from __future__ import annotations

from crypto_key_guard.util.records import record

ELLIPSIS = "\u2026"


def redact(secret: str) -> str:
    """Show at most min(4, len // 5) characters at each end; multi-line secrets show only their first word."""
    stripped = secret.strip()
    if "\n" in stripped or "\\n" in stripped or " " in stripped:
        # PEM blocks and mnemonics: the header or first word only, and how many words there were.
        if stripped.startswith("-----BEGIN"):
            header = stripped.split("-----")[1] if stripped.count("-----") >= 2 else "BEGIN"
            return f"-----{header}-----{ELLIPSIS}"
        words = stripped.replace("\\n", " ").split()
        first = words[0] if words else ""
        keep = min(len(first), 4, len(stripped) // 5)
        return f"{first[:keep]}{ELLIPSIS}({len(words)} words)"
    keep = min(4, len(secret) // 5)
    if keep == 0:
        return ELLIPSIS
    return f"{secret[:keep]}{ELLIPSIS}{secret[-keep:]}"


def _sha256():
    """CPython's built-in SHA-256 constructor: importing hashlib loads OpenSSL, ~4 ms of every hook run that
    fingerprints a finding or looks up the parsed-rules cache."""
    try:
        from _sha256 import sha256  # Python <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # Python >= 3.12
        except ImportError:  # another interpreter
            from hashlib import sha256
    return sha256


def sha256_hex(data: bytes) -> str:
    """hashlib.sha256(data).hexdigest() without importing hashlib."""
    return _sha256()(data).hexdigest()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) on the built-in SHA-256: hmac.digest(key, data, 'sha256') without hashlib."""
    sha256 = _sha256()
    if len(key) > 64:
        key = sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in key) + data).digest()
    return sha256(bytes(b ^ 0x5C for b in key) + inner).digest()


def secret_hash(rule_id: str, secret: str) -> str:
    """A stable fingerprint of (rule, secret): usable in ignore files, never reversible to the value."""
    return sha256_hex(f"{rule_id}\0{secret}".encode("utf-8", "surrogatepass"))


@record(compare_last=False)
class Finding:
    file: str
    line: int
    column: int
    rule: str
    description: str
    severity: str
    confidence: str
    redacted: str
    fingerprint: str
    kind: str = "generic"
    remediation: str = ""
    extra: dict = {}  # never mutated: a finding with extras gets its own dict; not compared or hashed

    def to_dict(self) -> dict:
        """The fields as a new dict (extras deep-copied, as dataclasses.asdict did); no 'extra' key when empty."""
        data = self._asdict()
        if data["extra"]:
            import copy

            data["extra"] = copy.deepcopy(data["extra"])
        else:
            del data["extra"]
        return data
