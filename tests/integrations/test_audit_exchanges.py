"""`crypto-key-guard audit` against a local server that checks signatures the way each exchange documents them.

The real ccxt client signs the requests; CKG_AUDIT_API_BASE (test-only, loopback-only) points it at
tests/audit_server.py on 127.0.0.1. No test touches the internet. Credentials are generated per test.
"""
from __future__ import annotations

import json
import socket

import pytest
from audit_server import (  # audit_runner: the `run` fixture
    Credentials, FakeExchange, assert_no_secret, audit_runner, binance_answer, bybit_answer, coinbase_answer,
    make_credentials, okx_answer, venue_answer,
)

from crypto_key_guard.commands import audit
from crypto_key_guard.integrations.exchanges import SPECS
from crypto_key_guard.engine.findings import redact

EXCHANGES = ["binance", "okx", "bybit", "coinbase"]
WITH_IP_FLAG = ["binance", "okx", "bybit"]  # Coinbase's endpoint does not report the IP allowlist


@pytest.fixture
def make_creds(fake):
    return lambda exchange: make_credentials(exchange, fake)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_least_privilege_key_with_ip_whitelist_passes(exchange, make_creds, run):
    creds = make_creds(exchange)
    with FakeExchange(exchange, creds, venue_answer(exchange, creds, "least")) as server:
        code, out, err = run(exchange, creds, server.base)
    assert code == 0, err
    assert [s.accepted for s in server.seen] == [True]  # one signed request, and the signature checked out
    assert "OK: least privilege" in out
    assert redact(creds.key) in out
    assert_no_secret(out + err, creds)


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_key_that_can_withdraw_fails(exchange, make_creds, run):
    creds = make_creds(exchange)
    with FakeExchange(exchange, creds, venue_answer(exchange, creds, "withdraw")) as server:
        code, out, err = run(exchange, creds, server.base)
    assert code == 1, err
    assert [s.accepted for s in server.seen] == [True]
    assert "FAIL: the key can withdraw" in out
    assert SPECS[exchange].manage in out
    assert_no_secret(out + err, creds)


