"""A committed virtual environment, site-packages or node_modules is reported once as what it is and not scanned
line by line, alike in a tree scan, the hook's file list, the index and history; --scan-vendored scans it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git

from crypto_key_guard.crypto_key_patterns import main as hook_main
from crypto_key_guard.sources.vendored import VendoredTrees

CLI = str(Path(sys.executable).parent / "crypto-key-guard")


@pytest.mark.parametrize("path,root,what", [
    (".venv/lib/python3.11/site-packages/eth_account/tests/test_keys.py", ".venv/", "virtual environment"),
    ("env/Lib/site-packages/ccxt/test/keys.json", "env/", "virtual environment"),
    ("lib/python3.12/site-packages/x/y.py", "lib/python3.12/site-packages/", "site-packages"),
    ("vendor/site-packages/x.py", "vendor/site-packages/", "site-packages"),
    ("/usr/lib/python3/dist-packages/web3/x.py", "/usr/lib/python3/dist-packages/", "dist-packages"),
    ("web/node_modules/ethers/lib/wallet.js", "web/node_modules/", "node_modules"),
    ("node_modules/a/node_modules/b/index.js", "node_modules/", "node_modules"),
    ("./node_modules/a.js", "node_modules/", "node_modules"),
    ("venv/pyvenv.cfg", "venv/", "virtual environment"),
])
def test_the_tree_a_path_belongs_to(path: str, root: str, what: str) -> None:
    found = VendoredTrees().root_of(path)
    assert found is not None and found[0] == root and what in found[1]


@pytest.mark.parametrize("path", ["src/site_packages.py", "docs/node_modules.md", "node_modules", "bot.py",
                                  "lib/python3.11/config.py", "packages/site/x.py"])
def test_ordinary_paths_are_not_vendored(path: str) -> None:
    assert VendoredTrees().root_of(path) is None


def test_a_venv_is_recognised_by_its_marker_file_on_disk(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "myenv" / "bin").mkdir(parents=True)
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    trees = VendoredTrees()
    assert trees.take("myenv/bin/activate") and not trees.take("src/bot.py")
    assert trees.trees == {"myenv/": ["a virtual environment", 1]}


@pytest.fixture
def repo(git_repo: Path, fake) -> tuple[Path, str]:
    """A bot with a committed venv and node_modules holding key-shaped test vectors, and one real finding."""
    files = {
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        ".venv/bin/activate": "export VIRTUAL_ENV=x\n",
        ".venv/lib/python3.11/site-packages/eth_account/tests/test_sign.py": fake('PRIVATE_KEY = "{eth_key:0x}"\n'),
        ".venv/lib/python3.11/site-packages/ccxt/test/keys.py": fake('BINANCE_API_SECRET = "{alnum:64}"\n'),
        "dashboard/node_modules/ethers/test/wallet.js": fake('const privateKey = "{eth_key:0x}";\n'),
        "bot.py": fake('BYBIT_API_SECRET = "{alnum:36}"\n'),
    }
    for name, text in files.items():
        (git_repo / name).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / name).write_text(text)
    git(git_repo, "add", "-A")
    return git_repo, "bot.py"


def _cli(cwd: Path, *args: str) -> tuple[int, dict, str]:
    proc = subprocess.run([CLI, "scan", "--format", "json", *args], cwd=cwd, capture_output=True, text=True)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _one_note_each(notes: list[str]) -> None:
    venv = [n for n in notes if n.startswith(".venv/:")]
    modules = [n for n in notes if n.startswith("dashboard/node_modules/:")]
    assert len(venv) == 1 and len(modules) == 1, notes
    assert "a virtual environment, 4 files not scanned line by line" in venv[0]
    assert "git rm -r --cached -- .venv" in venv[0] and "--scan-vendored" in venv[0]
    assert "installed Node packages (node_modules), 1 file not scanned" in modules[0]


@pytest.mark.parametrize("mode", ["tree", "staged", "history"])
def test_scans_report_each_tree_once_and_nothing_inside(repo, mode: str) -> None:
    root, real = repo
    args = {"tree": [], "staged": ["--staged"], "history": ["--history"]}[mode]
    if mode == "history":
        git(root, "commit", "-qm", "bot with its venv")
    rc, doc, stderr = _cli(root, *args)
    assert rc == 1
    files = {f.get("file") or f["places"][0]["path"] for f in doc["findings"]} if mode != "history" else \
        {p["path"] for f in doc["findings"] for p in f["places"]}
    assert files == {real}
    _one_note_each(doc["notes"])
    assert ".venv/: a virtual environment" in stderr  # said in the text output's stream too


def test_the_hook_reports_each_tree_once(repo, capsys, monkeypatch) -> None:
    root, real = repo
    monkeypatch.chdir(root)
    names = git(root, "ls-files").stdout.split()
    assert hook_main(["--format", "json", *names]) == 1
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert [f["file"] for f in doc["findings"]] == [real]
    _one_note_each(doc["notes"])


def test_scan_vendored_scans_them_line_by_line(repo) -> None:
    root, real = repo
    rc, doc, _ = _cli(root, "--scan-vendored")
    assert rc == 1 and not any("not scanned line by line" in n for n in doc["notes"])
    assert len({f["file"] for f in doc["findings"]}) == 4  # bot.py and the three test vectors


def test_a_walk_outside_git_skips_them_too(repo, tmp_path: Path) -> None:
    root, real = repo
    plain = tmp_path / "export"
    subprocess.run(["cp", "-r", str(root), str(plain)], check=True)
    subprocess.run(["rm", "-rf", str(plain / ".git")], check=True)
    rc, doc, _ = _cli(plain)
    assert rc == 1 and [f["file"] for f in doc["findings"]] == [real]
    _one_note_each(doc["notes"])
    assert "If it is committed" in next(n for n in doc["notes"] if n.startswith(".venv/:"))


def test_an_untracked_venv_is_not_told_to_leave_git(git_repo: Path, fake) -> None:
    """A local .venv that was never added: the advice is .gitignore, not `git rm --cached` (which would fail)."""
    (git_repo / ".venv" / "lib/python3.11/site-packages/web3").mkdir(parents=True)
    (git_repo / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (git_repo / ".venv/lib/python3.11/site-packages/web3/keys.py").write_text(fake('KEY = "{eth_key:0x}"\n'))
    (git_repo / "bot.py").write_text("print('hello')\n")
    git(git_repo, "add", "bot.py")
    rc, doc, _ = _cli(git_repo)
    assert rc == 0 and doc["findings"] == []
    note = next(n for n in doc["notes"] if n.startswith(".venv/:"))
    assert "git does not track it: add `.venv/` to .gitignore" in note and "git rm" not in note


def test_history_notes_judge_the_repository_scanned_not_the_current_directory(repo, tmp_path: Path) -> None:
    """`scan --history REPO` from elsewhere: a venv committed once and since removed from the index is told to
    stay out via .gitignore; node_modules, still tracked, is told to leave git."""
    root, real = repo
    git(root, "commit", "-qm", "bot with its venv")
    git(root, "rm", "-r", "-q", "--cached", ".venv")
    git(root, "commit", "-qm", "venv out of git")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rc, doc, _ = _cli(elsewhere, "--history", str(root))
    assert rc == 1
    venv = next(n for n in doc["notes"] if n.startswith(".venv/:"))
    modules = next(n for n in doc["notes"] if n.startswith("dashboard/node_modules/:"))
    assert "git does not track it" in venv and "git rm" not in venv
    assert "git rm -r --cached -- dashboard/node_modules" in modules

