"""Checksums and ranges that make wallet-secret detection precise. Pure functions over hashlib only.

A random string of the right shape almost never passes these checks: a Base58Check string carries a 4-byte
double-SHA-256 checksum (2**-32 by chance), a BIP39 mnemonic 4 to 8 checksum bits, an Ed25519 keypair a public
key that must equal the one derived from its seed. That is what lets the wallet rules run without context.

Nothing here imports anything heavier than hashlib; the BIP39 word list is read on first use only.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Optional, Sequence

# -- Base58 / Base58Check (Bitcoin's alphabet: no 0, O, I, l) ----------------------------------------------------
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(B58_ALPHABET)}


def b58decode(text: str) -> Optional[bytes]:
    """Base58 text -> bytes (leading '1's are leading zero bytes), or None for a character outside the alphabet."""
    number = 0
    for ch in text:
        digit = _B58_INDEX.get(ch)
        if digit is None:
            return None
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, digit = divmod(number, 58)
        out.append(B58_ALPHABET[digit])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def double_sha256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def b58check_decode(text: str) -> Optional[bytes]:
    """The payload of a Base58Check string whose 4-byte checksum verifies, else None."""
    raw = b58decode(text)
    if raw is None or len(raw) < 4:
        return None
    payload, check = raw[:-4], raw[-4:]
    return payload if double_sha256(payload)[:4] == check else None


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + double_sha256(payload)[:4])


# -- secp256k1 -------------------------------------------------------------------------------------------------
# The order n of the secp256k1 group (SEC 2, section 2.4.1). A private key is an integer in [1, n-1].
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def in_secp256k1_range(key: bytes | int | str) -> bool:
    """True for a valid secp256k1 private key: 32 bytes / 64 hex digits (optional 0x) / int in [1, n-1]."""
    if isinstance(key, str):
        text = key[2:] if key[:2] in ("0x", "0X") else key
        if len(text) != 64:
            return False
        try:
            key = int(text, 16)
        except ValueError:
            return False
    elif isinstance(key, (bytes, bytearray)):
        if len(key) != 32:
            return False
        key = int.from_bytes(key, "big")
    return 1 <= key < SECP256K1_N


# -- WIF (wallet import format) --------------------------------------------------------------------------------
WIF_VERSIONS = {0x80: "mainnet", 0xEF: "testnet"}


def decode_wif(text: str) -> Optional[tuple[bytes, bool, str]]:
    """(private key, compressed, network) of a valid WIF string, else None.

    Base58Check of version byte + 32-byte key (+ 0x01 when the public key is compressed): 51 characters
    uncompressed ('5' mainnet, '9' testnet), 52 compressed ('K'/'L' mainnet, 'c' testnet).
    """
    if len(text) not in (51, 52):
        return None
    payload = b58check_decode(text)
    if payload is None or payload[0] not in WIF_VERSIONS:
        return None
    if len(payload) == 33:
        key, compressed = payload[1:], False
    elif len(payload) == 34 and payload[33] == 0x01:
        key, compressed = payload[1:33], True
    else:
        return None
    if not in_secp256k1_range(key):
        return None
    return key, compressed, WIF_VERSIONS[payload[0]]


def encode_wif(key: bytes, compressed: bool = True, testnet: bool = False) -> str:
    return b58check_encode(bytes([0xEF if testnet else 0x80]) + key + (b"\x01" if compressed else b""))


# -- BIP32 extended keys ---------------------------------------------------------------------------------------
# Version bytes of serialized extended *private* keys (BIP32, SLIP-132). The public counterparts (xpub, ...)
# are not secrets and are deliberately absent.
EXTENDED_PRIVATE_VERSIONS = {
    "xprv": 0x0488ADE4, "yprv": 0x049D7878, "zprv": 0x04B2430C, "Yprv": 0x0295B005, "Zprv": 0x02AA7A99,
    "tprv": 0x04358394, "uprv": 0x044A4E28, "vprv": 0x045F18BC, "Uprv": 0x024285B5, "Vprv": 0x02575048,
}
EXTENDED_PUBLIC_VERSIONS = {
    "xpub": 0x0488B21E, "ypub": 0x049D7CB2, "zpub": 0x04B24746, "tpub": 0x043587CF,
}
_PRIVATE_VERSION_SET = frozenset(EXTENDED_PRIVATE_VERSIONS.values())


def is_extended_private_key(text: str) -> bool:
    """A Base58Check string of 78 bytes with a private-key version, key byte 0x00 and a key in range."""
    payload = b58check_decode(text)
    if payload is None or len(payload) != 78:
        return False
    if int.from_bytes(payload[:4], "big") not in _PRIVATE_VERSION_SET:
        return False
    depth, child = payload[4], int.from_bytes(payload[9:13], "big")
    if depth == 0 and (payload[5:9] != b"\0\0\0\0" or child != 0):
        return False  # a master key has no parent fingerprint and no child number
    return payload[45] == 0 and in_secp256k1_range(payload[46:78])


def encode_extended_key(version: int, depth: int, fingerprint: bytes, child: int, chain_code: bytes,
                        key_data: bytes) -> str:
    """Serialize an extended key (BIP32 'Serialization format'): 78 bytes, Base58Check."""
    payload = (version.to_bytes(4, "big") + bytes([depth]) + fingerprint + child.to_bytes(4, "big")
               + chain_code + key_data)
    assert len(payload) == 78
    return b58check_encode(payload)


# -- BIP39 mnemonics -------------------------------------------------------------------------------------------
MNEMONIC_LENGTHS = (12, 15, 18, 21, 24)
_WORDLIST: Optional[tuple[str, ...]] = None
_WORD_INDEX: Optional[dict[str, int]] = None


def bip39_wordlist() -> tuple[str, ...]:
    """The 2048 English BIP39 words, read from package data on first use (never at import)."""
    global _WORDLIST, _WORD_INDEX
    if _WORDLIST is None:
        from importlib.resources import files

        text = (files("crypto_key_guard") / "data" / "bip39-english.txt").read_text("utf-8")
        words = tuple(text.split())
        if len(words) != 2048:
            raise RuntimeError("crypto_key_guard/data/bip39-english.txt is damaged (want 2048 words)")
        _WORDLIST = words
        _WORD_INDEX = {w: i for i, w in enumerate(words)}
    return _WORDLIST


def bip39_index() -> dict[str, int]:
    bip39_wordlist()
    assert _WORD_INDEX is not None
    return _WORD_INDEX


def bip39_checksum_ok(words: Sequence[str]) -> bool:
    """True when `words` is a valid English BIP39 mnemonic: 12/15/18/21/24 list words whose last
    len/3 bits equal the first bits of SHA-256 of the entropy the other bits encode."""
    if len(words) not in MNEMONIC_LENGTHS:
        return False
    index = bip39_index()
    number = 0
    for word in words:
        i = index.get(word)
        if i is None:
            return False
        number = (number << 11) | i
    checksum_bits = len(words) // 3
    entropy = (number >> checksum_bits).to_bytes(checksum_bits * 4, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    return number & ((1 << checksum_bits) - 1) == expected


def entropy_to_mnemonic(entropy: bytes) -> list[str]:
    """BIP39 'Generating the mnemonic': 16/20/24/28/32 bytes of entropy -> 12..24 words."""
    if len(entropy) not in (16, 20, 24, 28, 32):
        raise ValueError("entropy must be 16, 20, 24, 28 or 32 bytes")
    checksum_bits = len(entropy) // 4
    number = (int.from_bytes(entropy, "big") << checksum_bits) | (
        hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits))
    words = bip39_wordlist()
    count = (len(entropy) * 8 + checksum_bits) // 11
    return [words[(number >> (11 * (count - 1 - i))) & 0x7FF] for i in range(count)]


# -- Ed25519 (Solana keypairs) ---------------------------------------------------------------------------------
# RFC 8032, section 5.1: edwards25519 over GF(p), p = 2**255 - 19. A Solana keypair file holds
# seed (32 bytes) || public key (32 bytes); the public key is derived from the seed, so a real keypair proves
# itself and a 64-byte signature, hash pair or test buffer does not.
_P = 2 ** 255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_BY = 4 * pow(5, _P - 2, _P) % _P
_BX = 15112221349535400772501151409588531511454012693041857206046113283949847762202
_BASE = (_BX, _BY, 1, _BX * _BY % _P)  # extended coordinates (X, Y, Z, T)


def _ed_add(a: tuple, b: tuple) -> tuple:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % _P
    bb = (y1 + x1) * (y2 + x2) % _P
    cc = 2 * t1 * t2 * _D % _P
    dd = 2 * z1 * z2 % _P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return e * f % _P, g * h % _P, f * g % _P, e * h % _P


_BASE_TABLE: list = []  # _BASE_TABLE[i][j] = j * 16**i * B: a scalar times B is then 64 additions, no doublings


def _base_table() -> list:
    if not _BASE_TABLE:  # ~1,000 additions, once per process, only when a candidate array is checked
        base = _BASE
        for _ in range(64):
            row = [(0, 1, 1, 0), base]
            for _ in range(14):
                row.append(_ed_add(row[-1], base))
            _BASE_TABLE.append(row)
            base = _ed_add(row[-1], base)
    return _BASE_TABLE


def _ed_base_mult(scalar: int) -> tuple:
    """scalar * B with the fixed-base table: 64 additions where double-and-add takes ~380 operations."""
    result = (0, 1, 1, 0)
    for row in _base_table():
        nibble = scalar & 15
        if nibble:
            result = _ed_add(result, row[nibble])
        scalar >>= 4
    return result


_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def is_ed25519_point(encoded: bytes) -> bool:
    """Whether 32 bytes decode to a point of the curve (RFC 8032, 5.1.3): one modular power. About half of all
    random 32-byte strings do not, so most signatures and hashes are rejected before the public key is derived."""
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= _P:
        return False
    u, v = (y * y - 1) % _P, (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    vxx = v * x * x % _P
    if vxx != u:
        if vxx != (-u) % _P:
            return False
        x = x * _SQRT_M1 % _P
    return not (x == 0 and sign)


def ed25519_public_key(seed: bytes) -> bytes:
    """The Ed25519 public key of a 32-byte seed (RFC 8032, 5.1.5)."""
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes")
    h = hashlib.sha512(seed).digest()
    scalar = int.from_bytes(h[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    x, y, z, _ = _ed_base_mult(scalar)
    zinv = pow(z, _P - 2, _P)
    x, y = x * zinv % _P, y * zinv % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def is_solana_keypair(values: Iterable[int]) -> bool:
    """64 integers 0-255 whose second half is the Ed25519 public key of the first half."""
    data = list(values)
    if len(data) != 64 or any(not 0 <= v <= 255 for v in data):
        return False
    raw = bytes(data)
    return is_ed25519_point(raw[32:]) and ed25519_public_key(raw[:32]) == raw[32:]


# -- Keccak-256 (Ethereum's hash: SHA-3 before its padding changed; hashlib's sha3_256 differs) --------------------
_KECCAK_ROUND_CONSTANTS = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008)
_KECCAK_ROTATIONS = (0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14)
_MASK64 = (1 << 64) - 1


def _keccak_f(lanes: list) -> None:
    """Keccak-f[1600] on 25 64-bit lanes (lanes[x + 5 * y]), in place."""
    for rc in _KECCAK_ROUND_CONSTANTS:
        c = [lanes[x] ^ lanes[x + 5] ^ lanes[x + 10] ^ lanes[x + 15] ^ lanes[x + 20] for x in range(5)]
        for x in range(5):
            d = c[(x - 1) % 5] ^ (((c[(x + 1) % 5] << 1) | (c[(x + 1) % 5] >> 63)) & _MASK64)
            for y in range(0, 25, 5):
                lanes[x + y] ^= d
        moved = [0] * 25
        for x in range(5):
            for y in range(5):
                r = _KECCAK_ROTATIONS[x + 5 * y]
                v = lanes[x + 5 * y]
                moved[y + 5 * ((2 * x + 3 * y) % 5)] = ((v << r) | (v >> (64 - r))) & _MASK64 if r else v
        for x in range(5):
            for y in range(0, 25, 5):
                lanes[x + y] = moved[x + y] ^ (~moved[(x + 1) % 5 + y] & moved[(x + 2) % 5 + y])
        lanes[0] ^= rc


def keccak256(data: bytes) -> bytes:
    """Ethereum's Keccak-256 of data (role ids, event topics, selectors are this hash of a public string)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((rate - (len(data) + 1) % rate) % rate)
    padded[-1] |= 0x80
    lanes = [0] * 25
    for block in range(0, len(padded), rate):
        for i in range(rate // 8):
            lanes[i] ^= int.from_bytes(padded[block + 8 * i: block + 8 * i + 8], "little")
        _keccak_f(lanes)
    return b"".join(lane.to_bytes(8, "little") for lane in lanes[:4])


# -- Bech32 (BIP-173): Sui's suiprivkey1... private keys -------------------------------------------------------------
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
BECH32_CONST = 1  # Bech32; Bech32m (BIP-350) uses 0x2BC830A3


def _bech32_polymod(values: Iterable[int]) -> int:
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= _BECH32_GENERATOR[i] if (top >> i) & 1 else 0
    return chk


def _bech32_hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: Iterable[int], from_bits: int, to_bits: int, pad: bool) -> Optional[list[int]]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or (acc << (to_bits - bits)) & maxv:
        return None  # leftover bits that are not zero padding: not a canonical encoding
    return out


