"""Which found values belong together: an exchange key, its secret and (where the venue has one) its passphrase.

Input is what the engine hands over inside the process for one file: `RawValue`s (rule id, venue, the raw value,
its line, and the text that names it). Nothing here prints or stores a value; `scan --verify` uses the pairs to
ask the venue what the key may do, then keeps only redacted forms.

A value's role comes from its rule (`...-api-key`, `...-api-secret`, `...-passphrase`, `...-client-id`) or, for
rules that match key and secret alike (`binance-api-credential`), from the name it is assigned to (`apiKey`,
`secret`, `BINANCE_API_SECRET`, `password`). Values with no readable name (positional arguments such as
`Client("...", "...")`) take turns: key first, then secret, in file order. Within one venue, keys and secrets pair
greedily by nearness (fewest lines apart, then the secret after the key); a passphrase goes to its nearest key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Optional

KEY, SECRET, PASSPHRASE = "key", "secret", "passphrase"

# rule id endings that say the role outright
_ROLE_BY_RULE = (
    (re.compile(r"-(?:passphrase|password)$"), PASSPHRASE),
    (re.compile(r"-(?:api-secret|client-secret|private-key|secret-key|secret)$"), SECRET),
    (re.compile(r"-(?:api-key|client-id|key-name|access-key|key-id|key)$"), KEY),
)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_SECRET_WORD = re.compile(r"(?i)secret|private|priv[_.-]?key|privkey|signing")
_PASS_WORD = re.compile(r"(?i)pass(?:phrase|word|wd)?(?![a-z])|pwd|(?<![a-z])pass")
_KEY_WORD = re.compile(r"(?i)key|(?<![a-z])id(?![a-z])|client[_.-]?id|access")


@dataclass(frozen=True)
class RawValue:
    """One secret the engine found, as it is in the file (never printed)."""
    rule: str          # rule id
    venue: str         # the rule's `exchange:` field ("Binance"); "" for non-exchange rules
    value: str         # the raw value
    line: int          # 1-based line of the value's start
    name: str = ""     # the text before the value that names it (same line; the previous line when bare)


@dataclass
class KeyPair:
    """A key with its secret (and passphrase) of one venue, and where they were found."""
    venue: str
    key: RawValue
    secret: RawValue
    passphrase: Optional[RawValue] = None
    members: list = field(default_factory=list)  # the RawValues this pair is made of

    @property
    def identity(self) -> tuple:
        """What makes two pairs the same credential (one request per identity)."""
        return (self.venue, self.key.value, self.secret.value, self.passphrase.value if self.passphrase else None)


def role_from_name(name: str) -> str:
    """The role the name nearest the value gives it ("" when no credential word is there)."""
    for word in reversed(_WORD.findall(name)):
        if _SECRET_WORD.search(word):
            return SECRET
        if _PASS_WORD.search(word):
            return PASSPHRASE
        if _KEY_WORD.search(word):
            return KEY
    return ""


def role_of(value: RawValue) -> str:
    for pattern, role in _ROLE_BY_RULE:
        if pattern.search(value.rule):
            return role
    return role_from_name(value.name)


def pair_values(values: Iterable[RawValue], needs_passphrase: bool = False) -> tuple[list[KeyPair], list[RawValue]]:
    """(pairs, values left without a partner) for the values of ONE venue in ONE file."""
    ordered = sorted({(v.line, v.value): v for v in values}.values(), key=lambda v: v.line)
    keys: list[RawValue] = []
    secrets: list[RawValue] = []
    passphrases: list[RawValue] = []
    unnamed: list[RawValue] = []
    for v in ordered:
        role = role_of(v)
        (keys if role == KEY else secrets if role == SECRET else passphrases if role == PASSPHRASE
         else unnamed).append(v)
    if unnamed:  # positional values: key, secret, key, secret ... in file order, after what has a name
        if len(keys) > len(secrets):
            secrets.extend(unnamed)
        else:
            for i, v in enumerate(unnamed):
                (keys if i % 2 == 0 else secrets).append(v)
    candidates = sorted(
        ((abs(s.line - k.line), s.line < k.line, k.line, s.line, ki, si)
         for ki, k in enumerate(keys) for si, s in enumerate(secrets) if k.value != s.value))
    used_keys: set[int] = set()
    used_secrets: set[int] = set()
    pairs: list[KeyPair] = []
    for *_, ki, si in candidates:
        if ki in used_keys or si in used_secrets:
            continue
        used_keys.add(ki)
        used_secrets.add(si)
        key, secret = keys[ki], secrets[si]
        passphrase = None
        if needs_passphrase and passphrases:
            passphrase = min(passphrases, key=lambda p: (abs(p.line - key.line), p.line < key.line))
        members = [key, secret] + ([passphrase] if passphrase else [])
        pairs.append(KeyPair(key.venue, key, secret, passphrase, members))
    paired = {id(m) for p in pairs for m in p.members}
    left = [v for v in ordered if id(v) not in paired]
    pairs.sort(key=lambda p: p.key.line)
    return pairs, left
