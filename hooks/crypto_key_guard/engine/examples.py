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


# -- wallet secrets: structurally valid fakes (checksums verify), from the seeded rng, hashlib only ---------------
def _random_bytes(rng: random.Random, count: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(count))


def _secp256k1_key(rng: random.Random) -> bytes:
    from crypto_key_guard.engine.checksums import in_secp256k1_range

    while True:
        key = _random_bytes(rng, 32)
        if in_secp256k1_range(key):
            return key


@generator("mnemonic")
def fake_mnemonic(rng: random.Random, arg: Optional[str]) -> str:
    """{mnemonic:N[,style][,badsum]}: N (12/15/18/21/24) words with a valid checksum (badsum: a wrong one).
    Styles: space (default), lines (one per line), escaped (JSON "\\n" between words), numbered ("1. a"),
    bullets ("a\\n  - b"), wrap (6 words a line), comma ("a,b"), json (quoted items: "a", "b"), jsonlines
    (quoted items, one per line), numbered-inline ("1. a 2. b"), dashes, underscores, mdtable ("| 1 | a |"
    rows), mdgrid (Markdown rows of 4 words), columnsN (N numbered columns); upper / title change the case."""
    from crypto_key_guard.engine.checksums import bip39_checksum_ok, bip39_wordlist, entropy_to_mnemonic

    opts = [o.strip() for o in (arg or "12").split(",")]
    count = int(opts[0]) if opts[0].isdigit() else 12
    words = entropy_to_mnemonic(_random_bytes(rng, count * 4 // 3))
    if "badsum" in opts:
        while bip39_checksum_ok(words):
            words[-1] = rng.choice(bip39_wordlist())
    if "upper" in opts:
        words = [w.upper() for w in words]
    if "title" in opts:
        words = [w.capitalize() for w in words]
    if "numbered-inline" in opts:
        return " ".join(f"{i}. {w}" for i, w in enumerate(words, 1))
    if "mdtable" in opts:
        return "\n".join(f"| {i} | {w} |" for i, w in enumerate(words, 1))
    if "mdgrid" in opts:
        return "\n".join("| " + " | ".join(words[i:i + 4]) + " |" for i in range(0, len(words), 4))
    columns = next((int(o[7:]) for o in opts if o.startswith("columns") and o[7:].isdigit()), 0)
    if columns:  # a paper backup: numbered words down each column, the columns side by side
        rows = -(-len(words) // columns)
        return "\n".join("".join(f"{c * rows + r + 1:>2}. {words[c * rows + r]:<12}" for c in range(columns)
                                  if c * rows + r < len(words)).rstrip() for r in range(rows))
    if "dashes" in opts:
        return "-".join(words)
    if "underscores" in opts:
        return "_".join(words)
    if "lines" in opts:
        return "\n".join(words)
    if "escaped" in opts:
        return "\\n".join(words)
    if "bullets" in opts:
        return "\n  - ".join(words)
    if "numbered" in opts:
        return "\n".join(f"{i}. {w}" for i, w in enumerate(words, 1))
    if "wrap" in opts:
        return "\n".join(" ".join(words[i:i + 6]) for i in range(0, len(words), 6))
    if "jsonlines" in opts:
        return ",\n    ".join(f'"{w}"' for w in words)
    if "comma" in opts:
        return ",".join(words)
    if "json" in opts:
        return ", ".join(f'"{w}"' for w in words)
    return " ".join(words)


@generator("wif")
def fake_wif(rng: random.Random, arg: Optional[str]) -> str:
    """{wif} compressed mainnet (K/L...), {wif:uncompressed} (5...), {wif:testnet}, {wif:testnet-uncompressed}."""
    from crypto_key_guard.engine.checksums import encode_wif

    opts = arg or ""
    return encode_wif(_secp256k1_key(rng), compressed="uncompressed" not in opts, testnet="testnet" in opts)


def _extended_key(rng: random.Random, version: int, key_data: bytes) -> str:
    from crypto_key_guard.engine.checksums import encode_extended_key

    depth = rng.choice((0, 1, 3, 5))
    fingerprint = _random_bytes(rng, 4) if depth else b"\0\0\0\0"
    child = rng.getrandbits(32) if depth else 0
    return encode_extended_key(version, depth, fingerprint, child, _random_bytes(rng, 32), key_data)


@generator("xprv")
def fake_xprv(rng: random.Random, arg: Optional[str]) -> str:
    """{xprv} or {xprv:zprv} / tprv / Yprv ...: a BIP32 extended private key, 111 characters."""
    from crypto_key_guard.engine.checksums import EXTENDED_PRIVATE_VERSIONS

    return _extended_key(rng, EXTENDED_PRIVATE_VERSIONS[arg or "xprv"], b"\0" + _secp256k1_key(rng))


@generator("xpub")
def fake_xpub(rng: random.Random, arg: Optional[str]) -> str:
    """{xpub} or {xpub:zpub}: an extended *public* key (not a secret), for no_match examples."""
    from crypto_key_guard.engine.checksums import EXTENDED_PUBLIC_VERSIONS

    return _extended_key(rng, EXTENDED_PUBLIC_VERSIONS[arg or "xpub"],
                         bytes([rng.choice((2, 3))]) + _random_bytes(rng, 32))


@generator("eth_key")
def fake_eth_key(rng: random.Random, arg: Optional[str]) -> str:
    """{eth_key}: 64 hex digits in the secp256k1 range; {eth_key:0x} with the prefix; {eth_key:upper}."""
    text = _secp256k1_key(rng).hex()
    if arg and "upper" in arg:
        text = text.upper()
    return ("0x" if arg and "0x" in arg else "") + text


@generator("secp_overflow")
def fake_secp_overflow(rng: random.Random, _arg: Optional[str]) -> str:
    """64 hex digits >= the secp256k1 order n: key-shaped, but no valid private key."""
    from crypto_key_guard.engine.checksums import SECP256K1_N

    return format(rng.randrange(SECP256K1_N, 1 << 256), "064x")


@generator("solana_keypair")
def fake_solana_keypair(rng: random.Random, arg: Optional[str]) -> str:
    """{solana_keypair}: [seed..., public key...] as written by solana-keygen (a real Ed25519 pair).
    {solana_keypair:pretty} one number per line; {solana_keypair:base58} as wallets export it; {solana_keypair:hex};
    {solana_keypair:bad} a public half that does not match."""
    from crypto_key_guard.engine.checksums import ed25519_public_key

    seed = _random_bytes(rng, 32)
    public = _random_bytes(rng, 32) if arg and "bad" in arg else ed25519_public_key(seed)
    if arg and "base58" in arg:
        from crypto_key_guard.engine.checksums import b58encode

        return b58encode(seed + public)
    if arg and "hex" in arg:
        return (seed + public).hex()
    numbers = [str(b) for b in seed + public]
    if arg and "pretty" in arg:
        return "[\n  " + ",\n  ".join(numbers) + "\n]"
    return "[" + ",".join(numbers) + "]"


@generator("sui_privkey")
def fake_sui_private_key(rng: random.Random, arg: Optional[str]) -> str:
    """{sui_privkey}: suiprivkey1... (Bech32 of flag 0 + 32 random bytes; checksum valid); {sui_privkey:secp256k1}
    flag 1; {sui_privkey:badsum} the last character changed, so the checksum fails."""
    from crypto_key_guard.engine.checksums import BECH32_CHARSET, SUI_PRIVATE_KEY_HRP, bech32_encode

    flag = 1 if arg and "secp256k1" in arg else 0
    text = bech32_encode(SUI_PRIVATE_KEY_HRP, bytes([flag]) + _random_bytes(rng, 32))
    if arg and "badsum" in arg:
        text = text[:-1] + BECH32_CHARSET[(BECH32_CHARSET.index(text[-1]) + 1) % 32]
    return text


def _b64url(data: bytes, pad: bool = False) -> str:
    import base64

    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if pad else text.rstrip("=")


@generator("fernet")
def fake_fernet_token(rng: random.Random, arg: Optional[str]) -> str:
    """{fernet} or {fernet:N}: a Fernet token's structure around N (default 64) random plaintext bytes' worth of
    random ciphertext (no key exists for it: it decrypts to nothing)."""
    size = int(arg) if arg and arg.isdigit() else 64
    blocks = size // 16 + 1
    timestamp = (1_600_000_000 + rng.getrandbits(26)).to_bytes(8, "big")
    return _b64url(b"\x80" + timestamp + _random_bytes(rng, 16 + 16 * blocks + 32), pad=True)


@generator("jwt")
def fake_jwt(rng: random.Random, arg: Optional[str]) -> str:
    """{jwt}: an HS256 JWT with random claims and a random signature. {jwt:anon} a Supabase-style public anon key;
    {jwt:example} the tutorials' example claims; {jwt:none} unsigned (alg none); {jwt:expired} expired in 2025;
    {jwt:future} expiring in 2100."""
    import json

    opts = arg or ""
    header = {"alg": "none" if "none" in opts else "HS256", "typ": "JWT"}
    if "example" in opts:
        claims: dict = {"sub": "1234567890", "name": "John Doe", "iat": 1516239022}
    else:
        claims = {"sub": fake_uuid(rng, None), "iat": 1_700_000_000 + rng.getrandbits(24)}
        if "anon" in opts:
            claims.update(role="anon", ref=random_string(rng, ALPHABETS["lower"], 20))
        else:
            claims["scope"] = rng.choice(("trade", "read", "api"))
        if "expired" in opts or "future" in opts:
            claims["exp"] = (1_735_689_600 if "expired" in opts else 4_102_444_800) + rng.getrandbits(20)
    signature = "" if "none" in opts else _b64url(_random_bytes(rng, 32))
    return ".".join((_b64url(json.dumps(header, separators=(",", ":")).encode()),
                     _b64url(json.dumps(claims, separators=(",", ":")).encode()), signature))


@generator("basic_auth")
def fake_basic_auth(rng: random.Random, arg: Optional[str]) -> str:
    """{basic_auth}: base64 of user:password with a random password; {basic_auth:filler} of user:password."""
    import base64

    user = random_string(rng, ALPHABETS["lower"], 8)
    password = "password" if arg == "filler" else random_string(rng, ALPHABETS["alnum"], 20)
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
