"""scan --history in worker processes: the same report as one process, on a repository with merges, an evil
merge, a UTF-16 file, a `-diff` file and secrets removed later; the blob listing streamed; replace refs."""
from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_key_guard.commands.scan import main
from crypto_key_guard.engine import scanner as engine
from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.sources import history

from conftest import PROJECT_ROOT, git

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
from history_bench import generate_repo  # noqa: E402

SECRET_LINE = 'BINANCE_API_SECRET = "{}"\n'
TIMINGS = ("seconds", "scan_seconds", "blobs_per_second", "mb_per_second")


@pytest.fixture(scope="module")
def trading_repo(tmp_path_factory) -> tuple[Path, list[dict]]:
    """The benchmark's generated history (seeded, 420 commits, side branches merged back, five planted secrets
    removed later, one in UTF-16, one only in a merge), plus a `-diff` file holding a secret."""
    path = tmp_path_factory.mktemp("history") / "bot"
    planted = generate_repo(path, commits=420, files=40)["planted"]
    (path / ".gitattributes").write_text("*.cfg -diff\n")
    (path / "deploy").mkdir(exist_ok=True)
    value = expand("{alnum:64}", random.Random(20261203))
    (path / "deploy" / "keys.cfg").write_text("[binance]\n" + SECRET_LINE.format(value))
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "deploy keys")
    return path, planted


def report(path: Path, capsys, *args: str) -> dict:
    rc = main(["--history", "--format", "json", *args, str(path)])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    for key in TIMINGS:
        doc["stats"].pop(key, None)
    return doc


def test_workers_give_the_report_of_one_process_byte_for_byte(trading_repo, capsys) -> None:
    path, planted = trading_repo
    serial = report(path, capsys, "--jobs", "1")
    parallel = report(path, capsys, "--jobs", "2")
    assert json.dumps(parallel, sort_keys=True) == json.dumps(serial, sort_keys=True)
    # and it is complete: every planted secret (UTF-16, evil merge, context on a line the diff does not show)
    # plus the one in the -diff file, which `git log -p` shows as "Binary files differ"
    files = {p["path"] for f in serial["findings"] for p in f["places"]}
    assert {p["file"] for p in planted} <= files
    assert "deploy/keys.cfg" in files
    assert len(serial["findings"]) >= len(planted) + 1
    assert serial["stats"]["blobs_missing"] == 0
    assert serial["stats"]["unique_blobs"] == serial["stats"]["blobs_scanned"] + serial["stats"]["binary_skipped"]


def test_workers_scan_every_blob_once(trading_repo) -> None:
    path, _ = trading_repo
    repo = history.open_repo(str(path))
    listing = history.list_blobs(repo)
    seen = [blob.sha for blob, outcome in history.scan_blob_outcomes(repo, listing.blobs, Scanner(), jobs=2)]
    assert seen == [b.sha for b in listing.blobs]  # in listing order, none twice, none left out
    assert len(set(seen)) == len(seen)


def test_spawned_workers_give_the_same_findings(trading_repo, monkeypatch) -> None:
    """macOS and Windows start workers with spawn: the scanner and the blob references travel pickled."""
    path, _ = trading_repo
    monkeypatch.setattr(engine, "START_METHOD", "spawn")
    repo = history.open_repo(str(path))
    serial = history.scan_history(repo, Scanner(), io.StringIO(), jobs=1)
    spawned = history.scan_history(repo, Scanner(), io.StringIO(), jobs=2)
    assert [f.fingerprint for f in spawned.findings] == [f.fingerprint for f in serial.findings]
    assert [f.extra["places"] for f in spawned.findings] == [f.extra["places"] for f in serial.findings]


