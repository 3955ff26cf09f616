"""Fake secret values with their real structure, for the quality benchmark's generated corpus.

Everything here is computed from a seeded random.Random or from a public definition (the BIP39 / BIP32
specification vectors, hardhat's documented mnemonic, the Bitcoin wiki's WIF example): no realistic secret is
written down in this file. Checksummed kinds (BIP39, WIF, xprv) are valid, so a checksum validator accepts
them; the "wrong checksum" negatives are valid words whose checksum fails.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import random
from functools import lru_cache

from mnemonic import Mnemonic

from crypto_key_guard.engine.checksums import SECP256K1_N, b58check_encode, encode_extended_key

from crypto_key_guard.engine.examples import ALPHABETS, GENERATORS, random_string

ALNUM, HEX, B64, B64URL, B58 = (ALPHABETS[k] for k in ("alnum", "hex", "base64", "b64url", "base58"))
UPALNUM = ALPHABETS["upalnum"]


def rand_str(rng: random.Random, alphabet: str, n: int) -> str:
    """Random text that mixes classes like a real key (alnum keys always have upper, lower and digits)."""
    return random_string(rng, alphabet, n)


def rand_bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def fake_uuid(rng: random.Random) -> str:
    return GENERATORS["uuid"](rng, None)


# --- wallet keys: the package's own structured generators (checksums verify), plus BIP32 derivation ------
def _gen(name: str, rng: random.Random, arg: str | None = None) -> str:
    return GENERATORS[name](rng, arg)


def eth_private_key(rng: random.Random) -> str:
    return _gen("eth_key", rng)


def wif(rng: random.Random, compressed: bool | None = None, testnet: bool = False) -> str:
    compressed = rng.random() < 0.7 if compressed is None else compressed
    opts = ",".join(o for o, on in (("testnet", testnet), ("uncompressed", not compressed)) if on)
    return _gen("wif", rng, opts or None)


def xprv(rng: random.Random, prefix: str | None = None) -> str:
    return _gen("xprv", rng, prefix or rng.choice(["xprv", "xprv", "xprv", "yprv", "zprv", "tprv"]))


def xpub(rng: random.Random, prefix: str | None = None) -> str:
    return _gen("xpub", rng, prefix or rng.choice(["xpub", "xpub", "ypub", "zpub"]))


def solana_keypair(rng: random.Random) -> list[int]:
    """[seed, public key] of a real Ed25519 pair, as solana-keygen writes it."""
    return json.loads(_gen("solana_keypair", rng))


# secp256k1 point arithmetic, only to derive the hardhat accounts (BIP32 non-hardened steps need a public key)
P = 2**256 - 2**32 - 977
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _point_add(a, b):
    if a is None or b is None:
        return a or b
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return x, (lam * (a[0] - x) - a[1]) % P


def _compressed_pubkey(k: int) -> bytes:
    result, point = None, G
    while k:
        if k & 1:
            result = _point_add(result, point)
        point = _point_add(point, point)
        k >>= 1
    x, y = result
    return bytes([2 + (y & 1)]) + x.to_bytes(32, "big")


def bip32_master(seed: bytes) -> tuple[int, bytes]:
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    return int.from_bytes(digest[:32], "big"), digest[32:]


def bip32_child(k: int, chain: bytes, index: int) -> tuple[int, bytes]:
    data = (b"\0" + k.to_bytes(32, "big")) if index >= 2**31 else _compressed_pubkey(k)
    digest = hmac.new(chain, data + index.to_bytes(4, "big"), hashlib.sha512).digest()
    return (int.from_bytes(digest[:32], "big") + k) % SECP256K1_N, digest[32:]


# --- BIP39 ---------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _mnemo() -> Mnemonic:
    return Mnemonic("english")


def wordlist() -> list[str]:
    return _mnemo().wordlist


def mnemonic(rng: random.Random, words: int | None = None) -> str:
    words = words or rng.choice([12, 12, 12, 15, 18, 21, 24, 24])
    return _mnemo().to_mnemonic(rand_bytes(rng, words * 4 // 3))


def mnemonic_valid(words: list[str]) -> bool:
    return len(words) in (12, 15, 18, 21, 24) and _mnemo().check(" ".join(words))


def bad_checksum_mnemonic(rng: random.Random, words: int | None = None) -> str:
    """Valid BIP39 words whose checksum fails (what a hand-made or mistyped list looks like)."""
    while True:
        phrase = mnemonic(rng, words).split()
        phrase[-1] = rng.choice(wordlist())
        if not mnemonic_valid(phrase):
            return " ".join(phrase)


# Ordinary English made only of BIP39 words; shuffled into sentences of 12+ list words at run time.
BIP39_SENTENCES = [
    "you must never share this secret phrase because someone else can spend all that cash",
    "they will travel over this bridge again tomorrow morning",
    "what you build today can grow into useful work over time",
    "keep this story simple then tell that story again during dinner",
    "only strong winter rain can move that old door",
    "you can have all that you need when you live near ocean",
    "always check twice before you sign any document",
    "good coffee can make any winter morning feel warm again",
    "then they found that old photo inside this box",
    "this little robot can walk around this office then deliver mail",
    "never ignore that weird noise inside this engine",
    "they often walk near this river until sunset then talk about music",
]


def bip39_prose(rng: random.Random) -> str:
    """Sentences of list words only, never a valid mnemonic in any 12..24-word window."""
    words = set(wordlist())
    while True:
        picked = rng.sample(BIP39_SENTENCES, rng.randint(2, 4))
        text = ". ".join(s.capitalize() for s in picked) + "."
        tokens = [t.strip(".").lower() for t in text.split()]
        runs, run = [], []
        for t in tokens:
            if t in words:
                run.append(t)
            else:
                runs.append(run)
                run = []
        runs.append(run)
        if any(mnemonic_valid(r[i:i + n]) for r in runs for n in (12, 15, 18, 21, 24)
               for i in range(0, max(0, len(r) - n) + 1)):
            continue
        return text


# --- public test keys, computed from their public definitions ------------------------------------------------
def public_bip39_vector() -> str:
    """BIP39 test vector: all-zero entropy (abandon x11 + about)."""
    return _mnemo().to_mnemonic(bytes(16))


def hardhat_mnemonic() -> str:
    """hardhat/anvil default: the word 'test' eleven times, then 'junk' (documented in their configs)."""
    return " ".join(["test"] * 11 + ["junk"])


@lru_cache(maxsize=1)
def hardhat_private_keys(count: int = 10) -> tuple[str, ...]:
    """The default accounts: m/44'/60'/0'/0/i of the hardhat mnemonic (BIP39 seed, BIP32 derivation)."""
    k, chain = bip32_master(Mnemonic.to_seed(hardhat_mnemonic(), ""))
    for index in (44 + 2**31, 60 + 2**31, 2**31, 0):
        k, chain = bip32_child(k, chain, index)
    return tuple(f"{bip32_child(k, chain, i)[0]:064x}" for i in range(count))


