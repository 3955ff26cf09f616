"""Files that must not be committed by their name (env-file-guard's lists), and the content that clears one:
a Sealed Secrets manifest, a SOPS-encrypted file, a PEM holding only certificates or public keys. Used by the
env-file-guard hook on staged files and by the push gates on the paths a push adds."""
from __future__ import annotations

import re

SECRETS_FILE_ADVICE = ("secrets files must not be committed. Unstage it with `git rm --cached -- {quoted}`, add "
                       "it to .gitignore (`gitignore-enforcer --fix`), and commit a template with empty values "
                       "(e.g. .env.example) instead.")
WALLET_ADVICE = ("a wallet or keystore must never be committed, encrypted or not: its password can be attacked "
                 "offline by anyone holding the file. Unstage it with `git rm --cached -- {quoted}` and keep it "
                 "outside the repository; if it was ever pushed, move the funds to a new wallet.")
KEY_ADVICE = ("private key files must not be committed. Unstage it with `git rm --cached -- {quoted}` and keep "
              "keys outside the repository (~/.ssh, a secrets manager); if it was ever pushed, replace the key.")
CONTENT_PROBE = 64 << 10
# what encrypted-secret tools write: a committed SealedSecret or SOPS file is meant to be public
_ENCRYPTED_MARKERS = (re.compile(rb"(?m)^kind:\s*SealedSecret\b"),
                      re.compile(rb"(?m)^sops:\s*$[\s\S]*\bmac:\s*ENC\["),     # YAML
                      re.compile(rb'"sops"\s*:\s*\{[\s\S]*"mac"\s*:\s*"ENC\['),  # JSON
                      re.compile(rb"(?m)^sops_mac=ENC\["),                           # dotenv
                      re.compile(rb"(?m)^\[sops\]\s*$"))                             # INI


def _head(filename: str) -> bytes | None:
    try:
        with open(filename, "rb") as fh:
            return fh.read(CONTENT_PROBE)
    except OSError:
        return None


def encrypted_for_commit(content: bytes) -> bool:
    """A Sealed Secrets manifest or a SOPS-encrypted file: ciphertext made to be committed."""
    return any(p.search(content) for p in _ENCRYPTED_MARKERS)


def public_only_pem(content: bytes) -> bool:
    """A .pem/.key that holds certificates or public keys only (a CA bundle, a server certificate)."""
    return b"-----BEGIN " in content and b"PRIVATE KEY" not in content


def matching(path: str, patterns) -> str | None:
    """The first pattern that names the file (names compare without case too: .ENV is .env on the file
    systems of Windows and macOS). A pattern without "/" is matched against the name alone (fast: a push judges
    every path it adds)."""
    from fnmatch import fnmatchcase

    from crypto_key_guard.policy.datafiles import path_matches

    norm = path.replace("\\", "/")
    name = norm.rsplit("/", 1)[-1]
    for p in patterns:
        if "/" not in p:
            if fnmatchcase(name, p) or fnmatchcase(name.lower(), p.lower()):
                return p
        elif path_matches(norm, p) or path_matches(norm.lower(), p.lower()):
            return p
    return None


def judge(filename: str, lists, blocked: list[str], head=_head) -> tuple[str, str, str] | None:
    """(kind, pattern, advice) when a file must not be committed by its name; None when it may be (the
    content of templates is judged separately). `head(filename)`: its first bytes, or None if unreadable (a
    push reads them from the pushed commit)."""
    if matching(filename, lists.placeholders):
        return None
    rule = matching(filename, lists.wallets)
    if rule is not None:
        return "wallet-file", rule, WALLET_ADVICE
    rule = matching(filename, lists.private_keys)
    if rule is not None:
        head = _head(filename)
        if head is not None and (public_only_pem(head) or encrypted_for_commit(head)):
            return None
        return "private-key-file", rule, KEY_ADVICE
    rule = matching(filename, blocked)
    if rule is None:
        return None
    if rule.endswith("/") and matching(filename, lists.code_in_blocked_dirs):
        return None  # source code of a package or directory named secrets/
    head = _head(filename)
    if head is not None and encrypted_for_commit(head):
        return None
    return "env-file", rule, SECRETS_FILE_ADVICE
