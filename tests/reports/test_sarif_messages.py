"""Messages people act on: every shipped rule says what to do for its kind (and SARIF carries it to GitHub);
colour only on a terminal, never with NO_COLOR, never in JSON or SARIF."""
from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_key_guard.engine.findings import Finding
from crypto_key_guard.reports.text import use_colour, write_text
from crypto_key_guard.engine.rules import default_rules
from crypto_key_guard.reports.sarif import sarif_document

RULES = default_rules().rules
ESC = "\x1b["
BIN = Path(sys.executable).parent


def test_every_shipped_rule_says_what_to_do() -> None:
    assert len(RULES) > 20
    missing = [r.id for r in RULES if len(r.remediation) < 40]
    assert not missing, f"rules without a remediation: {missing}"


@pytest.mark.parametrize("rule", [r for r in RULES if r.kind == "exchange"], ids=lambda r: r.id)
def test_exchange_rules_name_the_exchange_and_link_its_api_page(rule) -> None:
    assert rule.exchange
    name = rule.exchange.lower().replace(".io", "").replace(".com", "")
    assert name in rule.remediation.lower(), rule.remediation
    assert re.search(r"https://\S+", rule.remediation), "no link to the exchange's API-management page"
    finding = _finding(rule)
    help_uri = sarif_document([finding])["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"]
    assert help_uri.startswith("https://") and help_uri in rule.remediation


def test_wallet_secrets_say_move_the_funds() -> None:
    wallet = [r for r in RULES if r.kind == "wallet"]
    assert {"bip39-mnemonic", "ethereum-private-key"} <= {r.id for r in wallet}
    for rule in wallet:
        text = rule.remediation.lower()
        assert ("move" in text or "sweep" in text) and ("fund" in text or "tokens" in text), rule.id
    mnemonic = next(r for r in wallet if r.id == "bip39-mnemonic")
    assert "cannot be rotated" in mnemonic.remediation
    help_text = sarif_document([_finding(mnemonic)])["runs"][0]["tool"]["driver"]["rules"][0]["help"]["text"]
    assert "cannot be rotated" in help_text and "environment" not in help_text  # no "rotate/reload" advice


def test_generic_credentials_say_move_to_the_environment() -> None:
    for rule in (r for r in RULES if r.kind == "generic"):
        assert "environment" in rule.remediation or ".env" in rule.remediation or "gitignore" in rule.remediation, \
            rule.id


def _finding(rule, severity: str | None = None) -> Finding:
    return Finding("bot.py", 3, 5, rule.id, rule.description, severity or rule.severity, rule.confidence,
                   "Abcd\u2026wxyz", "0" * 64, kind=rule.kind, remediation=rule.remediation)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_text_is_coloured_only_on_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    findings = [_finding(RULES[0], "critical"), _finding(RULES[0], "medium")]
    tty, pipe = Terminal(), io.StringIO()
    write_text(findings, tty)
    write_text(findings, pipe)
    assert ESC not in pipe.getvalue()
    assert f"{ESC}1;31m" in tty.getvalue() and f"{ESC}33m" in tty.getvalue()
    assert re.sub(r"\x1b\[[0-9;]*m", "", tty.getvalue()) == pipe.getvalue()  # colour adds nothing else
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Terminal())
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert use_colour(Terminal())


def _run_on_a_pty(args: list[str], cwd: Path, env: dict) -> tuple[int, str]:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, cwd=cwd, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")
    finally:
        os.close(master)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_real_terminal_gets_colour_unless_no_color(tmp_path, fake) -> None:
    (tmp_path / "bot.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    code, out = _run_on_a_pty([str(BIN / "crypto-key-patterns"), "bot.py"], tmp_path, env)
    assert code == 1 and f"{ESC}1;31mbot.py:1:" in out
    code, out = _run_on_a_pty([str(BIN / "crypto-key-patterns"), "bot.py"], tmp_path, dict(env, NO_COLOR="1"))
    assert code == 1 and "bot.py:1:" in out and ESC not in out
    code, out = _run_on_a_pty([str(BIN / "crypto-key-guard"), "scan", "--format", "json", "."], tmp_path, env)
    assert code == 1 and ESC not in out and '"rule": "binance-api-credential"' in out
    piped = subprocess.run([str(BIN / "crypto-key-patterns"), "bot.py"], cwd=tmp_path, env=env, capture_output=True,
                           text=True)
    assert piped.returncode == 1 and ESC not in piped.stdout and "bot.py:1:" in piped.stdout
