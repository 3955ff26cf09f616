"""crypto-key-guard scan --history against real git repositories built in tmp_path."""
from __future__ import annotations

import io
import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from crypto_key_guard.sources import history
from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.commands.scan import main

from conftest import git

SECRET_LINE = 'BINANCE_API_SECRET = "{}"\n'


class Repo:
    """A git repository whose commits get increasing, fixed dates (so 'introduced' is well defined)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tick = 0

    def write(self, name: str, text: str | bytes) -> None:
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())

    def commit(self, message: str, *git_args: str) -> str:
        self.tick += 1
        stamp = f"2024-01-{self.tick:02d}T12:00:00+00:00"
        env = dict(os.environ, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp)
        subprocess.run(["git", "add", "-A"], cwd=self.path, check=True, env=env)
        subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message, *git_args], cwd=self.path,
                       check=True, env=env)
        return self.rev("HEAD")

    def rev(self, name: str) -> str:
        return git(self.path, "rev-parse", name).stdout.strip()

    def git(self, *args: str) -> str:
        return git(self.path, *args).stdout


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """Everything the issue lists: a deleted .env, a key removed three commits later, one key copied into two
    files on two branches and merged, a renamed file kept across many commits, an annotated tag, a binary.

    Built once per module (tests only read it); keys are seeded fakes exactly as the `fake` fixture makes them.
    """
    git_repo = tmp_path_factory.mktemp("story") / "repo"
    git_repo.mkdir()
    git(git_repo, "init", "-q")
    git(git_repo, "config", "commit.gpgsign", "false")
    rng = random.Random(20261125)
    fake = lambda template: expand(template, rng)  # noqa: E731
    r = Repo(git_repo)
    keys = {name: fake("{alnum:64}") for name in ("env", "removed", "copied", "renamed")}
    c = {}
    r.git("checkout", "-q", "-b", "main")
    r.write(".env", f"BINANCE_API_KEY={keys['env']}\n")
    r.write("app.py", "import os\nprint('hello')\n")
    r.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0" + SECRET_LINE.format(fake("{alnum:64}")).encode() + b"\0" * 64)
    c["env"] = r.commit("add app")
    (git_repo / ".env").unlink()
    c["env_removed"] = r.commit("remove .env")
    r.write("config.py", "# settings\n" + SECRET_LINE.format(keys["removed"]))
    c["removed"] = r.commit("configure exchange")
    r.write("creds.py", "# exchange\n" + SECRET_LINE.format(keys["renamed"]))
    c["renamed"] = r.commit("add creds")
    r.write("app.py", "import os\nprint('hello again')\n")
    r.commit("tweak app")
    r.write("config.py", "# settings\nBINANCE_API_SECRET = os.environ['BINANCE_API_SECRET']\n")
    c["removed_gone"] = r.commit("read the secret from the environment")
    r.git("tag", "-a", "v1.0", "-m", "release 1.0")
    r.git("checkout", "-q", "-b", "feature")
    r.write("keys.py", SECRET_LINE.format(keys["copied"]))
    c["copied_feature"] = r.commit("feature: keys")
    r.git("checkout", "-q", "main")
    r.write("settings.py", "# main settings\n" + SECRET_LINE.format(keys["copied"]))
    c["copied_main"] = r.commit("main: settings")
    stamp = "2024-01-20T12:00:00+00:00"
    subprocess.run(["git", "merge", "-q", "--no-edit", "feature"], cwd=git_repo, check=True,
                   env=dict(os.environ, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp))
    c["merge"] = r.rev("HEAD")
    r.tick = 20
    r.git("mv", "creds.py", "old_creds.py")
    c["rename"] = r.commit("move creds")
    for i in range(3):
        r.write("app.py", f"import os\nprint({i})\n")
        r.commit(f"more {i}")
    return r, keys, c


def run_json(args, capsys) -> tuple[int, dict, str]:
    rc = main(["--history", "--format", "json", *args])
    out = capsys.readouterr()
    return rc, json.loads(out.out), out.err


def by_secret(doc: dict) -> dict[str, dict]:
    return {f["fingerprint"]: f for f in doc["findings"]}


def fingerprint_of(doc: dict, path: str) -> dict:
    hits = [f for f in doc["findings"] if any(p["path"] == path for p in f["places"])]
    assert len(hits) == 1, f"{path}: {len(hits)} entries"
    return hits[0]


def test_every_secret_once_with_all_places_and_introducing_commit(story, capsys) -> None:
    r, keys, c = story
    rc, doc, _ = run_json([str(r.path)], capsys)
    assert rc == 1
    assert len(doc["findings"]) == 4 == len(by_secret(doc)) == doc["stats"]["secrets"]

    env = fingerprint_of(doc, ".env")
    assert [p["path"] for p in env["places"]] == [".env"]
    assert env["introduced"]["commit"] == c["env"] and env["introduced"]["subject"] == "add app"
    assert env["introduced"]["date"].startswith("2024-01-01")
    assert env["places"][0]["removed_in"][0]["commit"] == c["env_removed"]
    assert env["in_head"] is False

    removed = fingerprint_of(doc, "config.py")
    place = removed["places"][0]
    assert removed["introduced"]["commit"] == c["removed"]
    assert [x["commit"] for x in place["removed_in"]] == [c["removed_gone"]]
    assert place["commits"] == 3 and removed["in_head"] is False  # added, +2 commits, then removed

    copied = fingerprint_of(doc, "keys.py")
    assert sorted(p["path"] for p in copied["places"]) == ["keys.py", "settings.py"]
    assert copied["in_head"] is True
    assert copied["introduced"]["commit"] == c["copied_feature"]  # the older of the two branches
    intro = {p["path"]: [x["commit"] for x in p["introduced_in"]] for p in copied["places"]}
    assert intro == {"keys.py": [c["copied_feature"]], "settings.py": [c["copied_main"]]}  # the merge adds nothing

    renamed = fingerprint_of(doc, "old_creds.py")
    places = {p["path"]: p for p in renamed["places"]}
    assert set(places) == {"creds.py", "old_creds.py"}
    assert places["creds.py"]["blob"] == places["old_creds.py"]["blob"]  # one blob, two paths
    assert [x["commit"] for x in places["creds.py"]["introduced_in"]] == [c["renamed"]]
    assert [x["commit"] for x in places["creds.py"]["removed_in"]] == [c["rename"]]
    assert [x["commit"] for x in places["old_creds.py"]["introduced_in"]] == [c["rename"]]
    assert places["old_creds.py"]["in_head"] and not places["creds.py"]["in_head"]
    assert places["creds.py"]["commits"] >= 6 and places["old_creds.py"]["commits"] == 4
    assert renamed["file"] == "creds.py" and renamed["introduced"]["commit"] == c["renamed"]

    raw = json.dumps(doc)
    assert not any(k in raw for k in keys.values())


def test_each_unique_blob_is_scanned_once(story, capsys) -> None:
    r, _, _ = story
    calls: list[str] = []

    class Counting(Scanner):
        def scan_stream(self, stream, path="", **kw):
            calls.append(path)
            return super().scan_stream(stream, path, **kw)

    listed = r.git("rev-list", "--objects", "--all").split("\n")
    kinds = subprocess.run(["git", "cat-file", "--batch-check=%(objecttype)"], cwd=r.path, capture_output=True,
                           text=True, input="\n".join(line.split(" ")[0] for line in listed if line)).stdout
    blobs = kinds.split().count("blob")
    commits = len(r.git("rev-list", "--all").split())
    repo = history.open_repo(str(r.path))
    result = history.scan_history(repo, Counting(), io.StringIO())
    s = result.stats
    assert s["unique_blobs"] == blobs == len(calls)
    assert s["commits"] == commits
    assert s["binary_skipped"] == 1 and s["blobs_scanned"] == blobs - 1
    assert s["bytes"] > 0 and s["blobs_missing"] == 0
    # the creds blob sits in many commits (under two names) and was read once
    creds = [f for f in result.findings if f.file == "creds.py"][0]
    assert sum(p["commits"] for p in creds.extra["places"]) >= 8
    assert calls.count("creds.py") + calls.count("old_creds.py") == 1


def test_text_output_places_and_what_to_do(story, capsys) -> None:
    r, keys, c = story
    rc = main(["--history", str(r.path)])
    out = capsys.readouterr()
    assert rc == 1
    assert "\r" not in out.err  # not a terminal: no progress bar
    text = out.out
    assert not any(k in text for k in keys.values())
    for path in (".env", "config.py", "keys.py", "settings.py", "creds.py", "old_creds.py"):
        assert path in text
    assert c["env"][:7] in text and "add app" in text
    assert "STILL IN HEAD" in text and "not in HEAD" in text
    assert "Rotate it first" in text and "does not un-leak" in text and "move the funds" in text
    assert "git filter-repo" in text
    assert text.index("Rotate") < text.index("filter-repo")


def test_bare_clone(story, tmp_path, capsys) -> None:
    r, _, _ = story
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "-q", "--bare", str(r.path), str(bare))
    rc, doc, _ = run_json([str(r.path)], capsys)
    rc_bare, doc_bare, _ = run_json([str(bare)], capsys)
    assert rc == rc_bare == 1 and doc_bare["stats"]["bare"] is True
    assert set(by_secret(doc)) == set(by_secret(doc_bare))
    assert fingerprint_of(doc_bare, "old_creds.py")["in_head"] is True


def test_shallow_clone_says_what_it_cannot_see(story, tmp_path, capsys) -> None:
    r, _, c = story
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "2", "--no-tags", f"file://{r.path}", str(shallow))
    rc, doc, err = run_json([str(shallow)], capsys)
    assert rc == 1 and doc["stats"]["shallow"] is True
    assert "shallow clone" in err and "git fetch --unshallow" in err
    found = {p["path"] for f in doc["findings"] for p in f["places"]}
    assert found == {"old_creds.py", "keys.py", "settings.py"}  # the rest is behind the boundary
    kept = fingerprint_of(doc, "old_creds.py")
    assert kept["in_head"] is True
    assert kept["introduced"]["shallow_boundary"] is True  # it is older than the clone can tell


def test_since_and_range_limit_the_walk(story, capsys) -> None:
    r, _, c = story
    rc, doc, _ = run_json([str(r.path), "--since", c["removed_gone"]], capsys)
    paths = {p["path"] for f in doc["findings"] for p in f["places"]}
    # the rename after REV adds no new content: that blob was already reachable from REV, so it is not new
    assert rc == 1 and paths == {"keys.py", "settings.py"}
    rc, doc, _ = run_json([str(r.path), "--range", f"{c['env']}..{c['removed']}"], capsys)
    assert rc == 1 and [f["places"][0]["path"] for f in doc["findings"]] == ["config.py"]
    assert doc["stats"]["commits"] == 2
    rc, doc, _ = run_json([str(r.path), "--range", f"{c['rename']}..{c['rename']}"], capsys)
    assert rc == 0 and doc["findings"] == [] and doc["stats"]["commits"] == 0


@pytest.mark.parametrize("args, message", [
    (["--since", "no-such-rev"], "not a commit"),
    (["--range", "nope..HEAD"], "not a revision range"),
    (["--range=--output=/tmp/x"], "not a revision"),
    (["--staged"], "do not combine"),
])
def test_bad_revisions_are_usage_errors(story, capsys, args, message) -> None:
    r, _, _ = story
    rc = main(["--history", str(r.path), *args])
    err = capsys.readouterr().err
    assert rc == 2 and message in err and "Traceback" not in err


def test_not_a_git_repository(tmp_path, capsys) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / "bot.py").write_text("x = 1\n")
    env_dir = os.environ.get("GIT_CEILING_DIRECTORIES")
    os.environ["GIT_CEILING_DIRECTORIES"] = str(tmp_path)  # tmp_path may itself sit inside some checkout
    try:
        rc = main(["--history", str(outside)])
    finally:
        if env_dir is None:
            os.environ.pop("GIT_CEILING_DIRECTORIES")
        else:
            os.environ["GIT_CEILING_DIRECTORIES"] = env_dir
    err = capsys.readouterr().err
    assert rc == 2 and "needs a git repository" in err


def test_empty_repository_is_clean(git_repo, capsys) -> None:
    rc, doc, err = run_json([str(git_repo)], capsys)
    assert rc == 0 and doc["findings"] == [] and doc["stats"]["commits"] == 0
    assert "no commits" in err


def test_large_blobs_stream_in_windows_and_stay_aligned(git_repo, fake, capsys) -> None:
    """A blob bigger than the scan window is read in pieces; the blobs after it are still read correctly."""
    r = Repo(git_repo)
    filler = ("# " + "x" * 70 + "\n") * 20000  # ~1.4 MB
    r.write("big.py", filler + SECRET_LINE.format(fake("{alnum:64}")))
    r.write("blob.bin", b"\0" * 300000 + SECRET_LINE.format(fake("{alnum:64}")).encode())
    r.write("small.py", SECRET_LINE.format(fake("{alnum:64}")))
    r.commit("files")
    reads: list[int] = []

    class Windowed(Scanner):
        def scan_stream(self, stream, path="", **kw):
            real_read = stream.read

            def read(n=-1):
                data = real_read(n)
                reads.append(len(data))
                return data
            stream.read = read
            return super().scan_stream(stream, path, chunk=64 << 10, overlap=4 << 10)

    result = history.scan_history(history.open_repo(str(git_repo)), Windowed(), io.StringIO())
    assert sorted(f.file for f in result.findings) == ["big.py", "small.py"]
    big = [f for f in result.findings if f.file == "big.py"][0]
    assert big.line == 20001
    assert max(reads) <= (64 << 10) + (4 << 10)  # a window at a time, never the whole 1.4 MB blob
    assert result.stats["binary_skipped"] == 1


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = history.Progress(10, stream)
        bar.update(5, 2_000_000, force=True)
        bar.close()
    assert "5/10 blobs" in tty.getvalue() and "MB/s" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_commit_subject_holding_a_secret_is_not_printed(git_repo, fake, capsys) -> None:
    r = Repo(git_repo)
    key = fake("{alnum:64}")
    r.write("bot.py", SECRET_LINE.format(key))
    r.commit(f"set BINANCE_API_SECRET={key}")
    rc = main(["--history", str(git_repo)])
    out = capsys.readouterr().out
    assert rc == 1 and key not in out and "subject withheld" in out


def test_evil_merge_introduces_a_secret(git_repo, fake, capsys) -> None:
    """Content that only the merge commit adds (a conflict resolution) is introduced by the merge."""
    r = Repo(git_repo)
    r.git("checkout", "-q", "-b", "main")
    r.write("a.py", "x = 1\n")
    base = r.commit("base")
    r.git("checkout", "-q", "-b", "side")
    r.write("b.py", "y = 2\n")
    r.commit("side")
    r.git("checkout", "-q", "main")
    r.write("c.py", "z = 3\n")
    r.commit("main")
    r.git("merge", "-q", "--no-commit", "side")
    r.write("a.py", SECRET_LINE.format(fake("{alnum:64}")))
    merge = r.commit("merge side")
    rc, doc, _ = run_json([str(git_repo)], capsys)
    assert rc == 1 and base != merge
    assert doc["findings"][0]["introduced"]["commit"] == merge


def test_project_configuration_applies_to_history(git_repo, fake, capsys) -> None:
    """exclude globs, min_severity and the ignore file act on history as they do on `scan`."""
    r = Repo(git_repo)
    kept, accepted, vendored = (fake("{alnum:64}") for _ in range(3))
    r.write("bot.py", SECRET_LINE.format(kept))
    r.write("tests/fixture.py", SECRET_LINE.format(accepted))
    r.write("vendor/lib.py", SECRET_LINE.format(vendored))
    r.commit("three secrets")
    rc, doc, _ = run_json([str(git_repo)], capsys)
    assert rc == 1 and len(doc["findings"]) == 3
    fixture = fingerprint_of(doc, "tests/fixture.py")
    (git_repo / ".crypto-key-guard.yaml").write_text("exclude: ['vendor/*']\n")
    (git_repo / ".crypto-key-guard-ignore").write_text(f"{fixture['rule']}:{fixture['fingerprint']}  # test value\n")
    rc, doc, _ = run_json([str(git_repo)], capsys)
    assert rc == 1 and [f["file"] for f in doc["findings"]] == ["bot.py"]
    assert doc["stats"]["ignored"] == 1 and doc["stats"]["excluded"] == 1


def test_unborn_head_with_other_branches(git_repo, fake, capsys) -> None:
    """A bare mirror whose HEAD names a branch that does not exist still has its branches scanned."""
    r = Repo(git_repo)
    r.git("checkout", "-q", "-b", "work")
    r.write("bot.py", SECRET_LINE.format(fake("{alnum:64}")))
    r.commit("work")
    r.git("symbolic-ref", "HEAD", "refs/heads/nothing-here")
    rc, doc, err = run_json([str(git_repo)], capsys)
    assert rc == 1 and doc["findings"][0]["places"][0]["in_head"] is False
    assert "HEAD does not name a commit" in err
