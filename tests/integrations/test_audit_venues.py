"""`crypto-key-guard audit` for every venue the audit knows, against tests/audit_server.py: the real ccxt client
signs, the local server checks the signature as the venue documents it. Good keys, wrong secrets, wrong keys,
time-outs and malformed answers, per venue. No test touches the internet."""
from __future__ import annotations

import json

import pytest
from audit_server import (  # audit_runner: the `run` fixture
    ALL_VENUES, IP_ONLY_VENUES, LIVENESS_VENUES, PERMISSION_VENUES, Credentials, FakeExchange, Venue, audit_runner,
    assert_no_secret, make_credentials, venue_answer,
)

from crypto_key_guard.commands import audit
from crypto_key_guard.engine.findings import redact
from crypto_key_guard.integrations.exchanges import SPECS

REQUESTS = {"htx": 2}  # HTX's key endpoint needs the account id first


@pytest.fixture
def creds(fake):
    return lambda exchange: make_credentials(exchange, fake)


def test_every_venue_has_a_server_and_a_spec():
    assert sorted(ALL_VENUES) == sorted(SPECS)
    for venue in LIVENESS_VENUES:
        assert SPECS[venue].reports == "liveness"
    for venue in IP_ONLY_VENUES:
        assert SPECS[venue].reports == "ip"


@pytest.mark.parametrize("exchange", ALL_VENUES)
def test_good_key_is_read_with_a_valid_signature(exchange, creds, run):
    c = creds(exchange)
    with FakeExchange(exchange, c, venue_answer(exchange, c)) as server:
        code, out, err = run(exchange, c, server.base, "--format", "json", "--allow-unreported-permissions")
    assert [s.accepted for s in server.seen] == [True] * REQUESTS.get(exchange, 1), err
    doc = json.loads(out)
    assert code == 0 and doc["least_privilege"] is True, err
    assert doc["key"] == redact(c.key)
    if exchange in PERMISSION_VENUES:
        assert doc["permissions"]["withdraw"] is False
    else:
        assert doc["permissions"]["withdraw"] is None and doc["notes"]
    if exchange in IP_ONLY_VENUES:
        assert doc["ip_restricted"] is True and doc["ips"] == ["203.0.113.7"]
    assert_no_secret(out + err, c)


@pytest.mark.parametrize("exchange", [v for v in PERMISSION_VENUES if v not in ("binance", "okx", "bybit", "coinbase")])
def test_key_that_can_withdraw_fails(exchange, creds, run):
    c = creds(exchange)
    with FakeExchange(exchange, c, venue_answer(exchange, c, "withdraw")) as server:
        code, out, err = run(exchange, c, server.base)
    assert code == 1, err
    assert "FAIL: the key can withdraw" in out and SPECS[exchange].manage in out
    assert_no_secret(out + err, c)


@pytest.mark.parametrize("exchange", ["kucoin", "bitget", "bitfinex"])
def test_key_that_can_transfer_fails(exchange, creds, run):
    c = creds(exchange)
    with FakeExchange(exchange, c, venue_answer(exchange, c, "transfer")) as server:
        code, out, _ = run(exchange, c, server.base, "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["permissions"]["transfer"] is True and doc["permissions"]["withdraw"] is False
    assert [p["problem"] for p in doc["problems"]] == ["transfer"]


@pytest.mark.parametrize("exchange", ["kucoin", "bitget", "htx", "gate"])
def test_no_ip_whitelist_fails_unless_allowed(exchange, creds, run):
    c = creds(exchange)
    with FakeExchange(exchange, c, venue_answer(exchange, c, "no-ip")) as server:
        strict = run(exchange, c, server.base, "--allow-unreported-permissions")
        relaxed = run(exchange, c, server.base, "--allow-no-ip-whitelist", "--allow-unreported-permissions")
    assert strict[0] == 1 and "works from any IP address" in strict[1]
    assert relaxed[0] == 0, relaxed[2]


@pytest.mark.parametrize("exchange", LIVENESS_VENUES + IP_ONLY_VENUES)
def test_unreported_permissions_fail_until_accepted(exchange, creds, run):
    c = creds(exchange)
    with FakeExchange(exchange, c, venue_answer(exchange, c)) as server:
        code, out, _ = run(exchange, c, server.base)
    assert code == 1 and "does not say whether the key can withdraw" in out
    assert "--allow-unreported-permissions" in out and SPECS[exchange].manage in out


@pytest.mark.parametrize("exchange", ALL_VENUES)
@pytest.mark.parametrize("wrong", ["secret", "key"])
def test_wrong_credentials_are_rejected_by_the_signature_check(exchange, wrong, creds, run):
    c, other = creds(exchange), creds(exchange)
    used = Credentials(c.key, other.secret, c.passphrase) if wrong == "secret" else \
        Credentials(other.key, c.secret, c.passphrase)
    with FakeExchange(exchange, c, venue_answer(exchange, c)) as server:
        code, out, err = run(exchange, used, server.base)
    assert code == 2 and out == ""
    assert [s.accepted for s in server.seen] == [False]  # the server, not the client, said no
    assert err.count("\n") == 1 and "rejected the credentials" in err
    assert_no_secret(out + err, c, used)


@pytest.mark.parametrize("exchange", ALL_VENUES)
@pytest.mark.parametrize("body, status", [("<html>maintenance</html>", 200), ({"unexpected": True}, 200),
                                          ("bad gateway", 502)])
def test_malformed_answers_are_one_line_errors(exchange, body, status, creds, run):
    c = creds(exchange)
    answer = body
    if exchange == "htx":  # the first call must succeed for the second to be made
        answer = dict(venue_answer(exchange, c), **{"/v2/user/api-key": body})
    with FakeExchange(exchange, c, answer, status=status) as server:
        code, out, err = run(exchange, c, server.base)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    name = SPECS[exchange].name
    assert any(text in err for text in (f"{name} answered", f"could not get an answer from {name}")), err
    assert_no_secret(out + err, c)


@pytest.mark.parametrize("exchange", ["kucoin", "gate", "bitfinex", "deribit", "kraken"])
def test_time_out_is_a_one_line_error(exchange, creds, run):
    c = creds(exchange)
    with FakeExchange.serving([Venue(exchange, c, venue_answer(exchange, c), delay=3.0)]) as server:
        code, out, err = run(exchange, c, server.base, "--timeout", "1")
    assert code == 2 and f"could not get an answer from {SPECS[exchange].name}" in err
    assert_no_secret(out + err, c)


def test_gemini_master_keys_are_refused_before_any_request(creds, run):
    c = creds("gemini")
    master = Credentials("master-" + c.key[len("account-"):], c.secret)
    with FakeExchange("gemini", c, venue_answer("gemini", c)) as server:
        code, _, err = run("gemini", master, server.base)
    assert code == 2 and server.seen == [] and "rejected the credentials" in err


def test_deribit_key_without_account_read_is_live_with_unknown_scope(creds, run):
    c = creds("deribit")
    forbidden = {"jsonrpc": "2.0", "error": {"message": "forbidden", "code": 13021}, "testnet": False}
    with FakeExchange("deribit", c, forbidden, status=400) as server:
        code, out, _ = run("deribit", c, server.base, "--format", "json")
    doc = json.loads(out)
    assert server.seen[0].accepted and code == 1
    assert doc["permissions"]["withdraw"] is None and "account:read" in doc["notes"][0]
