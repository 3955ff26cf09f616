"""Rule examples are templates filled with seeded fake values, so no realistic secret is ever written down.

`{alnum:64}` -> 64 random [A-Za-z0-9]; `{hex:64}`, `{HEX:32}`, `{base64:88}`, `{b64url:43}`, `{base58:28}`,
`{digits:10}`, `{upper:8}`, `{lower:8}`, `{uuid}`. Generators for structured secrets (mnemonics, WIF, ...)
register with @generator("name") and are written `{name}` or `{name:arg}`.
"""
from __future__ import annotations

import random
import re
import string
import uuid
from typing import Callable, Dict, Optional

ALPHABETS = {
    "alnum": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "base64": string.ascii_letters + string.digits + "+/",
    "b64url": string.ascii_letters + string.digits + "-_",
    "base58": "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
    "digits": string.digits,
    "upper": string.ascii_uppercase,
    "lower": string.ascii_lowercase,
    "upalnum": string.ascii_uppercase + string.digits,
    "lowalnum": string.ascii_lowercase + string.digits,
}
Generator = Callable[[random.Random, Optional[str]], str]
GENERATORS: Dict[str, Generator] = {}
_TEMPLATE = re.compile(r"\{([A-Za-z0-9_]+)(?::([^{}]*))?\}")


def generator(name: str) -> Callable[[Generator], Generator]:
    def register(fn: Generator) -> Generator:
        GENERATORS[name] = fn
        return fn
    return register


@generator("uuid")
def fake_uuid(rng: random.Random, _arg: Optional[str]) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def random_string(rng: random.Random, alphabet: str, length: int) -> str:
    """Random text that is never a low-diversity filler (so a fake key always looks like a key)."""
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(length))
        if alphabet in (ALPHABETS["alnum"], ALPHABETS["base64"], ALPHABETS["b64url"], ALPHABETS["base58"]) \
                and length >= 16 and not (any(c.isupper() for c in value) and any(c.islower() for c in value)
                                          and any(c.isdigit() for c in value)):
            continue
        return value


def expand(template: str, rng: random.Random) -> str:
    """Fill every {kind:length} or {generator} slot of a template."""
    def fill(m: re.Match) -> str:
        kind, arg = m.group(1), m.group(2)
        if kind in ALPHABETS and arg and arg.isdigit():
            return random_string(rng, ALPHABETS[kind], int(arg))
        if kind in GENERATORS:
            return GENERATORS[kind](rng, arg)
        return m.group(0)  # not a slot: regex-like braces in the example text stay as written
    return _TEMPLATE.sub(fill, template)


def seeded(seed: int | str = 0) -> random.Random:
    return random.Random(seed)
