"""Pushes through real git: the pre-push hook installed by `pre-commit install --hook-type pre-push` (this
repository's hook definitions as a local hook repo), git's own pre-push hook, and a bare server repository
with the pre-receive hook. Keys are generated at test time (seeded)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT_ROOT, git

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _key_file(fake) -> str:
    return 'import ccxt\nex = ccxt.binance({{"apiKey": "{}", "secret": "{}"}})\n'.format(
        fake("{alnum:64}"), fake("{alnum:64}"))


def _values(text: str) -> list[str]:
    return text.split('"')[3::4]


CLEAN = 'import os, ccxt\nex = ccxt.binance({"apiKey": os.environ["K"], "secret": os.environ["S"]})\n'


def _commit(repo: Path, name: str, text: str, message: str) -> str:
    path = repo / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message, "--no-verify")
    return git(repo, "rev-parse", "HEAD").stdout.strip()


def _push(repo: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "push", *args], cwd=repo, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def _bare(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


def _local_hooks_config() -> str:
    """This repository's hook definitions as a `repo: local` block, run from this environment's console scripts
    (pre-commit would otherwise pip-install the package for every test)."""
    hooks = []
    for hook in yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")):
        if hook["id"] in ("crypto-key-patterns", "env-file-guard"):
            hook = dict(hook, language="system", entry=str(BIN / hook["entry"]))
            hook.pop("minimum_pre_commit_version", None)
            hooks.append(hook)
    return yaml.safe_dump({"default_install_hook_types": ["pre-commit", "pre-push"],
                           "repos": [{"repo": "local", "hooks": hooks}]})


@pytest.fixture
def client(git_repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A repository with the pre-push hook installed through pre-commit, and its (empty) bare remote."""
    remote = _bare(tmp_path, "remote.git")
    (git_repo / ".pre-commit-config.yaml").write_text(_local_hooks_config())
    _commit(git_repo, "bot.py", "import os\n", "init")
    git(git_repo, "remote", "add", "origin", str(remote))
    home = {"PRE_COMMIT_HOME": str(tmp_path / "pc-home")}
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
                               cwd=git_repo, capture_output=True, text=True, env={**os.environ, **home})
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return git_repo, remote


def test_pre_push_refuses_a_key_added_and_removed_inside_the_push(client, fake, tmp_path) -> None:
    repo, remote = client
    first = _push(repo, "origin", "HEAD:main")
    assert first.returncode == 0, first.stdout + first.stderr  # a whole new history, clean
    text = _key_file(fake)
    bad = _commit(repo, "bot.py", text, "try keys")
    _commit(repo, "bot.py", CLEAN, "read keys from env")
    refused = _push(repo, "origin", "HEAD:main")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert bad[:7] in out and "try keys" in out and "binance-api-credential" in out
    assert "git rebase -i" in out and "git commit --amend" in out
    assert all(v not in out for v in _values(text))  # neither value is printed
    assert git(remote, "rev-parse", "main").stdout.strip() != git(repo, "rev-parse", "HEAD").stdout.strip()
    # rewrite the unpushed commits as the message says: the push goes through
    git(repo, "reset", "-q", "--hard", "origin/main")
    _commit(repo, "bot.py", CLEAN, "read keys from env")
    again = _push(repo, "origin", "HEAD:main")
    assert again.returncode == 0, again.stdout + again.stderr


def test_pre_push_new_branch_force_push_and_deletion(client, fake) -> None:
    repo, remote = client
    assert _push(repo, "origin", "HEAD:main").returncode == 0
    # a new branch is judged against what the remote has: only its own commit is scanned
    git(repo, "checkout", "-qb", "feature")
    _commit(repo, "keys/settings.py", _key_file(fake), "feature keys")
    refused = _push(repo, "origin", "feature")
    assert refused.returncode != 0 and "feature keys" in refused.stdout + refused.stderr
    # a clean new branch passes; deleting it pushes nothing and passes
    git(repo, "checkout", "-q", "-")
    git(repo, "checkout", "-qb", "clean")
    _commit(repo, "docs.md", "# notes\n", "docs")
    assert _push(repo, "origin", "clean").returncode == 0
    deleted = _push(repo, "origin", ":clean")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    # a force push replacing main with history holding a key is refused
    git(repo, "checkout", "-q", "-")
    _commit(repo, "bot.py", _key_file(fake), "amend with keys")
    git(repo, "commit", "-q", "--amend", "-m", "amended", "--no-verify")
    forced = _push(repo, "--force", "origin", "HEAD:main")
    assert forced.returncode != 0 and "amended" in forced.stdout + forced.stderr


