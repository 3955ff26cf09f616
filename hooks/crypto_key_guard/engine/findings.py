"""Findings and redaction: a finding holds the redacted value from the moment it is made."""
from __future__ import annotations

import re

from crypto_key_guard.util.display import printable
from crypto_key_guard.util.records import record

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Sequence

ELLIPSIS = "\u2026"


def redact(secret: str) -> str:
    """Show at most min(4, len // 5) characters at each end; multi-line secrets show only their first word."""
    stripped = secret.strip()
    if "\n" in stripped or "\\n" in stripped or " " in stripped or _is_word_list(stripped):
        # PEM blocks and mnemonics: the header or first word only, and how many words there were.
        if stripped.startswith("-----BEGIN"):
            header = stripped.split("-----")[1] if stripped.count("-----") >= 2 else "BEGIN"
            return f"-----{header}-----{ELLIPSIS}"
        # words are runs of letters: list numbers ('1.'), bullets, quotes and commas are not words
        words = _words(stripped.replace("\\n", " ")) or stripped.replace("\\n", " ").split()
        first = words[0] if words else ""
        keep = min(len(first), 4, len(stripped) // 5)
        return f"{first[:keep]}{ELLIPSIS}({len(words)} words)"
    keep = min(4, len(secret) // 5)
    if keep == 0:
        return ELLIPSIS
    return f"{secret[:keep]}{ELLIPSIS}{secret[-keep:]}"


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"[^\W\d_]+", text)


def _is_word_list(text: str) -> bool:
    """'abandon,ability,able,...': a phrase joined by commas, no spaces."""
    parts = text.split(",")
    return len(parts) >= 3 and all(p.isalpha() for p in parts)


def sha256_hex(data: bytes) -> str:
    import hashlib  # 0.9 ms of a hook run (measured): not worth a workaround

    return hashlib.sha256(data).hexdigest()


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    import hmac

    return hmac.digest(key, data, "sha256")


def secret_hash(rule_id: str, secret: str) -> str:
    """The old, unkeyed fingerprint (v1): sha256(rule NUL secret). A short or dictionary secret is found again from
    it by guessing, so it is computed only to migrate old ignore files (`crypto-key-guard ignore migrate`)."""
    return sha256_hex(f"{rule_id}\0{secret}".encode("utf-8", "surrogatepass"))


FINGERPRINT_KEY_ENV = "CRYPTO_KEY_GUARD_FINGERPRINT_KEY"  # a secret kept outside the repository (optional)
_FINGERPRINT_CONTEXT = b"crypto-key-guard fingerprint v2\0"


class Fingerprinter:
    """Fingerprints of (rule, secret): HMAC-SHA256 under a key made of the repository's salt (committed in the
    ignore file, so every clone and CI run computes the same fingerprints) and, when set, a secret key from the
    environment. Without the key a fingerprint cannot be checked against guesses; with a public salt only, a
    guess costs an HMAC per rule and candidate, and tables made for one repository are useless for another.

    A deliberately slow hash (scrypt/PBKDF2) per finding was measured and rejected: a file with 20,000
    findings would take minutes to fingerprint (see the README, "Fingerprints")."""
    __slots__ = ("salt", "_secret", "_inner", "_outer")

    def __init__(self, salt: str = "", secret: str | None = None) -> None:
        import os

        self.salt = salt
        self._secret = os.environ.get(FINGERPRINT_KEY_ENV, "") if secret is None else secret
        key = _FINGERPRINT_CONTEXT + salt.encode("utf-8") + b"\0" + self._secret.encode("utf-8", "surrogatepass")
        from hashlib import sha256
        key = sha256(key).digest().ljust(64, b"\0")
        # HMAC's two padded-key states, made once: a fingerprint is then two short hash updates
        self._inner = sha256(bytes(b ^ 0x36 for b in key))
        self._outer = sha256(bytes(b ^ 0x5C for b in key))

    def __reduce__(self) -> tuple:  # worker processes rebuild the hash states
        return (Fingerprinter, (self.salt, self._secret))

    @property
    def keyed(self) -> bool:
        """Whether a secret key (not only the public salt) goes into the fingerprints."""
        return bool(self._secret)

    def __call__(self, rule_id: str, secret: str) -> str:
        inner = self._inner.copy()
        inner.update(f"{rule_id}\0{secret}".encode("utf-8", "surrogatepass"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def mask_reported(text: str, findings, fingerprint, limit: int = 400) -> str:
    """`text` (the first `limit` characters) with every occurrence of a reported secret replaced by its redaction,
    whatever its length: user text we print (a commit subject, a ref name) may hold the very value we report.

    The findings hold no raw value, so candidates are the substrings between word boundaries that begin and end
    as a finding's redaction shows and are as long as it implies; one whose redaction is the finding's is
    fingerprinted, and replaced when the fingerprint is that finding's."""
    import bisect

    text = text[:limit]
    shapes: dict[str, tuple[str, str, int, int, set]] = {}
    for f in findings:
        shown = f.redacted
        if shown not in shapes:
            pre, _, rest = shown.partition(ELLIPSIS)
            words = rest.startswith("(") and rest.endswith(" words)")
            suf = "" if words else rest
            keep = len(pre) if not words else 0
            low, high = (5 * keep, 5 * keep + 4) if 0 < keep < 4 and not words else \
                (20, len(text)) if keep == 4 or words else (1, 4)
            if words or shown.startswith("-----"):
                low, high = 1, len(text)
            shapes[shown] = (pre, suf, low, high, set())
        shapes[shown][4].add((f.rule, f.fingerprint))
    if not shapes or not text:
        return text
    cuts = sorted({0, len(text)} | {i for i in range(1, len(text))
                                    if not (text[i - 1].isalnum() and text[i].isalnum())})
    spans: list[tuple[int, int, str]] = []
    for a, start in enumerate(cuts):
        for shown, (pre, suf, low, high, pairs) in shapes.items():
            if not text.startswith(pre, start):
                continue
            for end in cuts[bisect.bisect_left(cuts, start + low, a + 1):bisect.bisect_right(cuts, start + high)]:
                if text.endswith(suf, start, end):
                    candidate = text[start:end]
                    if redact(candidate) == shown and any(fingerprint(rule, candidate) == fp for rule, fp in pairs):
                        spans.append((start, end, shown))
    if not spans:
        return text
    out, at = [], 0
    for start, end, shown in sorted(spans, key=lambda s: (s[0], -s[1])):  # longest first where spans overlap
        if start >= at:
            out.append(text[at:start] + shown)
            at = end
    return "".join(out) + text[at:]


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


_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{24,}")


def safe_subject(subject: str, scanner, reported: Sequence[Finding] = ()) -> str:
    """A commit subject is user text: it is shown only if the scanner finds nothing in it, with every reported
    secret masked wherever it appears (a short key named in a subject is found only in its file), long tokens
    redacted."""
    if scanner.scan_bytes(subject.encode("utf-8", "replace")):
        return "(subject withheld: it holds a secret)"
    subject = mask_reported(subject, reported, scanner.fingerprint)
    return printable(_LONG_TOKEN.sub(lambda m: redact(m.group(0)), subject))[:100]
