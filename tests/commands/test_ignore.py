"""`.crypto-key-guard-ignore`: accepted findings by rule + fingerprint (never a line number), `ignore add` and
`ignore check`, applied by `scan`, `scan --history` and the crypto-key-patterns hook."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import git

from crypto_key_guard.crypto_key_patterns import main as hook
from crypto_key_guard.commands.ignore import main as ignore
from crypto_key_guard.commands.scan import main as scan

IGNORE = ".crypto-key-guard-ignore"


class Stdin(io.StringIO):
    def __init__(self, tty: bool, text: str = "") -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture
def repo(git_repo: Path, fake, monkeypatch) -> Path:
    """A repository with a Binance secret in bot.py and a test fixture key in tests/fixture.py."""
    (git_repo / "tests").mkdir()
    (git_repo / "bot.py").write_text(f'import os\nBINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    (git_repo / "tests" / "fixture.py").write_text(f'KRAKEN_API_KEY = "{fake("{base64:56}")}"\n')
    git(git_repo, "add", "-A")
    monkeypatch.chdir(git_repo)
    monkeypatch.setattr(sys, "stdin", Stdin(tty=False))
    return git_repo


def entries(repo: Path) -> list[str]:
    path = repo / IGNORE
    return [l for l in path.read_text(encoding="utf-8").splitlines() if l and not l.startswith("#")] \
        if path.exists() else []


def test_add_without_a_terminal_requires_yes(repo, capsys) -> None:
    assert scan([]) == 1
    assert ignore(["add"]) == 2
    err = capsys.readouterr().err
    assert "--yes" in err and "not on a terminal" in err
    assert not (repo / IGNORE).exists()


def test_add_from_a_real_process_without_a_tty(repo) -> None:
    cli = Path(sys.executable).parent / "crypto-key-guard"
    proc = subprocess.run([str(cli), "ignore", "add"], cwd=repo, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "--yes" in proc.stderr
    assert not (repo / IGNORE).exists()


def test_add_records_every_finding_and_they_no_longer_fail(repo, capsys) -> None:
    assert scan([]) == 1
    capsys.readouterr()
    assert ignore(["add", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "bot.py:2:" in out and "tests/fixture.py:1:" in out and "added 2 entries" in out
    lines = entries(repo)
    assert len(lines) == 2
    for line in lines:
        rule_fp = line.split()[0]
        rule, fp = rule_fp.split(":")
        assert rule in ("binance-api-credential", "kraken-api-key") and len(fp) == 64
        assert ":2 " in line or ":1 " in line  # where it was seen, in the comment only
    text = (repo / IGNORE).read_text(encoding="utf-8")
    assert text.startswith("# crypto-key-guard accepted findings")
    assert scan([]) == 0
    assert hook(["bot.py", "tests/fixture.py"]) == 0
    assert ignore(["add", "--yes"]) == 0 and "already accepted" in capsys.readouterr().out
    assert len(entries(repo)) == 2  # nothing added twice


def test_accepted_after_the_code_moves_lines_and_files(repo, capsys) -> None:
    assert ignore(["add", "--yes"]) == 0
    bot = repo / "bot.py"
    bot.write_text("import sys\n\n\n\n# settings\n" + bot.read_text())  # new line numbers
    assert scan([]) == 0
    (repo / "pkg").mkdir()
    git(repo, "mv", "bot.py", "pkg/settings.py")  # another file: no path glob, so still accepted
    assert scan([]) == 0
    assert hook(["pkg/settings.py"]) == 0


def test_history_scan_honours_the_ignore_file(repo, capsys) -> None:
    git(repo, "commit", "-q", "-m", "keys")
    assert scan(["--history"]) == 1
    assert ignore(["add", "--yes"]) == 0
    assert scan(["--history"]) == 0


def test_with_path_limits_an_entry_to_its_file(repo, fake, capsys) -> None:
    assert ignore(["add", "--yes", "--with-path", "tests"]) == 0  # only the fixture, by its root-relative path
    [line] = entries(repo)
    assert line.split()[1] == "tests/fixture.py"
    assert scan([]) == 1  # bot.py is not accepted
    capsys.readouterr()
    git(repo, "rm", "-q", "-f", "bot.py")
    assert scan([]) == 0
    fixture = (repo / "tests" / "fixture.py").read_text()
    (repo / "copy.py").write_text(fixture)  # the same key in another file is a new finding
    assert scan([]) == 1
    assert "copy.py" in capsys.readouterr().out
    assert hook(["tests/fixture.py"]) == 0 and hook(["copy.py"]) == 1


def test_with_path_from_a_subdirectory_and_odd_names(repo, fake, monkeypatch) -> None:
    odd = repo / "tests" / "my fixtures#1"
    odd.mkdir()
    (odd / "k[1].py").write_text(f'OKX_API_SECRET = "{fake("{HEX:32}")}"\n')
    monkeypatch.chdir(repo / "tests")
    assert ignore(["add", "--yes", "--with-path", "my fixtures#1"]) == 0
    [line] = entries(repo)
    glob = line.split()[1]
    assert "#" not in glob and " " not in glob  # the line format cannot hold them: '?' instead
    monkeypatch.chdir(repo)
    assert hook(["tests/my fixtures#1/k[1].py"]) == 0
    assert scan(["tests/my fixtures#1"]) == 0


def test_hand_written_glob(repo) -> None:
    assert ignore(["add", "--yes", "tests/fixture.py"]) == 0
    [line] = entries(repo)
    rule_fp = line.split()[0]
    salt = next(line for line in (repo / IGNORE).read_text().splitlines() if "fingerprint-salt" in line)
    (repo / IGNORE).write_text(f"{salt}\n{rule_fp} tests/*  # fixtures are fake\n")  # the salt line is kept
    assert hook(["tests/fixture.py"]) == 0
    (repo / "tests" / "fixture.py").rename(repo / "fixture.py")
    assert hook(["fixture.py"]) == 1


def test_check_lists_stale_entries(repo, capsys) -> None:
    assert ignore(["add", "--yes"]) == 0
    assert ignore(["check"]) == 0
    assert "still matches" in capsys.readouterr().out
    (repo / "bot.py").write_text('import os\nBINANCE_API_SECRET = os.environ["BINANCE_API_SECRET"]\n')
    assert ignore(["check"]) == 1
    out = capsys.readouterr().out
    [stale] = [l for l in out.splitlines() if "no finding" in l]
    stale_line = next(i for i, l in enumerate((repo / IGNORE).read_text().splitlines(), 1)
                      if l.startswith("binance-api-credential:"))
    assert stale.startswith(f"{repo / IGNORE}:{stale_line}: binance-api-credential:")
    assert "remove the line" in stale


def test_interactive_confirmation_on_a_terminal(repo, monkeypatch, capsys) -> None:
    answers = iter(["n", "y"])
    prompts: list[str] = []
    monkeypatch.setattr(sys, "stdin", Stdin(tty=True))
    monkeypatch.setattr("builtins.input", lambda prompt="": prompts.append(prompt) or next(answers))
    assert ignore(["add"]) == 0
    assert "nothing written" in capsys.readouterr().out and not (repo / IGNORE).exists()
    assert ignore(["add"]) == 0
    assert len(entries(repo)) == 2
    assert prompts and all("Accept these 2 finding(s)" in p and "[y/N]" in p for p in prompts)


def test_interactive_end_of_input_writes_nothing(repo, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", Stdin(tty=True))

    def eof(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    assert ignore(["add"]) == 0 and not (repo / IGNORE).exists()


@pytest.mark.parametrize("bad", [
    "binance-api-credential:1234  # fingerprint too short\n",
    "binance-api-credential 0123456789abcdef\n",
    "not an entry at all\n",
])
def test_malformed_file_is_exit_2_naming_file_and_line(repo, capsys, bad) -> None:
    (repo / IGNORE).write_text(f"# accepted\n\n{bad}")
    for run in (lambda: scan([]), lambda: hook(["bot.py"]), lambda: ignore(["check"]),
                lambda: ignore(["add", "--yes"])):
        assert run() == 2
        err = capsys.readouterr().err
        assert f"{IGNORE}:3:" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_pragma_allowlist_still_works_beside_the_ignore_file(repo, fake) -> None:
    assert ignore(["add", "--yes", "tests"]) == 0
    (repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"  # pragma: allowlist secret\n')
    assert scan([]) == 0 and hook(["bot.py", "tests/fixture.py"]) == 0


def test_appends_keeping_the_file_and_one_line_notes(repo) -> None:
    head = "# ours\n# fingerprint-salt: " + "ab" * 16 + "\nkraken-api-key:" + "0" * 64
    (repo / IGNORE).write_text(head + "  # old, no newline at end")
    assert ignore(["add", "--yes", "--note", "demo\nkeys from\tthe docs", "bot.py"]) == 0
    text = (repo / IGNORE).read_text()
    assert text.startswith(head + "  # old, no newline at end\n")
    new = text.splitlines()[-1]
    assert new.startswith("binance-api-credential:") and new.endswith("demo keys from the docs")
    assert scan(["bot.py"]) == 0


def test_ignore_file_location_from_the_configuration(repo) -> None:
    (repo / ".crypto-key-guard.yaml").write_text("ignore_file: security/accepted.txt\n")
    (repo / "security").mkdir()
    assert ignore(["add", "--yes"]) == 0
    assert (repo / "security" / "accepted.txt").exists() and not (repo / IGNORE).exists()
    assert scan([]) == 0


def test_add_records_only_what_scan_would_report(repo, fake) -> None:
    (repo / "app.py").write_text(f'api_key = "{fake("{alnum:32}")}"\n')  # generic: severity high
    assert ignore(["add", "--yes", "--min-severity", "critical"]) == 0
    assert {line.split(":")[0] for line in entries(repo)} == {"binance-api-credential", "kraken-api-key"}
    assert scan(["--min-severity", "critical"]) == 0 and scan([]) == 1