def bech32_decode(text: str) -> Optional[tuple[str, bytes]]:
    """(human-readable part, payload bytes) of a Bech32 string whose checksum verifies; None otherwise.
    One case only (BIP-173: mixed case is invalid); at most 90 characters is not enforced (Sui's keys are 70)."""
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    sep = text.rfind("1")
    if sep < 1 or sep + 7 > len(text):
        return None
    hrp, rest = text[:sep], text[sep + 1:]
    if any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        return None
    try:
        values = [BECH32_CHARSET.index(c) for c in rest]
    except ValueError:
        return None
    if _bech32_polymod(_bech32_hrp_expand(hrp) + values) != BECH32_CONST:
        return None
    payload = _convert_bits(values[:-6], 5, 8, pad=False)
    return None if payload is None else (hrp, bytes(payload))


def bech32_encode(hrp: str, payload: bytes) -> str:
    values = _convert_bits(payload, 8, 5, pad=True) or []
    poly = _bech32_polymod(_bech32_hrp_expand(hrp) + values + [0] * 6) ^ BECH32_CONST
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[v] for v in values + checksum)


# Sui: Bech32("suiprivkey", scheme flag || 32-byte secret); flags 0 Ed25519, 1 Secp256k1, 2 Secp256r1
SUI_PRIVATE_KEY_HRP = "suiprivkey"
SUI_KEY_SCHEMES = {0: "ed25519", 1: "secp256k1", 2: "secp256r1"}


def is_sui_private_key(text: str) -> bool:
    decoded = bech32_decode(text)
    return decoded is not None and decoded[0] == SUI_PRIVATE_KEY_HRP and len(decoded[1]) == 33 \
        and decoded[1][0] in SUI_KEY_SCHEMES


# -- base64 pieces of tokens: JWT segments, Fernet tokens, Basic credentials --------------------------------------------
def b64_decode_loose(text: str, urlsafe: bool = False) -> Optional[bytes]:
    """Standard or URL-safe base64 with or without its padding; None when it is not base64."""
    import base64
    import binascii

    text = text.rstrip("=")
    if len(text) % 4 == 1:
        return None
    padded = text + "=" * (-len(text) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded.encode("ascii"))
        return base64.b64decode(padded.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


FERNET_VERSION = 0x80


def is_fernet_token(text: str) -> bool:
    """A Fernet token (spec: version 0x80 | 8-byte timestamp | 16-byte IV | AES-CBC ciphertext in 16-byte blocks |
    32-byte HMAC), URL-safe base64. The structure is all we can check without the key."""
    raw = b64_decode_loose(text, urlsafe=True)
    return raw is not None and len(raw) >= 73 and raw[0] == FERNET_VERSION and (len(raw) - 57) % 16 == 0
