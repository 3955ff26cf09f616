"""checksums.py against independent references: python-mnemonic, a Base58Check encoder written here from the
specification, the secp256k1 order from SEC 2, and RFC 8032's Ed25519 test vectors."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from crypto_key_guard.engine import checksums
from crypto_key_guard.engine.checksums import (
    EXTENDED_PRIVATE_VERSIONS, EXTENDED_PUBLIC_VERSIONS, b58check_decode, b58decode, bip39_checksum_ok,
    bip39_wordlist, decode_wif, ed25519_public_key, entropy_to_mnemonic, in_secp256k1_range,
    is_extended_private_key, is_solana_keypair,
)

REFERENCE = Mnemonic("english")
WORDS = st.sampled_from(REFERENCE.wordlist)
# SEC 2 v2, section 2.4.1: n, the order of the base point G of secp256k1 (written here independently)
SEC2_N = int("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE BAAEDCE6 AF48A03B BFD25E8C D0364141".replace(" ", ""), 16)
PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- an independent Base58Check encoder, from the Bitcoin wiki's description -----------------------------------
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def ref_base58(data: bytes) -> str:
    """Byte-at-a-time base conversion (as Bitcoin Core does it), not big-integer divmod."""
    digits: list[int] = []  # little-endian base-58 digits
    for byte in data:
        carry = byte
        for i in range(len(digits)):
            carry += digits[i] << 8
            digits[i], carry = carry % 58, carry // 58
        while carry:
            digits.append(carry % 58)
            carry //= 58
    leading = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading + "".join(ALPHABET[d] for d in reversed(digits))


def ref_base58check(payload: bytes) -> str:
    return ref_base58(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])


# -- BIP39 -----------------------------------------------------------------------------------------------------
def test_word_list_is_the_bip39_english_list() -> None:
    words = bip39_wordlist()
    assert list(words) == REFERENCE.wordlist
    text = "\n".join(words) + "\n"
    assert hashlib.sha256(text.encode()).hexdigest() == \
        "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda"


@PROPERTY
@given(st.lists(WORDS, min_size=11, max_size=25))
def test_bip39_agrees_with_python_mnemonic_on_random_word_lists(words: list[str]) -> None:
    assert bip39_checksum_ok(words) == REFERENCE.check(" ".join(words))


@PROPERTY
@given(st.sampled_from([16, 20, 24, 28, 32]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
       st.integers(min_value=0), WORDS)
def test_bip39_agrees_on_valid_and_mutated_mnemonics(entropy: bytes, where: int, other: str) -> None:
    words = entropy_to_mnemonic(entropy)
    assert " ".join(words) == REFERENCE.to_mnemonic(entropy)
    assert bip39_checksum_ok(words) and REFERENCE.check(" ".join(words))
    mutated = list(words)
    mutated[where % len(words)] = other
    assert bip39_checksum_ok(mutated) == REFERENCE.check(" ".join(mutated))


@PROPERTY
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", max_size=200))
def test_bip39_agrees_on_arbitrary_text(text: str) -> None:
    assert bip39_checksum_ok(text.split(" ")) == REFERENCE.check(text)


def test_bip39_lengths() -> None:
    words = entropy_to_mnemonic(bytes(range(16)))
    assert bip39_checksum_ok(words)
    assert not bip39_checksum_ok(words[:11]) and not bip39_checksum_ok(words + words[:1])
    assert not bip39_checksum_ok([w.upper() for w in words])
    with pytest.raises(ValueError):
        entropy_to_mnemonic(bytes(15))


def test_word_list_is_read_lazily() -> None:
    """Importing the hooks, the validators and checksums must not read the word list."""
    code = (
        "import crypto_key_guard.crypto_key_patterns, crypto_key_guard.engine.validators, crypto_key_guard.engine.checksums as c\n"
        "from crypto_key_guard.engine.scanner import Scanner\n"
        "Scanner().scan_bytes(b'x = 1\\nprint(x)\\n')\n"
        "assert c._WORDLIST is None, 'loaded without a candidate'\n"
        "Scanner().scan_bytes(b'a ' + b' '.join([b'word'] * 12))\n"
        "assert c._WORDLIST is not None, 'a mnemonic-shaped candidate should load it'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# -- Base58Check, WIF, extended keys ---------------------------------------------------------------------------
@PROPERTY
@given(st.binary(max_size=90))
def test_base58check_agrees_with_the_reference_encoder(payload: bytes) -> None:
    text = ref_base58check(payload)
    assert checksums.b58check_encode(payload) == text
    assert b58check_decode(text) == payload
    assert b58decode(ref_base58(payload)) == payload


@PROPERTY
@given(st.binary(min_size=1, max_size=80), st.integers(min_value=0), st.sampled_from(ALPHABET))
def test_base58check_rejects_a_changed_character(payload: bytes, where: int, char: str) -> None:
    text = ref_base58check(payload)
    i = where % len(text)
    assume(text[i] != char)
    changed = text[:i] + char + text[i + 1:]
    decoded = b58check_decode(changed)
    assert decoded is None or decoded != payload


def test_base58_rejects_characters_outside_the_alphabet() -> None:
    for bad in ("0", "O", "I", "l", "+", " "):
        assert b58decode("abc" + bad) is None and b58check_decode("abc" + bad) is None


keys = st.integers(min_value=1, max_value=SEC2_N - 1).map(lambda k: k.to_bytes(32, "big"))


@PROPERTY
@given(keys, st.booleans(), st.booleans())
def test_wif_round_trip_with_the_reference_encoder(key: bytes, compressed: bool, testnet: bool) -> None:
    text = ref_base58check(bytes([0xEF if testnet else 0x80]) + key + (b"\x01" if compressed else b""))
    assert len(text) == (52 if compressed else 51)
    assert text[0] in (("c" if compressed else "9") if testnet else ("KL" if compressed else "5"))
    assert decode_wif(text) == (key, compressed, "testnet" if testnet else "mainnet")


@PROPERTY
@given(keys, st.integers(min_value=0, max_value=255))
def test_wif_rejects_other_version_bytes(key: bytes, version: int) -> None:
    assume(version not in (0x80, 0xEF))
    assert decode_wif(ref_base58check(bytes([version]) + key + b"\x01")) is None


def test_wif_rejects_keys_outside_the_curve_range_and_bad_flags() -> None:
    for k in (0, SEC2_N, SEC2_N + 1, 2 ** 256 - 1):
        assert decode_wif(ref_base58check(b"\x80" + k.to_bytes(32, "big") + b"\x01")) is None
    assert decode_wif(ref_base58check(b"\x80" + (7).to_bytes(32, "big") + b"\x02")) is None


def ref_extended(version: int, depth: int, parent: bytes, child: int, chain: bytes, key_data: bytes) -> str:
    return ref_base58check(version.to_bytes(4, "big") + bytes([depth]) + parent + child.to_bytes(4, "big")
                           + chain + key_data)


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(sorted(EXTENDED_PRIVATE_VERSIONS)), keys, st.binary(min_size=32, max_size=32),
       st.integers(min_value=1, max_value=255), st.binary(min_size=4, max_size=4),
       st.integers(min_value=0, max_value=2 ** 32 - 1))
def test_extended_private_keys(prefix: str, key: bytes, chain: bytes, depth: int, parent: bytes, child: int) -> None:
    text = ref_extended(EXTENDED_PRIVATE_VERSIONS[prefix], depth, parent, child, chain, b"\0" + key)
    assert text.startswith(prefix) and len(text) == 111
    assert is_extended_private_key(text)
    master = ref_extended(EXTENDED_PRIVATE_VERSIONS[prefix], 0, b"\0" * 4, 0, chain, b"\0" + key)
    assert is_extended_private_key(master)
    # public versions, key data that is not 0x00 || key, and bad checksums are not private keys
    for pub in EXTENDED_PUBLIC_VERSIONS.values():
        assert not is_extended_private_key(ref_extended(pub, depth, parent, child, chain, b"\x02" + key))
    assert not is_extended_private_key(ref_extended(EXTENDED_PRIVATE_VERSIONS[prefix], depth, parent, child,
                                                    chain, b"\x03" + key))
    assert not is_extended_private_key(text[:-1] + ("1" if text[-1] != "1" else "2"))


def test_extended_key_master_must_have_no_parent() -> None:
    key_data = b"\0" + (5).to_bytes(32, "big")
    text = ref_extended(EXTENDED_PRIVATE_VERSIONS["xprv"], 0, b"\1\2\3\4", 0, bytes(32), key_data)
    assert not is_extended_private_key(text)


# -- secp256k1 range --------------------------------------------------------------------------------------------
def test_curve_order_constant() -> None:
    assert checksums.SECP256K1_N == SEC2_N


@PROPERTY
@given(st.one_of(st.integers(min_value=0, max_value=2 ** 256 - 1),
                 st.integers(min_value=SEC2_N - 1000, max_value=SEC2_N + 1000),
                 st.integers(min_value=0, max_value=1000)))
def test_secp256k1_range(k: int) -> None:
    expected = 1 <= k < SEC2_N
    assert in_secp256k1_range(k) == expected
    assert in_secp256k1_range(format(k, "064x")) == expected
    assert in_secp256k1_range("0x" + format(k, "064X")) == expected
    assert in_secp256k1_range(k.to_bytes(32, "big")) == expected


def test_secp256k1_range_rejects_other_shapes() -> None:
    assert not in_secp256k1_range("0x" + "1" * 63)
    assert not in_secp256k1_range("g" * 64)
    assert not in_secp256k1_range(b"\1" * 31)


# -- Ed25519 / Solana keypairs ---------------------------------------------------------------------------------
# RFC 8032, section 7.1, TEST 1-3 (SECRET KEY -> PUBLIC KEY); published test vectors, not keys of anyone.
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"),
]


@pytest.mark.parametrize("secret,public", RFC8032)
def test_ed25519_public_key_rfc8032(secret: str, public: str) -> None:
    assert ed25519_public_key(bytes.fromhex(secret)).hex() == public
    assert is_solana_keypair(bytes.fromhex(secret + public))


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.integers(min_value=0, max_value=63), st.integers(1, 255))
def test_solana_keypair_needs_the_matching_public_half(seed: bytes, where: int, delta: int) -> None:
    pair = list(seed + ed25519_public_key(seed))
    assert is_solana_keypair(pair)
    broken = list(pair)
    broken[where] = (broken[where] + delta) % 256
    assert not is_solana_keypair(broken)
    assert not is_solana_keypair(pair[:63]) and not is_solana_keypair(pair + [0])
    assert not is_solana_keypair(pair[:63] + [256])
