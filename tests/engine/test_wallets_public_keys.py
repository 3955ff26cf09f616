"""Published test keys (hardhat/anvil accounts, BIP39 and BIP32 specification vectors) are not blocking findings;
--include-public-test-keys reports them. The values are derived here from their public recipes (a BIP32/BIP44
derivation written for this test), never written down: patterns/public-test-keys.yaml holds only digests."""
from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest

from crypto_key_guard.engine.checksums import EXTENDED_PRIVATE_VERSIONS, encode_extended_key, entropy_to_mnemonic
from crypto_key_guard.crypto_key_patterns import main
from crypto_key_guard.engine.scanner import Scanner, public_key_digest
from crypto_key_guard.engine.rules import builtin_patterns_dir, default_rules

# -- BIP32 over secp256k1, from the BIP32 and SEC 2 texts ---------------------------------------------------------
P = 2 ** 256 - 2 ** 32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
H = 2 ** 31  # hardened


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (slope * slope - a[0] - b[0]) % P
    return x, (slope * (a[0] - x) - a[1]) % P


def public_key(k: int) -> bytes:
    result, point = None, G
    while k:
        if k & 1:
            result = point_add(result, point)
        point, k = point_add(point, point), k >> 1
    return bytes([2 + (result[1] & 1)]) + result[0].to_bytes(32, "big")


def child(k: int, c: bytes, index: int) -> tuple[int, bytes]:
    """CKDpriv: the private child key and chain code of (k, c) at index."""
    data = (b"\0" + k.to_bytes(32, "big")) if index >= H else public_key(k)
    digest = hmac.new(c, data + index.to_bytes(4, "big"), hashlib.sha512).digest()
    return (int.from_bytes(digest[:32], "big") + k) % N, digest[32:]


def derive(seed: bytes, path: list[int]) -> list[tuple[int, bytes, int, int, bytes]]:
    """Every node (depth, parent fingerprint, index, key, chain code) from the master down the path."""
    digest = hmac.new(b"Bitcoin seed", seed, hashlib.sha512).digest()
    k, c = int.from_bytes(digest[:32], "big"), digest[32:]
    nodes = [(0, b"\0" * 4, 0, k, c)]
    for depth, index in enumerate(path, 1):
        parent = hashlib.new("ripemd160", hashlib.sha256(public_key(k)).digest()).digest()[:4]
        k, c = child(k, c, index)
        nodes.append((depth, parent, index, k, c))
    return nodes


def xprv(node) -> str:
    depth, parent, index, k, c = node
    key_data = b"\0" + k.to_bytes(32, "big")
    return encode_extended_key(EXTENDED_PRIVATE_VERSIONS["xprv"], depth, parent, index, c, key_data)


def bip39_seed(phrase: str) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", phrase.encode(), b"mnemonic", 2048)


HARDHAT_MNEMONIC = " ".join(["test"] * 11 + ["junk"])  # hardhat's and anvil's documented default
_EXTERNAL_CHAIN = derive(bip39_seed(HARDHAT_MNEMONIC), [44 + H, 60 + H, 0 + H, 0])[-1]  # BIP44 m/44'/60'/0'/0
HARDHAT_KEYS = [format(child(_EXTERNAL_CHAIN[3], _EXTERNAL_CHAIN[4], i)[0], "064x") for i in range(20)]
# BIP39 vectors with patterned entropy (00.., 7f.., 80.., ff.. of 16, 24 and 32 bytes): 'abandon ... about' etc.
BIP39_VECTORS = [" ".join(entropy_to_mnemonic(bytes([b]) * n)) for n in (16, 24, 32) for b in (0x00, 0x7F, 0x80, 0xFF)]
# BIP32 test vector 1: seed 000102..0f, chain m/0H/1/2H/2/1000000000
BIP32_TV1 = [xprv(node) for node in derive(bytes(range(16)), [0 + H, 1, 2 + H, 2, 1000000000])]
PUBLIC = default_rules().public_test_keys


def test_derivation_matches_the_published_values() -> None:
    """Hardhat's account #0 is the well-known 0xac0974… key; the digests prove the rest without the values."""
    assert HARDHAT_KEYS[0].startswith("ac0974bec39a17e3")
    assert BIP32_TV1[0].startswith("xprv9s21ZrQH143K3QTDL4LX")
    for value in [HARDHAT_MNEMONIC, *HARDHAT_KEYS, *BIP39_VECTORS, *BIP32_TV1]:
        assert public_key_digest(value) in PUBLIC