def bip32_vector1_xprv() -> str:
    """BIP32 test vector 1 master key: seed 000102...0f."""
    k, chain = bip32_master(bytes(range(16)))
    return encode_extended_key(0x0488ADE4, 0, bytes(4), 0, chain, b"\0" + k.to_bytes(32, "big"))


def bitcoin_wiki_wif() -> str:
    """The uncompressed WIF example on the Bitcoin wiki page 'Wallet import format'."""
    key = bytes.fromhex("0C28FCA386C7A227600B2FE50B7CAE11EC86D3BF1FBE471BE89827E19D72AA1D")
    return b58check_encode(b"\x80" + key)


def binance_docs_example() -> tuple[str, str]:
    """Binance's signed-endpoint example (API docs, 'SIGNED Endpoint Examples'): published on purpose."""
    return ("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",  # pragma: allowlist secret
            "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")  # pragma: allowlist secret


# --- public data (looks like secrets, is not) ----------------------------------------------------------------
def eth_address(rng: random.Random) -> str:
    return "0x" + rand_str(rng, HEX, 40)


def btc_address(rng: random.Random) -> str:
    return b58check_encode(b"\0" + rand_bytes(rng, 20))


def solana_pubkey(rng: random.Random) -> str:
    from crypto_key_guard.engine.checksums import b58encode

    return b58encode(rand_bytes(rng, 32))


# --- infrastructure and exchange shapes (from ../shared/reference/key-formats.md) ----------------------------
def telegram_token(rng: random.Random) -> str:
    return f"{rng.randint(10**(rng.choice([8, 9, 10]) - 1), 10**10 - 1)}:AA{rand_str(rng, B64URL, 33)}"


def passphrase(rng: random.Random) -> str:
    """A user-chosen exchange API passphrase (7-32 printable, as the exchanges allow)."""
    words = ["Falcon", "river", "Orbit", "maple", "Quartz", "tiger", "Nova", "cedar", "Delta", "pixel",
             "Harbor", "lunar", "Vortex", "amber", "Summit", "ember"]
    style = rng.randrange(3)
    if style == 0:
        return rng.choice(words) + rng.choice(["", "-", "_", "."]) + rng.choice(words) + str(rng.randint(10, 9999)) \
            + rng.choice(["!", "@", "%", "*", ""])
    if style == 1:
        return rand_str(rng, ALNUM + "!@%^*-_", rng.randint(10, 24))
    return rand_str(rng, ALNUM, rng.randint(12, 32))
