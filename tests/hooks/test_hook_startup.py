"""The pre-commit hook's start-up: what it must not import, and the shortcuts it takes to stay fast."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import git

from crypto_key_guard.crypto_key_patterns import build_parser, parse_arguments
from crypto_key_guard.engine.findings import Finding, secret_hash
from crypto_key_guard.engine.rules import default_rules
from crypto_key_guard.policy.config import project_root

# Each costs a commit 5 ms or more at start-up (dataclasses pulls in inspect, ast, dis, tokenize: 9.6 ms CPU;
# subprocess means running git; yaml means parsing the rules instead of reading the cache; argparse with the
# shutil, gettext and locale its help formatter imports; typing and pathlib together ~7 ms, pathlib with
# urllib.parse and ipaddress); none is needed to scan a few named files at the root of a repository. hashlib is
# allowed (the cache's HMAC, fingerprints).
NOT_ON_THE_HOOK_PATH = ("dataclasses", "inspect", "subprocess", "yaml", "detect_secrets", "urllib.request",
                        "multiprocessing", "argparse", "shutil", "locale", "typing", "pathlib", "urllib.parse",
                        "importlib.util")

_RUN_HOOK = """
import json, sys
before = set(sys.modules)
from crypto_key_guard.crypto_key_patterns import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "new": sorted(set(sys.modules) - before)}))
"""


def run_hook_in(repo: Path, *files: str) -> dict:
    env = dict(os.environ, CRYPTO_KEY_GUARD_CACHE_DIR=str(repo.parent / "cache"))  # a cache the test owns
    proc = subprocess.run([sys.executable, "-c", _RUN_HOOK, *files], cwd=repo, env=env, capture_output=True,
                          text=True, check=False)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_clean_commit_imports_nothing_heavy(git_repo: Path) -> None:
    (git_repo / "bot.py").write_text("def price(x):\n    return x * 2\n", encoding="utf-8")
    run_hook_in(git_repo, "bot.py")  # fills the parsed-rules cache, like any earlier commit
    out = run_hook_in(git_repo, "bot.py")
    assert out["code"] == 0
    assert "crypto_key_guard.engine.scanner" in out["new"]  # it did scan
    assert [m for m in NOT_ON_THE_HOOK_PATH if m in out["new"]] == []


def test_a_finding_still_imports_nothing_heavy_but_hashlib(git_repo: Path, fake) -> None:
    (git_repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n', encoding="utf-8")
    run_hook_in(git_repo, "bot.py")
    out = run_hook_in(git_repo, "bot.py")
    assert out["code"] == 1
    # hashlib may come with the public-test-key check of a candidate; the rest never
    assert [m for m in NOT_ON_THE_HOOK_PATH if m in out["new"] and m != "hashlib"] == []


def test_project_root_without_git_agrees_with_git(git_repo: Path, tmp_path: Path) -> None:
    def toplevel(path: Path) -> Path:
        return Path(git(path, "rev-parse", "--show-toplevel").stdout.strip())

    (git_repo / "a.txt").write_text("a\n", encoding="utf-8")
    git(git_repo, "add", "a.txt")
    git(git_repo, "commit", "-q", "-m", "a")
    sub = git_repo / "sub"
    sub.mkdir()
    fake_git = git_repo / "not-a-repo"
    (fake_git / ".git").mkdir(parents=True)  # a .git without HEAD is no repository: git looks further up
    worktree = tmp_path / "wt"
    git(git_repo, "worktree", "add", "-q", str(worktree))  # its .git is a file ("gitdir: ...")
    link = tmp_path / "link"
    link.symlink_to(git_repo)  # git names the physical directory
    for start in (git_repo, sub, fake_git, worktree, link):
        assert project_root(start) == toplevel(start), start
    plain = tmp_path / "plain"
    plain.mkdir()
    assert project_root(plain) == plain.resolve()


def test_project_root_asks_git_when_the_environment_redirects_it(git_repo: Path, monkeypatch) -> None:
    other = git_repo.parent / "other"
    other.mkdir()
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_DIR", str(git_repo / ".git"))
    assert project_root(git_repo) == other.resolve()


def test_records_compare_and_hash_as_the_frozen_dataclasses_did() -> None:
    base = Finding("a.py", 1, 2, "r", "d", "high", "high", "ab…cd", secret_hash("r", "x"))
    extra = base._replace(extra={"exchange": "Binance"})
    assert base == extra and hash(base) == hash(extra)  # extras are not compared, as before
    assert base != base._replace(line=3)
    assert base != tuple(base) and tuple(base) != base  # a record is not a plain tuple
    assert extra.to_dict()["extra"] == {"exchange": "Binance"} and "extra" not in base.to_dict()
    assert extra.to_dict()["extra"] is not extra.extra  # a copy, as dataclasses.asdict made
    rule = default_rules().rules[0]
    assert rule == rule._replace(examples={}) and hash(rule) == hash(rule._replace(examples={}))
    assert os.path.basename(rule.source).endswith(".yaml")


def test_file_names_alone_are_read_as_argparse_reads_them() -> None:
    for argv in ([], ["bot.py"], ["a b.py", "x=1.env", "", "sub/dir/ü.txt", "@list"]):
        fast = parse_arguments(argv)
        assert type(fast).__name__ == "SimpleNamespace"  # argparse was not used
        assert vars(fast) == vars(build_parser().parse_args(argv)), argv
    first, second = parse_arguments(["a"]), parse_arguments(["b"])
    first.patterns.append("x.yaml")
    assert second.patterns == []  # no list shared between two parses
    for argv in (["--format", "json", "a.py"], ["-"], ["--", "-a.py"], ["a.py", "--verify"], ["-v"]):
        assert type(parse_arguments(argv)).__name__ == "Namespace", argv  # anything with '-' goes to argparse


def test_the_console_script_exits_with_its_code_and_every_line_written(git_repo: Path, fake) -> None:
    """The console entry skips interpreter teardown (os._exit): what was printed must still all arrive."""
    lines = [f'BINANCE_API_SECRET_{n} = "{fake("{alnum:64}")}"' for n in range(400)]  # more than a pipe buffer
    (git_repo / "bot.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (git_repo / "clean.py").write_text("x = 1\n", encoding="utf-8")
    env = dict(os.environ, CRYPTO_KEY_GUARD_CACHE_DIR=str(git_repo.parent / "cache"))
    console = "from crypto_key_guard.crypto_key_patterns import console; console()"
    found = subprocess.run([sys.executable, "-c", console, "bot.py"], cwd=git_repo, env=env, capture_output=True,
                           text=True, check=False)
    assert found.returncode == 1
    assert found.stdout.count("bot.py:") == 400 and found.stdout.rstrip().endswith("gitleaks:allow' on its line.")
    assert "400 findings" in found.stderr
    for argv, code in ((["clean.py"], 0), (["--format", "json", "bot.py"], 1), (["--no-such-option"], 2)):
        proc = subprocess.run([sys.executable, "-c", console, *argv], cwd=git_repo, env=env, capture_output=True,
                              text=True, check=False)
        assert proc.returncode == code, (argv, proc.stderr)
        if argv[0] == "--format":
            assert len(json.loads(proc.stdout)["findings"]) == 400


def test_a_configured_repository_reads_its_configuration_without_pyyaml_after_the_first_commit(
        git_repo: Path, fake) -> None:
    """PyYAML's import is ~23 ms of every commit: the configuration's parsed form is cached by content, so an
    edit takes effect at once and a broken file is refused every time."""
    (git_repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n', encoding="utf-8")
    config = git_repo / ".crypto-key-guard.yaml"
    config.write_text('exclude: ["bot.py"]\n', encoding="utf-8")
    first = run_hook_in(git_repo, "bot.py")
    assert first["code"] == 0 and "yaml" in first["new"]  # parsed once
    again = run_hook_in(git_repo, "bot.py")
    assert again["code"] == 0 and "yaml" not in again["new"]
    config.write_text('exclude: ["other.py"]\n', encoding="utf-8")  # an edit is read at once
    assert run_hook_in(git_repo, "bot.py")["code"] == 1
    assert "yaml" not in run_hook_in(git_repo, "bot.py")["new"]
    config.write_text('exclude: ["bot.py"]\nexclude: ["x"]\n', encoding="utf-8")  # a duplicate key
    for _ in range(2):
        env = dict(os.environ, CRYPTO_KEY_GUARD_CACHE_DIR=str(git_repo.parent / "cache"))
        proc = subprocess.run([sys.executable, "-m", "crypto_key_guard.crypto_key_patterns", "bot.py"],
                              cwd=git_repo, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 2 and "duplicate key 'exclude'" in proc.stderr, proc.stderr
