"""Cliffs: inputs whose cost grew faster than their size (issue 17, items 13 and 14), through `crypto-key-guard scan`."""
from __future__ import annotations

import random
import string
import time
from pathlib import Path

import pytest

from crypto_key_guard import cli
from crypto_key_guard.engine import checksums


def _passwords_file(path: Path, count: int, rng: random.Random) -> Path:
    alphabet = string.ascii_letters + string.digits
    path.write_text("".join('{"password": "%s"}\n' % "".join(rng.choice(alphabet) for _ in range(16))
                            for _ in range(count)))
    return path


def _scan_cpu_seconds(path: Path, capsys) -> tuple[float, str]:
    start = time.process_time()  # CPU time of this process: what the scan costs, whatever else the machine runs
    code = cli.main(["scan", "--format", "json", str(path)])
    spent = time.process_time() - start
    out = capsys.readouterr().out
    assert code == 1
    return spent, out


def test_many_findings_in_one_file_cost_linear_time(tmp_path: Path, capsys, rng) -> None:
    """Each finding was ranked against every kept one and counted its line from the start of the file:
    8x the findings took ~40x the time. Linear now: 8x the findings, about 8x the time."""
    small = _passwords_file(tmp_path / "small.json", 1500, rng)
    large = _passwords_file(tmp_path / "large.json", 12000, rng)
    _scan_cpu_seconds(small, capsys)  # rules loaded and compiled before anything is timed
    t_small, out_small = _scan_cpu_seconds(small, capsys)
    t_large, out_large = _scan_cpu_seconds(large, capsys)
    assert out_large.count('"line": ') > 10000
    assert '"line": 12000' in out_large  # line numbers still right at the end of the file
    assert t_large / t_small < 16, (t_small, t_large)


def test_solana_signature_arrays_are_rejected_cheaply(tmp_path: Path, capsys, monkeypatch, rng) -> None:
    """2000 arrays of 64 integers (signatures, hashes) each derived an Ed25519 public key by double-and-add
    (~380 point operations). Now half fail a one-power point check on the would-be public key, and the rest
    take 64 additions on a table built once."""
    calls = 0
    real_add = checksums._ed_add

    def counting_add(a, b):
        nonlocal calls
        calls += 1
        return real_add(a, b)

    monkeypatch.setattr(checksums, "_ed_add", counting_add)
    arrays = 300
    (tmp_path / "sigs.ts").write_text("".join(
        "const sig%d = [%s];\n" % (i, ", ".join(str(rng.randrange(256)) for _ in range(64))) for i in range(arrays)))
    assert cli.main(["scan", str(tmp_path / "sigs.ts")]) == 0
    capsys.readouterr()
    assert calls < 1000 + 64 * arrays * 0.7, calls  # table once, then at most 64 per array surviving the check


def test_fixed_base_multiplication_matches_rfc8032() -> None:
    # RFC 8032, section 7.1, TEST 1 and TEST 2 (published test vectors)
    vectors = {
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60":
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb":
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    }
    for seed, public in vectors.items():
        assert checksums.ed25519_public_key(bytes.fromhex(seed)).hex() == public
        assert checksums.is_ed25519_point(bytes.fromhex(public))


@pytest.mark.parametrize("seed", range(3))
def test_keypairs_still_found_after_the_cheap_check(tmp_path: Path, capsys, seed: int) -> None:
    from crypto_key_guard.engine.examples import expand

    keypair = expand("{solana_keypair}", random.Random(seed))
    (tmp_path / "id.json").write_text(keypair)
    assert cli.main(["scan", str(tmp_path / "id.json")]) == 1
    assert "solana-keypair" in capsys.readouterr().out
