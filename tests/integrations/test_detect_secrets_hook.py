"""detect-exchange-secrets: detect-secrets-hook's arguments and exit codes, with our plugins, failing closed."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_key_guard import crypto_key_patterns
from crypto_key_guard.integrations.detect_secrets.hook import is_our_plugin_path, main
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.rules import default_rules

from conftest import git

pytest.importorskip("detect_secrets")

from crypto_key_guard.integrations.detect_secrets import bridge  # noqa: E402
from crypto_key_guard.integrations.detect_secrets.plugin_path import plugin_file  # noqa: E402

OURS = "(crypto-key-guard)"
BINANCE = "Binance API credential (crypto-key-guard)"


@pytest.fixture
def repo(git_repo: Path, monkeypatch) -> Path:
    monkeypatch.chdir(git_repo)  # detect-secrets works with paths relative to the repository root
    return git_repo


def put(repo: Path, name: str, text: str) -> str:
    (repo / name).write_text(text)
    git(repo, "add", name)
    return name


def run_json(capsys, *argv: str) -> tuple[int, set[tuple[str, int, str]]]:
    rc = main(["--json", *argv])
    out = capsys.readouterr().out
    doc = json.loads(out) if rc == 1 else {"results": {}}
    return rc, {(f, r["line_number"], r["type"]) for f, rs in doc["results"].items() for r in rs}


def make_baseline(repo: Path, *files: str) -> dict:
    """A baseline as a team makes it: the plain CLI with our plugin (a subprocess, as a user runs it)."""
    out = subprocess.run([sys.executable, "-m", "detect_secrets", "-c", "1", "scan", "--plugin", plugin_file(),
                          *files], cwd=repo, capture_output=True, text=True, check=True).stdout
    (repo / ".secrets.baseline").write_text(out)
    git(repo, "add", ".secrets.baseline")
    return json.loads(out)


def minimal_baseline(repo: Path, *plugins: dict) -> str:
    """A hand-written baseline naming these plugins, staged (detect-secrets-hook refuses an unstaged one)."""
    (repo / ".secrets.baseline").write_text(json.dumps({
        "version": "1.5.0", "plugins_used": list(plugins), "filters_used": [], "results": {}}))
    git(repo, "add", ".secrets.baseline")
    return (repo / ".secrets.baseline").read_text()


# -- what it reports --------------------------------------------------------------------------------------------
def test_reports_new_secrets_with_our_plugins_and_the_default_ones(repo, fake, capsys) -> None:
    name = put(repo, "bot.py", fake('import os\nBINANCE_API_SECRET = "{alnum:64}"\n'))
    rc, found = run_json(capsys, name)
    assert rc == 1
    assert (name, 2, BINANCE) in found
    assert (name, 2, "Secret Keyword") in found  # detect-secrets' own plugins run too


def test_clean_file_passes(repo, capsys) -> None:
    name = put(repo, "clean.py", 'import os\nKEY = os.environ["BINANCE_API_KEY"]\n')
    assert main([name]) == 0


def test_uuid_secret_and_ccxt_line_are_ours_only(repo, fake, capsys) -> None:
    """is_potential_uuid and is_indirect_reference are skipped for our types, kept for detect-secrets' own."""
    uuid_file = put(repo, "conf.py", fake('api_secret = "{uuid}"\n'))
    ccxt_file = put(repo, "ex.py", fake("ex = ccxt.binance({'apiKey': '{alnum:64}', 'secret': '{alnum:64}'})\n"))
    rc, found = run_json(capsys, uuid_file, ccxt_file)
    assert rc == 1
    assert [t for f, _, t in found if f == uuid_file and t.endswith(OURS)]  # the rule that fits: generic today
    assert {t for f, _, t in found if f == ccxt_file} == {BINANCE}
    assert len([1 for f, _, t in found if f == ccxt_file]) == 1  # (apiKey, secret): one entry per type and line
    # detect-secrets' own plugins are still filtered on these lines, as with detect-secrets-hook
    assert not [t for _, _, t in found if not t.endswith(OURS)]


