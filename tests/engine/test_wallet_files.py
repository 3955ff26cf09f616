"""Wallet and keystore files recognised by content under any name: scan, hook and history."""
from __future__ import annotations

import json
import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git
from crypto_key_guard.engine.scanner import Scanner

BIN = Path(sys.executable).parent


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def keystore(rng: random.Random) -> bytes:
    return json.dumps({"address": _hex(rng, 40), "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6", "version": 3,
                       "crypto": {"cipher": "aes-128-ctr", "cipherparams": {"iv": _hex(rng, 32)},
                                  "ciphertext": _hex(rng, 64), "kdf": "scrypt",
                                  "kdfparams": {"dklen": 32, "n": 262144, "p": 1, "r": 8, "salt": _hex(rng, 64)},
                                  "mac": _hex(rng, 64)}}).encode()


def bdb_wallet(rng: random.Random) -> bytes:
    page = bytearray(rng.randbytes(8192))
    page[12:16] = struct.pack("<I", 0x053162)
    page[5000:5005] = b"\x04ckey"
    return bytes(page)


def sqlite_wallet(rng: random.Random) -> bytes:
    page = bytearray(rng.randbytes(4096))
    page[:16] = b"SQLite format 3\x00"
    page[68:72] = bytes.fromhex("f9beb4d9")
    return bytes(page)


def electrum(rng: random.Random) -> bytes:
    return json.dumps({"keystore": {"type": "bip32", "xpub": "xpub" + _hex(rng, 40)}, "seed_version": 59,
                       "wallet_type": "standard"}).encode()


def electrum_encrypted(rng: random.Random) -> bytes:
    import base64

    return base64.b64encode(b"BIE1" + rng.randbytes(200))


@pytest.mark.parametrize("maker,rule", [
    (keystore, "ethereum-keystore"), (bdb_wallet, "bitcoin-core-wallet"),
    (sqlite_wallet, "bitcoin-core-wallet"), (electrum, "electrum-wallet"), (electrum_encrypted, "electrum-wallet"),
])
def test_recognised_by_content_under_any_name(rng, maker, rule) -> None:
    import io

    found, _ = Scanner().scan_stream(io.BytesIO(maker(rng)), "data/blob-7")
    assert [f.rule for f in found] == [rule]
    f = found[0]
    assert f.kind == "wallet" and f.severity == "critical" and f.remediation


def test_encrypted_keystore_has_its_own_advice(rng) -> None:
    import io

    f = Scanner().scan_stream(io.BytesIO(keystore(rng)), "k.json")[0][0]
    assert "offline" in f.remediation and "new account" in f.remediation


@pytest.mark.parametrize("content", [
    json.dumps({"crypto": {"cipher": "aes"}, "version": 3}).encode(),               # no ciphertext
    b"SQLite format 3\x00" + bytes(200),                                             # any SQLite database
])
def test_similar_files_are_not_wallets(content) -> None:
    import io

    assert Scanner().scan_stream(io.BytesIO(content), "data/x")[0] == []


def test_scan_hook_and_history_find_wallets(git_repo, rng) -> None:
    (git_repo / "keys").mkdir()
    (git_repo / "keys" / "my-wallet.json").write_bytes(keystore(rng))
    (git_repo / "backup.bin").write_bytes(bdb_wallet(rng))
    out = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--format", "json", "."], cwd=git_repo,
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert sorted(f["rule"] for f in json.loads(out.stdout)["findings"]) == ["bitcoin-core-wallet",
                                                                           "ethereum-keystore"]
    hook = subprocess.run([str(BIN / "crypto-key-patterns"), "keys/my-wallet.json", "backup.bin"], cwd=git_repo,
                          capture_output=True, text=True)
    assert hook.returncode == 1 and "backup.bin" in hook.stdout and "my-wallet.json" in hook.stdout
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "wallets", "--no-verify")
    git(git_repo, "rm", "-rq", "keys", "backup.bin")
    git(git_repo, "commit", "-qm", "gone", "--no-verify")
    hist = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--history", "--format", "json"], cwd=git_repo,
                          capture_output=True, text=True)
    assert hist.returncode == 1
    assert sorted(f["rule"] for f in json.loads(hist.stdout)["findings"]) == ["bitcoin-core-wallet",
                                                                            "ethereum-keystore"]


def test_a_wallet_finding_can_be_accepted_in_the_ignore_file(git_repo, rng) -> None:
    (git_repo / "fixture-keystore.json").write_bytes(keystore(rng))
    scan = [str(BIN / "crypto-key-guard"), "scan", "."]
    assert subprocess.run(scan, cwd=git_repo, capture_output=True).returncode == 1
    added = subprocess.run([str(BIN / "crypto-key-guard"), "ignore", "add", "--yes", "--note", "test fixture"],
                           cwd=git_repo, capture_output=True, text=True)
    assert (git_repo / ".crypto-key-guard-ignore").is_file(), added.stdout + added.stderr
    again = subprocess.run(scan, cwd=git_repo, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