def test_digest_ignores_separators_case_and_0x() -> None:
    words = HARDHAT_MNEMONIC.split()
    forms = [HARDHAT_MNEMONIC, "\n".join(words), ",".join(words), ", ".join(f'"{w}"' for w in words),
             ", ".join(f'\\"{w}\\"' for w in words), HARDHAT_MNEMONIC.upper()]
    assert {public_key_digest(f) for f in forms} == {public_key_digest(HARDHAT_MNEMONIC)}
    assert public_key_digest("0x" + HARDHAT_KEYS[1].upper()) == public_key_digest(HARDHAT_KEYS[1])


def files_with_public_keys() -> dict[str, str]:
    return {
        ".env": "".join(f"PRIVATE_KEY_{i}=0x{k}\n" for i, k in enumerate(HARDHAT_KEYS)),
        "hardhat.config.js": ("module.exports = { networks: { hardhat: { accounts: { mnemonic: "
                              f'"{HARDHAT_MNEMONIC}" }} }}, localhost: {{ accounts: [\n'
                              + "".join(f'    "0x{k}",\n' for k in HARDHAT_KEYS[:3]) + "] } } };\n"),
        "words.py": "WORDS = [" + ", ".join(f"'{w}'" for w in HARDHAT_MNEMONIC.split()) + "]\n",
        "vectors.txt": "".join(f"{v}\n\n" for v in BIP39_VECTORS),
        "tv1.json": json.dumps({"chain": BIP32_TV1}, indent=2),
        "anvil.sh": f"cast send --private-key 0x{HARDHAT_KEYS[0]} $TO --value 1ether\n",
    }


@pytest.fixture
def write_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def write(files: dict[str, str]) -> list[str]:
        for name, text in files.items():
            (tmp_path / name).write_text(text)
        return list(files)
    return write


def test_public_test_keys_are_not_blocking(write_files, capsys) -> None:
    names = write_files(files_with_public_keys())
    assert main(["--format", "json", *names]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_include_public_test_keys_reports_them(write_files, capsys) -> None:
    names = write_files(files_with_public_keys())
    assert main(["--format", "json", "--include-public-test-keys", *names]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    per_file: dict[str, int] = {}
    for f in findings:
        per_file[f["file"]] = per_file.get(f["file"], 0) + 1
    assert per_file == {".env": 20, "hardhat.config.js": 4, "words.py": 1, "vectors.txt": 12, "tv1.json": 6,
                        "anvil.sh": 1}


def test_an_ordinary_key_next_to_public_ones_is_still_blocked(write_files, capsys, fake) -> None:
    files = files_with_public_keys()
    files[".env"] += f"PRIVATE_KEY_REAL={fake('{eth_key:0x}')}\n"
    files["vectors.txt"] += fake("{mnemonic:12}") + "\n"
    names = write_files(files)
    assert main(["--format", "json", *names]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert sorted((f["file"], f["line"]) for f in findings) == [(".env", 21), ("vectors.txt", 25)]


def test_the_public_key_file_holds_only_digests() -> None:
    text = (builtin_patterns_dir() / "public-test-keys.yaml").read_text()
    entries = re.findall(r"(?m)^  - (\S+)$", text)
    assert len(entries) >= 150 and all(re.fullmatch(r"[0-9a-f]{64}", e) for e in entries)
    assert len(set(entries)) == len(entries)
    body = "\n".join(line for line in text.splitlines() if line.startswith("  - "))
    assert Scanner(include_public_test_keys=True).scan_bytes(body.encode()) == []


def test_a_public_phrase_followed_by_a_key_on_the_next_line_is_still_public(write_files, capsys) -> None:
    compose = ("services:\n  bot:\n    environment:\n"
               f"      - HD_MNEMONIC={HARDHAT_MNEMONIC}\n    volumes:\n      - ./user_data:/data\n")
    names = write_files({"docker-compose.yml": compose, "seed.txt": "\n".join(HARDHAT_MNEMONIC.split()) + "\n"})
    assert main(["--format", "json", *names]) == 0
    capsys.readouterr()
    assert main(["--format", "json", "--include-public-test-keys", *names]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["file"], f["line"], f["redacted"][-10:]) for f in findings] == [
        ("docker-compose.yml", 4, "(12 words)"), ("seed.txt", 1, "(12 words)")]
