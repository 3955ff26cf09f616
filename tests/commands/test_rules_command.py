"""`crypto-key-guard rules` (issue 17, item 10) and a reader that leaves early (`| head`) for every console script."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
CONSOLE_SCRIPTS = ("crypto-key-guard", "crypto-key-patterns", "env-file-guard", "gitignore-enforcer",
                   "detect-exchange-secrets", "key-rotation-check")

USER_RULES = """\
version: 1
rules:
  - id: acme-exchange-token
    description: ACME exchange token (a user's own rule)
    kind: exchange
    exchange: ACME
    severity: medium
    confidence: medium
    keywords: [acme]
    regex: 'acme_token\\s*=\\s*"(?P<secret>[A-Za-z0-9]{32})"'
"""


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "crypto-key-guard"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_rules_lists_the_loaded_rules_as_text_and_json(git_repo: Path) -> None:
    text = run("rules", cwd=git_repo)
    assert text.returncode == 0, text.stderr
    assert "binance-api-credential" in text.stdout and "Traceback" not in text.stderr
    listed = run("rules", "--format", "json", cwd=git_repo)
    rows = json.loads(listed.stdout)["rules"]
    binance = next(r for r in rows if r["id"] == "binance-api-credential")
    assert binance["venue"] == "Binance" and binance["kind"] == "exchange"
    assert {"id", "kind", "venue", "severity", "confidence", "description"} <= set(binance)
    assert len(rows) == json.loads(listed.stdout)["count"]


def test_rules_follows_the_project_configuration(git_repo: Path) -> None:
    (git_repo / "acme.yaml").write_text(USER_RULES)
    (git_repo / ".crypto-key-guard.yaml").write_text("patterns: [acme.yaml]\ndisable: [binance-api-credential]\n")
    rows = json.loads(run("rules", "--format", "json", cwd=git_repo).stdout)["rules"]
    ids = {r["id"] for r in rows}
    assert "acme-exchange-token" in ids and "binance-api-credential" not in ids
    assert next(r for r in rows if r["id"] == "acme-exchange-token")["venue"] == "ACME"
    only = json.loads(run("rules", "--format", "json", "--min-confidence", "high", cwd=git_repo).stdout)["rules"]
    assert "acme-exchange-token" not in {r["id"] for r in only}
    (git_repo / ".crypto-key-guard.yaml").write_text("patterns: [missing.yaml]\n")
    broken = run("rules", cwd=git_repo)
    assert broken.returncode == 2 and "missing.yaml" in broken.stderr and "Traceback" not in broken.stderr


def test_rules_coverage_lists_every_venue_and_service(git_repo: Path) -> None:
    """`rules --coverage`: each venue and service of the shipped tables with the fields recognised, as text and JSON;
    the README's coverage table is the same data (tests/test_readme_coverage.py)."""
    import yaml

    from crypto_key_guard.engine.rules import builtin_patterns_dir

    venues = yaml.safe_load((builtin_patterns_dir() / "venues.yaml").read_text(encoding="utf-8"))["venues"]
    services = yaml.safe_load((builtin_patterns_dir() / "services.yaml").read_text(encoding="utf-8"))["services"]
    listed = run("rules", "--coverage", "--format", "json", cwd=git_repo)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert doc["venues"] == len(venues) and doc["services"] == len(services)
    rows = {(r["table"], r["id"]): r for r in doc["coverage"]}
    assert rows[("venue", "hyperliquid")]["fields"] == {"privateKey": ["hyperliquid-private-key"]}
    assert rows[("venue", "hyperliquid")]["not_reported"] == ["walletAddress"]
    assert rows[("venue", "binance")]["fields"]["apiKey"] == ["binance-api-credential"]
    assert rows[("service", "cryptocompare")]["fields"] == {"api_key": ["cryptocompare-api-key"]}
    text = run("rules", "--coverage", cwd=git_repo)
    assert text.returncode == 0 and f"{len(venues)} venues:" in text.stdout and f"{len(services)} services:" in text.stdout
    assert "dydx" in text.stdout and "mnemonic (dydx-mnemonic)" in text.stdout


@pytest.mark.parametrize("script", CONSOLE_SCRIPTS)
def test_a_closed_pipe_ends_every_console_script_quietly(script: str, tmp_path: Path) -> None:
    proc = subprocess.Popen([str(BIN / script), "--help"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before anything is written
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()


def test_scan_and_rules_into_head(git_repo: Path, fake) -> None:
    for i in range(200):
        (git_repo / f"bot{i}.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    for args in (["scan", "."], ["rules"], ["scan", "--format", "json", "."]):
        result = subprocess.run(f"'{BIN / 'crypto-key-guard'}' {' '.join(args)} | head -1", shell=True,
                                cwd=git_repo, capture_output=True, text=True, timeout=120)
        assert result.stdout.strip() and "Traceback" not in result.stderr, result.stderr


def test_rules_offers_only_options_it_uses(tmp_path: Path) -> None:
    """`rules` reads no files: --scan-vendored is not among its options (it would do nothing there)."""
    assert "--scan-vendored" not in run("rules", "--help", cwd=tmp_path).stdout
    refused = run("rules", "--scan-vendored", cwd=tmp_path)
    assert refused.returncode == 2 and "--scan-vendored" in refused.stderr
    assert "--scan-vendored" in run("scan", "--help", cwd=tmp_path).stdout
