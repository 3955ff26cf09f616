"""Wallet and keystore files recognised by their content, whatever their name.

A Bitcoin Core wallet is a database (Berkeley DB or SQLite) and the text rules never read binary files; an
Ethereum keystore and an Electrum wallet are JSON whose secret is the whole file (an encrypted key), not an
assignment a text rule could anchor on. Each recogniser looks
at the first bytes the scanner has already read (and a BDB file's first megabyte) and makes one finding per
file, fingerprinted on what identifies the wallet's key material. An encrypted wallet is still a finding: its
password can be attacked offline by anyone holding the file.
"""
from __future__ import annotations

import re

from crypto_key_guard.engine.findings import Finding, secret_hash, sha256_hex

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Optional

BDB_MAGICS = (b"\x62\x31\x05\x00", b"\x00\x05\x31\x62", b"\x61\x15\x06\x00", b"\x00\x06\x15\x61")  # btree, hash
BDB_PROBE_BYTES = 1 << 20
# Bitcoin Core record types (length-prefixed key names), found in a BDB wallet's pages
BDB_WALLET_RECORDS = (b"\x04ckey", b"\x03key", b"\x04mkey", b"\x0adefaultkey", b"\x0aminversion",
                      b"\x07keymeta", b"\x09bestblock", b"\x07hdchain", b"\x13walletdescriptorkey")
SQLITE_HEADER = b"SQLite format 3\x00"
# Bitcoin Core's SQLite wallets store the network's message start as PRAGMA application_id (offset 68)
BITCOIN_APP_IDS = {bytes.fromhex(h) for h in ("f9beb4d9", "0b110907", "1c163f28", "0a03cf40", "fabfb5da")}

# patterns as strings: compiled (and cached by `re`) the first time a file needs them, not at hook start-up
_WALLET_NAME = r"(?i)(?:^|[/\\])[^/\\]*wallet[^/\\]*$"
_CIPHERTEXT = rb'"ciphertext"\s*:\s*"([0-9a-fA-F]{32,})"'
_ELECTRUM_KEYS = (b'"seed_version"', b'"wallet_type"')

KEYSTORE_ADVICE = (
    "An encrypted keystore is still a leak: anyone with the file can try passwords offline, and weak ones fall "
    "fast. Move the funds to a new account whose key never touched the repository, then remove the file from "
    "the repository and its history. Keep keystores outside any repository (e.g. ~/.ethereum/keystore).")
WALLET_ADVICE = (
    "A wallet file holds private keys (encrypted or not: a wallet password can be attacked offline). Move the "
    "funds to a new wallet now, then remove the file from the repository and its history; keep wallets and "
    "their backups outside any repository.")

def _finding(path: str, rule: str, description: str, identity: str, redacted: str, advice: str,
             fingerprint=secret_hash) -> Finding:
    return Finding(file=path, line=1, column=1, rule=rule, description=description, severity="critical",
                   confidence="high", redacted=redacted, fingerprint=fingerprint(rule, identity), kind="wallet",
                   remediation=advice)


def binary_wallet(head: bytes, path: str, more=None, fingerprint=secret_hash) -> Optional[Finding]:
    """A Bitcoin Core wallet (Berkeley DB or SQLite) from a binary file's first bytes; `more(n)` reads on.
    `fingerprint(rule, identity)`: the scanner's (salted by the project's ignore file)."""
    if head[12:16] in BDB_MAGICS:
        probe = head
        named = bool(re.search(_WALLET_NAME, path)) or path.lower().endswith(".dat")
        if not named and more is not None:
            probe = head + more(BDB_PROBE_BYTES)
        if named or any(r in probe for r in BDB_WALLET_RECORDS):
            return _finding(path, "bitcoin-core-wallet", "Bitcoin Core wallet (Berkeley DB wallet.dat)",
                            sha256_hex(head[:4096]), "(Berkeley DB wallet)", WALLET_ADVICE, fingerprint)
        return None
    if head.startswith(SQLITE_HEADER) and len(head) >= 100:
        is_bitcoin = head[68:72] in BITCOIN_APP_IDS or (b"TABLE main" in head and b"key BLOB" in head)
        if is_bitcoin or re.search(_WALLET_NAME, path):
            return _finding(path, "bitcoin-core-wallet", "Bitcoin Core wallet (SQLite descriptor wallet)",
                            sha256_hex(head[:4096]), "(SQLite wallet)", WALLET_ADVICE, fingerprint)
    return None


def text_wallet(head: bytes, path: str, fingerprint=secret_hash) -> Optional[Finding]:
    """An Ethereum keystore v3 or an Electrum wallet from a text file's first bytes. (A Solana keypair file,
    a JSON array of 64 numbers, is the text rule solana-keypair's.)"""
    start = head.lstrip()[:1]
    if start == b"{":
        cipher = re.search(_CIPHERTEXT, head)
        if cipher and b'"mac"' in head and (b'"kdf"' in head or b'"kdfparams"' in head):
            value = cipher.group(1).decode("ascii").lower()
            return _finding(path, "ethereum-keystore", "Ethereum keystore (encrypted private key, v3 JSON)",
                            value, f"(keystore, ciphertext {value[:4]}\u2026)", KEYSTORE_ADVICE, fingerprint)
        if all(k in head for k in _ELECTRUM_KEYS) and (b'"keystore' in head or b'"x1/"' in head):
            return _finding(path, "electrum-wallet", "Electrum wallet file", sha256_hex(head),
                            "(Electrum wallet)", WALLET_ADVICE, fingerprint)
    elif head.startswith(b"QklFM") and _b64_prefix(head[:8]) == b"BIE1":  # Electrum storage encryption
        return _finding(path, "electrum-wallet", "Electrum wallet file (encrypted)", sha256_hex(head[:4096]),
                        "(encrypted Electrum wallet)", WALLET_ADVICE, fingerprint)
    return None


def _b64_prefix(chars: bytes) -> bytes:
    import binascii

    try:
        return binascii.a2b_base64(chars)[:4]
    except binascii.Error:
        return b""