def test_multiline_secret_is_reported_on_its_first_line(repo, fake, capsys) -> None:
    pem = put(repo, "id.pem", fake("x = 1\n-----BEGIN EC PRIVATE KEY-----\n{base64:64}\n{base64:64}\n"
                                   "-----END EC PRIVATE KEY-----\n"))
    rc, found = run_json(capsys, pem)
    assert rc == 1 and (pem, 2, "Private Key (crypto-key-guard)") in found


def test_output_is_redacted(repo, fake, capsys) -> None:
    secret = fake("{alnum:64}")
    uuid = fake("{uuid}")
    name = put(repo, "bot.py", f'BINANCE_API_SECRET = "{secret}"\napi_secret = "{uuid}"\n')
    assert main([name]) == 1
    out = capsys.readouterr().out
    assert f"{name}:1: {BINANCE} (value {secret[:4]}\u2026{secret[-4:]})" in out
    assert "Binance > Account > API Management" in out  # the family's remediation
    for raw in (secret, uuid, uuid.replace("-", "")):
        assert raw not in out
    assert main(["--json", name]) == 1
    out = capsys.readouterr().out
    assert secret not in out and uuid.replace("-", "") not in out


def test_pragma_allowlist(repo, fake, capsys) -> None:
    name = put(repo, "bot.py", fake('BINANCE_API_SECRET = "{alnum:64}"  # pragma: allowlist secret\n'
                                    '# pragma: allowlist nextline secret\nBINANCE_API_KEY = "{alnum:64}"\n'))
    assert main([name]) == 0


# -- the baseline ---------------------------------------------------------------------------------------------
def test_baseline_only_new_secrets_fail(repo, fake, capsys) -> None:
    name = put(repo, "bot.py", fake('BINANCE_API_SECRET = "{alnum:64}"\napi_secret = "{uuid}"\n'))
    baseline = make_baseline(repo, name)
    assert {r["line_number"] for r in baseline["results"][name] if r["type"].endswith(OURS)} == {1, 2}
    assert main(["--baseline", ".secrets.baseline", name]) == 0
    put(repo, name, (repo / name).read_text() + fake('BINANCE_API_KEY = "{alnum:64}"\n'))
    rc, found = run_json(capsys, "--baseline", ".secrets.baseline", name)
    assert rc == 1 and found == {(name, 3, BINANCE), (name, 3, "Base64 High Entropy String"),
                                 (name, 3, "Secret Keyword")}


def test_moved_lines_rewrite_the_baseline_and_keep_its_plugin_paths(repo, fake, capsys) -> None:
    name = put(repo, "bot.py", fake('BINANCE_API_SECRET = "{alnum:64}"\n'))
    baseline = make_baseline(repo, name)
    # made on another machine: our plugin file at a path that does not exist here
    foreign = "file:///home/alice/venv/lib/python3.11/site-packages/crypto_key_guard/detect_secrets_plugin.py"
    text = (repo / ".secrets.baseline").read_text().replace("file://" + plugin_file(), foreign)
    (repo / ".secrets.baseline").write_text(text)
    git(repo, "add", ".secrets.baseline")
    assert main(["--baseline", ".secrets.baseline", name]) == 0  # read as this install's plugin
    put(repo, name, "import os\n\n" + (repo / name).read_text())
    assert main(["--baseline", ".secrets.baseline", name]) == 3
    assert "baseline file was updated" in capsys.readouterr().out
    rewritten = json.loads((repo / ".secrets.baseline").read_text())
    assert rewritten["plugins_used"] == [dict(p, path=foreign) if "path" in p else p
                                         for p in baseline["plugins_used"]]
    assert {r["line_number"] for r in rewritten["results"][name]} == {3}
    git(repo, "add", ".secrets.baseline")
    assert main(["--baseline", ".secrets.baseline", name]) == 0


def test_baseline_without_our_plugins_still_gets_them_but_is_not_changed(repo, fake) -> None:
    name = put(repo, "bot.py", fake('x = 1\nBINANCE_API_SECRET = "{alnum:64}"\n'))
    before = minimal_baseline(repo, {"name": "KeywordDetector", "keyword_exclude": ""})
    assert main(["--baseline", ".secrets.baseline", name]) == 1
    assert (repo / ".secrets.baseline").read_text() == before


