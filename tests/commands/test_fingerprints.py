"""Fingerprints cannot be checked against guesses without the repository's salt or key, stay stable across clones,
and old ignore files migrate (issue 17, item 2); the ignore file is written under the one write policy (item 7)
and holds any file name (item 9). Through the `crypto-key-guard` process and real git."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git

BIN = Path(sys.executable).parent
IGNORE = ".crypto-key-guard-ignore"
WORDS = ["correct", "horse", "battery", "staple", "satoshi", "moonshot", "hodler", "lambo"]


def ckg(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "crypto-key-guard"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env)


def fingerprints(cwd: Path, *paths: str, env: dict | None = None) -> dict[str, str]:
    result = ckg("scan", "--format", "json", *paths, cwd=cwd, env=env)
    return {f["rule"]: f["fingerprint"] for f in json.loads(result.stdout)["findings"]}


@pytest.fixture
def okx_repo(git_repo: Path, fake, rng) -> tuple[Path, str]:
    """An OKX key with an 11-character dictionary passphrase (what was recovered in 512 guesses)."""
    passphrase = rng.choice(WORDS[:4]) + rng.choice(WORDS[4:])
    passphrase = (passphrase + "xxxxxxxxxxx")[:11]
    (git_repo / "okx.py").write_text(
        f'import ccxt\nOKX_API_KEY = "{fake("{uuid}")}"\nOKX_PASSPHRASE = "{passphrase}"\nccxt.okx()\n')
    return git_repo, passphrase


def test_a_short_passphrase_is_not_recovered_from_its_fingerprint(okx_repo) -> None:
    repo, passphrase = okx_repo
    found = fingerprints(repo, "okx.py")
    assert found, "the OKX credentials are found"
    guesses = {(a + b + "xxxxxxxxxxx")[:11] for a in WORDS for b in WORDS}
    assert passphrase in guesses
    for rule, fp in found.items():
        plain = {hashlib.sha256(f"{rule}\0{g}".encode()).hexdigest() for g in guesses}
        plain |= {hashlib.sha256(g.encode()).hexdigest() for g in guesses}
        assert fp not in plain


def test_fingerprints_are_stable_across_clones_and_keyed_by_the_repository(okx_repo, tmp_path: Path) -> None:
    repo, _ = okx_repo
    assert ckg("ignore", "add", "--yes", cwd=repo).returncode == 0
    assert "fingerprint-salt:" in (repo / IGNORE).read_text()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "accepted", "--no-verify")
    accepted = fingerprints(repo, "okx.py")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    assert fingerprints(clone, "okx.py") == accepted  # another checkout, another process: the same
    assert ckg("scan", cwd=clone).returncode == 0      # so the committed entries match there too
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    (other / "okx.py").write_text((repo / "okx.py").read_text())
    assert ckg("ignore", "add", "--yes", cwd=other).returncode == 0
    assert set(fingerprints(other, "okx.py").values()).isdisjoint(accepted.values())  # another salt
    keyed = dict(os.environ, CRYPTO_KEY_GUARD_FINGERPRINT_KEY="kept-outside-the-repository")
    assert set(fingerprints(repo, "okx.py", env=keyed).values()).isdisjoint(accepted.values())


def test_old_ignore_files_are_migrated(okx_repo, fake) -> None:
    repo, passphrase = okx_repo
    before = json.loads(ckg("scan", "--format", "json", "okx.py", cwd=repo).stdout)["findings"]
    rule = next(f["rule"] for f in before if f["redacted"].startswith(passphrase[:2]))
    old = hashlib.sha256(f"{rule}\0{passphrase}".encode()).hexdigest()
    gone = hashlib.sha256(b"binance-api-credential\0" + fake("{alnum:64}").encode()).hexdigest()
    (repo / IGNORE).write_text(f"# ours\n{rule}:{old}  # the passphrase\nbinance-api-credential:{gone}  # removed\n")
    result = ckg("scan", "--format", "json", "okx.py", cwd=repo)
    assert "ignore migrate" in result.stderr  # the old entry no longer matches, and the user is told why
    assert rule in {f["rule"] for f in json.loads(result.stdout)["findings"]}
    check = ckg("ignore", "check", cwd=repo)
    assert check.returncode == 1 and "ignore migrate" in check.stdout  # not "remove the line"
    migrated = ckg("ignore", "migrate", cwd=repo)
    assert migrated.returncode == 0 and "1 entry rewritten" in migrated.stdout and "1 matched no" in migrated.stdout
    text = (repo / IGNORE).read_text()
    assert old not in text.replace(f"# not migrated", "") or text.count(old) == 0
    assert "# the passphrase" in text and f"# not migrated" in text and "fingerprint-salt:" in text
    after = json.loads(ckg("scan", "--format", "json", "okx.py", cwd=repo).stdout)["findings"]
    assert rule not in {f["rule"] for f in after}
    assert "migrate" in ckg("ignore", "migrate", cwd=repo).stdout  # a second run: nothing to do


def test_ignore_add_never_writes_through_a_link_or_over_a_read_only_file(okx_repo, tmp_path: Path) -> None:
    repo, _ = okx_repo
    outside = tmp_path / "outside.txt"
    outside.write_text("# kept\n")
    (repo / IGNORE).symlink_to(outside)
    result = ckg("ignore", "add", "--yes", cwd=repo)
    assert result.returncode == 2 and "symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert (repo / IGNORE).is_symlink() and outside.read_text() == "# kept\n"
    (repo / IGNORE).unlink()
    (repo / IGNORE).write_text("# read-only on purpose\n")
    os.chmod(repo / IGNORE, 0o444)
    result = ckg("ignore", "add", "--yes", cwd=repo)
    assert result.returncode == 2 and "read-only" in result.stderr
    assert (repo / IGNORE).read_text() == "# read-only on purpose\n"
    assert stat.S_IMODE(os.stat(repo / IGNORE).st_mode) == 0o444


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="file names there must be valid Unicode")
def test_ignore_add_with_path_takes_any_file_name(git_repo: Path, fake) -> None:
    name = b"bot\xff.py"
    with open(os.path.join(os.fsencode(git_repo), name), "w") as fh:
        fh.write(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    assert ckg("scan", cwd=git_repo).returncode == 1
    result = ckg("ignore", "add", "--yes", "--with-path", cwd=git_repo)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    (git_repo / IGNORE).read_text(encoding="utf-8")  # valid UTF-8
    assert ckg("scan", cwd=git_repo).returncode == 0