@pytest.mark.parametrize("exchange", ["binance", "bybit"])
def test_key_that_can_transfer_fails(exchange, make_creds, run):
    creds = make_creds(exchange)
    with FakeExchange(exchange, creds, venue_answer(exchange, creds, "transfer")) as server:
        code, out, _ = run(exchange, creds, server.base, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["exit_code"] == 1
    assert doc["permissions"]["transfer"] is True and doc["permissions"]["withdraw"] is False
    assert [p["problem"] for p in doc["problems"]] == ["transfer"]


@pytest.mark.parametrize("exchange", WITH_IP_FLAG)
def test_no_ip_whitelist_fails_unless_allowed(exchange, make_creds, run):
    creds = make_creds(exchange)
    with FakeExchange(exchange, creds, venue_answer(exchange, creds, "no-ip")) as server:
        strict = run(exchange, creds, server.base)
        relaxed = run(exchange, creds, server.base, "--allow-no-ip-whitelist")
    assert strict[0] == 1 and "works from any IP address" in strict[1]
    assert relaxed[0] == 0, relaxed[2]
    assert "OK: least privilege" in relaxed[1]
    assert [s.accepted for s in server.seen] == [True, True]


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_wrong_secret_is_rejected_by_the_signature_check(exchange, make_creds, run):
    creds = make_creds(exchange)
    other = make_creds(exchange)
    wrong = Credentials(creds.key, other.secret, creds.passphrase)
    with FakeExchange(exchange, creds, venue_answer(exchange, creds, "least")) as server:
        code, out, err = run(exchange, wrong, server.base)
    assert code == 2
    assert [s.accepted for s in server.seen] == [False]
    assert out == ""
    assert err.count("\n") == 1 and "rejected the credentials" in err
    assert_no_secret(out + err, creds, wrong)


def test_wrong_okx_passphrase_is_rejected(make_creds, run):
    creds = make_creds("okx")
    wrong = Credentials(creds.key, creds.secret, creds.passphrase + "x")
    with FakeExchange("okx", creds, okx_answer()) as server:
        code, out, err = run("okx", wrong, server.base)
    assert code == 2 and "rejected the credentials" in err
    assert "PASSPHRASE" in server.seen[0].reason
    assert_no_secret(out + err, wrong)


def test_bybit_error_that_echoes_the_signed_string_is_sanitised(make_creds, run):
    # Bybit's "error sign!" answer quotes the string it signed, which holds the API key in full.
    creds = make_creds("bybit")
    wrong = Credentials(creds.key, make_creds("bybit").secret)
    with FakeExchange("bybit", creds, bybit_answer(creds.key)) as server:
        code, _, err = run("bybit", wrong, server.base)
    assert code == 2 and creds.key in server.seen[0].reason
    assert "error sign!" in err and creds.key not in err and redact(creds.key) in err


def test_coinbase_ed25519_key_is_signed_and_checked(make_creds, run):
    creds = make_creds("coinbase-ed25519")
    with FakeExchange("coinbase", creds, coinbase_answer()) as server:
        good = run("coinbase", creds, server.base)
        bad = run("coinbase", Credentials(creds.key, make_creds("coinbase-ed25519").secret), server.base)
    assert good[0] == 0, good[2]
    assert bad[0] == 2 and "rejected the credentials" in bad[2]
    assert [s.accepted for s in server.seen] == [True, False]


def test_coinbase_pem_with_escaped_newlines_and_unknown_ip_restriction(make_creds, run):
    creds = make_creds("coinbase")
    escaped = Credentials(creds.key, creds.secret.strip().replace("\n", "\\n"))  # as CI secrets often hold it
    with FakeExchange("coinbase", creds, coinbase_answer()) as server:
        code, out, _ = run("coinbase", escaped, server.base, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["least_privilege"] is True
    assert doc["ip_restricted"] is None and any("IP allowlist" in n for n in doc["notes"])


@pytest.mark.parametrize("exchange", EXCHANGES)
def test_json_report(exchange, make_creds, run):
    creds = make_creds(exchange)
    with FakeExchange(exchange, creds, venue_answer(exchange, creds, "withdraw")) as server:
        code, out, _ = run(exchange, creds, server.base, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["exit_code"] == 1 and doc["least_privilege"] is False
    assert doc["exchange"] == exchange and doc["key"] == redact(creds.key)
    assert doc["permissions"]["withdraw"] is True and doc["problems"][0]["problem"] == "withdraw"
    assert_no_secret(out, creds)


def test_environment_wins_over_dotenv(make_creds, run, tmp_path):
    creds = make_creds("binance")
    wrong = make_creds("binance")
    (tmp_path / ".env").write_text(f"BINANCE_API_KEY={wrong.key}\nBINANCE_API_SECRET={wrong.secret}\n")
    with FakeExchange("binance", creds, binance_answer()) as server:
        code, _, err = run("binance", creds, server.base)
    assert code == 0, err


def test_credentials_from_dotenv(make_creds, run, monkeypatch, capsys, tmp_path):
    creds = make_creds("okx")
    key_var, secret_var, passphrase_var = audit.credential_names(SPECS["okx"])
    (tmp_path / "bot.env").write_text(
        f'export {key_var}="{creds.key}"\n{secret_var}={creds.secret}  # trading bot\n'
        f"{passphrase_var}='{creds.passphrase}'\n")
    with FakeExchange("okx", creds, okx_answer()) as server:
        monkeypatch.setenv(audit.TEST_API_BASE_ENV, server.base)
        code = audit.main(["okx", "--env-file", "bot.env"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "203.0.113.7" in out


@pytest.mark.parametrize("status, body, expected", [
    (200, {"unexpected": True}, "unexpected shape"),
    (500, "internal error", "could not get an answer from Binance"),
])
def test_bad_answers_are_one_line_errors(status, body, expected, make_creds, run):
    creds = make_creds("binance")
    with FakeExchange("binance", creds, body, status=status) as server:
        code, out, err = run("binance", creds, server.base)
    assert code == 2 and expected in err and err.count("\n") == 1
    assert_no_secret(out + err, creds)


def test_error_answer_echoing_credentials_is_sanitised(make_creds, run):
    creds = make_creds("okx")
    echo = {"code": "50000", "msg": f"bad request key={creds.key} secret {creds.secret} pass {creds.passphrase}"}
    with FakeExchange("okx", creds, echo, status=400) as server:
        code, out, err = run("okx", creds, server.base)
    assert code == 2 and server.seen[0].accepted
    assert_no_secret(out + err, creds)


def test_unreachable_exchange_is_a_one_line_error(make_creds, run):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    creds = make_creds("bybit")
    code, out, err = run("bybit", creds, f"http://127.0.0.1:{port}", "--timeout", "5")
    assert code == 2 and "could not get an answer from Bybit" in err and err.count("\n") == 1
    assert_no_secret(out + err, creds)