# -- failing closed -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", [
    {"name": "Gone", "path": "file:///nonexistent/plugin.py"},
    {"name": "NoSuchDetector"},
    {"name": "Broken", "path": "file://broken_plugin.py"},
])
def test_a_plugin_that_cannot_be_loaded_is_exit_2(repo, fake, capsys, entry) -> None:
    (repo / "broken_plugin.py").write_text("this is not python(\n")
    name = put(repo, "bot.py", fake('BINANCE_API_SECRET = "{alnum:64}"\n'))
    minimal_baseline(repo, {"name": "KeywordDetector"}, entry)
    assert main(["--baseline", ".secrets.baseline", name]) == 2
    captured = capsys.readouterr()
    assert "detect-exchange-secrets: error:" in captured.err and "cannot be loaded" in captured.err + captured.out
    assert "BINANCE" not in captured.out  # nothing was scanned


def test_detect_secrets_hook_itself_fails_open_here(repo, fake) -> None:
    """The trap this hook exists for, measured with detect-secrets-hook: a missing plugin file passes."""
    name = put(repo, "bot.py", fake('BINANCE_API_SECRET = "{alnum:64}"\n'))
    minimal_baseline(repo, {"name": "Gone", "path": "file:///nonexistent/plugin.py"})
    out = subprocess.run([sys.executable, "-m", "detect_secrets.pre_commit_hook", "--baseline",
                          ".secrets.baseline", name], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0


def test_usage_errors_are_exit_2(repo, capsys) -> None:
    assert main(["--baseline", "no-such-baseline.json", "x.py"]) == 2
    assert main(["--no-such-option"]) == 2
    assert main(["--help"]) == 0


def test_disable_one_of_our_plugins(repo, fake, capsys) -> None:
    name = put(repo, "bot.py", fake('BINANCE_API_SECRET = "{alnum:64}"\n'))
    rc, found = run_json(capsys, "--disable-plugin", "CryptoKeyGuardBinanceDetector", name)
    assert rc == 1 and not [t for _, _, t in found if t == BINANCE]


def test_is_our_plugin_path() -> None:
    assert is_our_plugin_path("/x/site-packages/crypto_key_guard/detect_secrets_plugin.py")
    assert not is_our_plugin_path("/x/plugins/detect_secrets_plugin.py")
    assert not is_our_plugin_path("/nonexistent/plugin.py")


# -- agreement with crypto-key-patterns on every rule example --------------------------------------------------
def test_agrees_with_crypto_key_patterns_on_every_rule_example(repo, capsys) -> None:
    types = {cls.family: cls.secret_type for cls in bridge.plugin_classes().values()}
    names, expected = [], set()
    for rule in default_rules().rules:
        for i, template in enumerate(rule.examples["match"]):
            name = f"{rule.id}-{i}.txt"
            (repo / name).write_text(expand(template, seeded(f"ds-{rule.id}-{i}")))
            names.append(name)
    git(repo, "add", "-A")
    assert crypto_key_patterns.main(["--format", "json", *names]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    rule_family = {r.id: bridge.family_of(r) for r in default_rules().rules}
    expected = {(f["file"], f["line"], types[rule_family[f["rule"]]]) for f in findings}
    # secrets written over several lines (a mnemonic one word per line, a PEM block, ...), by their first line
    multiline = {(name, (repo / name).read_bytes()[: m.start].count(b"\n") + 1, types[bridge.family_of(m.rule)])
                 for name in names for m in Scanner().iter_matches((repo / name).read_bytes(), name)
                 if "\n" in m.value}
    assert multiline and multiline <= expected
    every_example_found = {f["file"] for f in findings}
    assert every_example_found == set(names)  # each example is found by crypto-key-patterns
    rc, found = run_json(capsys, *names)
    assert rc == 1
    ours = {(f, line, t) for f, line, t in found if t.endswith(OURS)}
    assert ours == expected
    # and detect-secrets sees nothing of ours on a clean file
    assert not re.search(r"crypto-key-guard", json.dumps(sorted(found - ours)))