def test_pre_push_many_changed_files_reports_once(client, fake) -> None:
    """pre-commit splits many changed files over parallel hook runs; the pushed range is reported once."""
    repo, _ = client
    assert _push(repo, "origin", "HEAD:main").returncode == 0
    for i in range(12):
        (repo / f"m{i}.py").write_text(f"x = {i}\n")
    _commit(repo, "bot.py", _key_file(fake), "many files")
    refused = _push(repo, "origin", "HEAD:main")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and out.count("secret(s) found in the pushed commits") == 1, out


def test_plain_git_pre_push_hook_reads_ref_lines(git_repo, tmp_path, fake) -> None:
    remote = _bare(tmp_path, "remote.git")
    hook = git_repo / ".git" / "hooks" / "pre-push"
    hook.write_text(f'#!/bin/sh\nexec "{BIN / "crypto-key-guard"}" pre-push "$@"\n')
    hook.chmod(0o755)
    _commit(git_repo, "a.py", "print(1)\n", "init")
    git(git_repo, "remote", "add", "origin", str(remote))
    assert _push(git_repo, "origin", "HEAD:main").returncode == 0
    git(git_repo, "branch", "side")
    _commit(git_repo, "b.py", _key_file(fake), "with key")
    _commit(git_repo, "b.py", "print(2)\n", "without key")
    both = _push(git_repo, "origin", "HEAD:main", "side:side")
    assert both.returncode != 0 and "with key" in both.stdout + both.stderr
    only_side = _push(git_repo, "origin", "side:side")
    assert only_side.returncode == 0, only_side.stdout + only_side.stderr


# -- the server ------------------------------------------------------------------------------------------------
@pytest.fixture
def server(tmp_path: Path) -> Path:
    srv = _bare(tmp_path, "server.git")
    hook = srv / "hooks" / "pre-receive"
    hook.write_text(f'#!/bin/sh\nexec "{BIN / "crypto-key-guard"}" pre-receive\n')
    hook.chmod(0o755)
    return srv


def _tip(repo: Path, ref: str) -> str:
    return git(repo, "rev-parse", "-q", "--verify", ref, check=False).stdout.strip()


def test_pre_receive_refuses_add_then_remove_and_keeps_the_ref(git_repo, server, fake) -> None:
    _commit(git_repo, "a.py", "print(1)\n", "init")
    assert _push(git_repo, str(server), "HEAD:main").returncode == 0
    before = _tip(server, "main")
    text = _key_file(fake)
    bad = _commit(git_repo, "a.py", text, "add keys")
    _commit(git_repo, "a.py", "print(2)\n", "remove keys")
    refused = _push(git_repo, str(server), "HEAD:main")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "pre-receive hook declined" in out
    assert bad[:7] in out and "add keys" in out
    assert all(v not in out for v in _values(text))
    assert _tip(server, "main") == before
    # nothing of the refused push stayed in the server's object store (quarantine)
    assert git(server, "cat-file", "-e", bad, check=False).returncode != 0


def test_pre_receive_branches_tags_force_and_deletion(git_repo, server, fake) -> None:
    _commit(git_repo, "a.py", "print(1)\n", "init")
    trunk = git(git_repo, "branch", "--show-current").stdout.strip()
    assert _push(git_repo, str(server), "HEAD:main").returncode == 0
    git(git_repo, "checkout", "-qb", "feature")
    _commit(git_repo, "cfg/settings.py", _key_file(fake), "feature keys")
    assert _push(git_repo, str(server), "feature").returncode != 0
    assert _tip(server, "feature") == ""
    git(git_repo, "tag", "v-bad")  # a lightweight tag on the commit with the key
    assert _push(git_repo, str(server), "v-bad").returncode != 0
    git(git_repo, "checkout", "-q", trunk)
    git(git_repo, "tag", "-a", "v1", "-m", "release one")
    tagged = _push(git_repo, str(server), "v1")
    assert tagged.returncode == 0, tagged.stdout + tagged.stderr
    git(git_repo, "checkout", "-qb", "docs")
    _commit(git_repo, "README.md", "# hi\n", "docs")
    assert _push(git_repo, str(server), "docs").returncode == 0
    deleted = _push(git_repo, str(server), ":docs")
    assert deleted.returncode == 0 and _tip(server, "docs") == ""
    git(git_repo, "checkout", "-q", trunk)
    _commit(git_repo, "a.py", _key_file(fake), "keys on main")
    git(git_repo, "commit", "-q", "--amend", "-m", "rewritten", "--no-verify")
    assert _push(git_repo, "--force", str(server), "HEAD:main").returncode != 0


