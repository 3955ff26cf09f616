"""Findings and redaction: a finding holds the redacted value from the moment it is made."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field

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


def secret_hash(rule_id: str, secret: str) -> str:
    """A stable fingerprint of (rule, secret): usable in ignore files, never reversible to the value."""
    return hashlib.sha256(f"{rule_id}\0{secret}".encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
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
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        if not data["extra"]:
            del data["extra"]
        return data