def test_scan_history_streams_its_listing(trading_repo, monkeypatch) -> None:
    """Scanning starts while git is still listing, and nothing holds the whole listing."""
    path, _ = trading_repo
    seen: list[tuple] = []
    real = history.scan_blobs

    def spy(repo, listing, *args, **kw):
        seen.append((listing.complete, listing.listed, isinstance(listing.blobs, list)))
        scan = real(repo, listing, *args, **kw)
        seen.append((listing.complete, listing.listed, scan.stats["unique_blobs"]))
        return scan

    monkeypatch.setattr(history, "scan_blobs", spy)
    result = history.scan_history(history.open_repo(str(path)), Scanner(), io.StringIO(), jobs=2)
    assert seen[0] == (False, 0, False)
    complete, listed, unique = seen[1]
    assert complete and listed == unique == result.stats["unique_blobs"] > 500


def test_a_listing_stopped_early_leaves_no_git_behind(trading_repo) -> None:
    path, _ = trading_repo
    listing = history.list_blobs(history.open_repo(str(path)), stream=True)
    first = next(iter(listing.blobs))
    assert first.sha and not listing.complete
    listing.blobs.close()  # the generator's cleanup kills and reaps rev-list and cat-file
    assert not listing.complete


def test_progress_without_a_total_while_listing() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    progress = history.Progress(None, out)
    progress.update(10, 1000, force=True)
    progress.total = 20
    progress.update(20, 2000, force=True)
    assert "10 blobs (listing ...)" in out.getvalue() and "20/20 blobs" in out.getvalue()


def test_a_replace_ref_does_not_hide_a_committed_secret(git_repo, fake, capsys) -> None:
    """refs/replace/ can make git show a clean blob in place of the committed one; the scan reads what was
    committed (and what a clone without replace refs gets)."""
    (git_repo / "config.py").write_text("# exchange\n" + SECRET_LINE.format(fake("{alnum:64}")))
    git(git_repo, "add", "config.py")
    git(git_repo, "commit", "-q", "-m", "config")
    dirty = git(git_repo, "rev-parse", "HEAD:config.py").stdout.strip()
    clean = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=git_repo, input="# nothing here\n",
                           capture_output=True, text=True, check=True).stdout.strip()
    git(git_repo, "replace", dirty, clean)
    assert "nothing here" in git(git_repo, "show", "HEAD:config.py").stdout  # git itself now shows the clean one
    rc = main(["--history", "--format", "json", str(git_repo)])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert [p["path"] for f in doc["findings"] for p in f["places"]] == ["config.py"]


def test_tags_on_blobs_and_commits_are_listed_once_and_only_blobs_counted(git_repo, fake, capsys) -> None:
    """The listing is one `rev-list --objects --filter=object:type=blob`, which prints annotated tag objects
    like blobs: the reader leaves them out of the counts; a blob only a tag reaches is still scanned."""
    (git_repo / "app.py").write_text("x = 1\n")
    git(git_repo, "add", "app.py")
    git(git_repo, "commit", "-q", "-m", "app")
    git(git_repo, "tag", "-a", "v1", "-m", "release")
    tagged = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=git_repo,
                            input="# exchange\n" + SECRET_LINE.format(fake("{alnum:64}")),
                            capture_output=True, text=True, check=True).stdout.strip()
    git(git_repo, "tag", "-a", "keys", "-m", "a key kept by a tag", tagged)
    git(git_repo, "tag", "plain", subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=git_repo,
                                                  input="nothing\n", capture_output=True, text=True,
                                                  check=True).stdout.strip())
    rc = main(["--history", "--format", "json", str(git_repo)])
    doc = json.loads(capsys.readouterr().out)
    assert rc == 1
    assert len(doc["findings"]) == 1  # reachable from no commit, so placed nowhere, but reported
    kinds = subprocess.run(["git", "cat-file", "--batch-check=%(objecttype)", "--batch-all-objects"],
                           cwd=git_repo, capture_output=True, text=True, check=True).stdout.split()
    commits = int(git(git_repo, "rev-list", "--all", "--count").stdout)
    stats = doc["stats"]
    assert stats["unique_blobs"] == kinds.count("blob") == stats["blobs_scanned"] == 3
    assert stats["commits"] == commits >= 1 and stats["blobs_missing"] == 0