def test_pre_receive_honours_the_ignore_file_as_committed(git_repo, server, fake, tmp_path) -> None:
    _commit(git_repo, "a.py", "print(1)\n", "init")
    assert _push(git_repo, str(server), "HEAD:main").returncode == 0
    _commit(git_repo, "fixtures/a.py", _key_file(fake), "fixture")
    refused = _push(git_repo, str(server), "HEAD:main")
    assert refused.returncode != 0
    # accept the finding the way a user does, in the working tree, and commit the ignore file
    accepted = subprocess.run([str(BIN / "crypto-key-guard"), "ignore", "add", "--yes", "--note", "test fixture"],
                              cwd=git_repo, capture_output=True, text=True)
    assert (git_repo / ".crypto-key-guard-ignore").is_file(), accepted.stdout + accepted.stderr
    git(git_repo, "add", ".crypto-key-guard-ignore")
    git(git_repo, "commit", "-qm", "accept fixture", "--no-verify")
    allowed = _push(git_repo, str(server), "HEAD:main")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    # the server's own disk is never read for configuration a push names
    _commit(git_repo, ".crypto-key-guard.yaml", "ignore_file: /etc/passwd\n", "bad config")
    outside = _push(git_repo, str(server), "HEAD:main")
    assert outside.returncode != 0 and "outside the repository" in outside.stdout + outside.stderr


def test_pre_receive_refuses_a_clean_push_never(tmp_path, server) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    _commit(other, "a.py", "print(1)\n", "clean")
    ok = _push(other, str(server), "HEAD:clean")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert _tip(server, "clean")


def test_messages_are_judged_at_pre_push_and_pre_receive(client, server, fake) -> None:
    repo, _ = client
    assert _push(repo, "origin", "HEAD:main").returncode == 0
    secret = fake("{alnum:64}")
    (repo / "notes.md").write_text("deploy notes\n")
    git(repo, "add", "notes.md")
    git(repo, "commit", "-qm", "deploy", "-m", f"OKX_API_SECRET={secret}", "--no-verify")
    refused = _push(repo, "origin", "HEAD:main")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "(message)" in out and secret not in out
    # the server: a clean branch, then an annotated tag whose message holds a key
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    assert _push(repo, "--no-verify", str(server), "HEAD:main").returncode == 0
    git(repo, "tag", "-a", "v2", "-m", f"release\n\nBINANCE_API_SECRET={secret}")
    tag = _push(repo, "--no-verify", str(server), "v2")
    assert tag.returncode != 0 and "tag v2 (message)" in tag.stdout + tag.stderr
    assert _tip(server, "refs/tags/v2") == ""


def test_pre_push_lock_files_of_old_pushes_are_removed(client) -> None:
    repo, _ = client
    stale = repo / ".git" / "crypto-key-guard-push-0123456789abcdef.code"
    stale.write_text("1")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert _push(repo, "origin", "HEAD:main").returncode == 0
    assert not stale.exists()


def test_a_secrets_file_by_name_is_refused_even_without_a_key_in_it(git_repo, server, fake) -> None:
    _commit(git_repo, "a.py", "print(1)\n", "init")
    _commit(git_repo, ".env.production.example", "DB_PASSWORD=changeme\n", "template")
    _commit(git_repo, "secrets/.gitkeep", "", "placeholder")
    assert _push(git_repo, str(server), "HEAD:main").returncode == 0  # templates and placeholders pass
    _commit(git_repo, ".env", f"DB_PASSWORD={fake('{alnum:20}')}\n", "local env")
    git(git_repo, "rm", "-q", ".env")
    git(git_repo, "commit", "-qm", "oops", "--no-verify")
    refused = _push(git_repo, str(server), "HEAD:main")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0 and ".env:1:1: env-file" in out and "local env" in out, out
