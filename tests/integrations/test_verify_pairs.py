"""Pairing found values into key + secret (+ passphrase), and the verification step's pacing, budget and ranking,
without any server (a stub stands in for ccxt where a request would be made)."""
from __future__ import annotations

import pytest

from crypto_key_guard.engine.rules import default_rules
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.errors import EXIT_FINDINGS, EXIT_LIVE_KEY, EXIT_LIVE_KEY_MOVES_FUNDS
from crypto_key_guard.integrations import verify
from crypto_key_guard.integrations.keypairs import KEY, PASSPHRASE, SECRET, RawValue, pair_values, role_from_name


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(default_rules())


def pairs_in(scanner: Scanner, text: str, venue: str, needs_passphrase: bool = False):
    values = [v for v in verify.raw_values(scanner, text.encode(), "f") if v.venue == venue]
    return pair_values(values, needs_passphrase)


@pytest.mark.parametrize("name, role", [
    ('BINANCE_API_KEY=', KEY), ('"apiKey": "', KEY), ("api_secret='", SECRET), ('secretKey: ', SECRET),
    ('OKX_PASSPHRASE=', PASSPHRASE), ('"password": "', PASSPHRASE), ("okx_pass = '", PASSPHRASE),
    ('private_key = "', SECRET), ('client_id=', KEY), ('Client("', ""), ('", "', ""),
    ("  - name: BINANCE_API_SECRET\n    value: \"", SECRET),
])
def test_role_from_name(name, role):
    assert role_from_name(name) == role


@pytest.mark.parametrize("layout", [
    'exchange = ccxt.binance({{"apiKey": "{k}", "secret": "{s}"}})',
    'BINANCE_API_SECRET={s}\nBINANCE_API_KEY={k}\n',
    'env:\n  - name: BINANCE_API_SECRET\n    value: "{s}"\n  - name: BINANCE_API_KEY\n    value: "{k}"\n',
    'from binance.client import Client\nclient = Client("{k}", "{s}")\n',
    'from binance.client import Client\nclient = Client(\n    "{k}",\n    "{s}",\n)\n',
    '"exchange": {{"name": "binance", "key": "{k}", "secret": "{s}"}}',
])
def test_layouts_pair_the_key_with_its_secret(layout, scanner, fake):
    k, s = fake("{alnum:64}"), fake("{alnum:64}")
    pairs, left = pairs_in(scanner, layout.format(k=k, s=s), "Binance")
    assert [(p.key.value, p.secret.value) for p in pairs] == [(k, s)] and left == []


def test_two_pairs_in_one_file_pair_by_nearness(scanner, fake):
    k1, s1, k2, s2 = (fake("{alnum:64}") for _ in range(4))
    text = (f"# production\nBINANCE_API_KEY={k1}\nBINANCE_API_SECRET={s1}\n\n# testnet\n"
            f"BINANCE_TEST_API_KEY={k2}\nBINANCE_TEST_API_SECRET={s2}\n")
    pairs, _ = pairs_in(scanner, text, "Binance")
    assert {(p.key.value, p.secret.value) for p in pairs} == {(k1, s1), (k2, s2)}


def test_passphrase_joins_its_nearest_key(scanner, fake):
    k, s, p = fake("{uuid}"), fake("{HEX:32}"), fake("{alnum:12}") + "!"
    text = f"OKX_API_KEY={k}\nOKX_API_SECRET={s}\nOKX_PASSPHRASE={p}\n"
    with_pass, _ = pairs_in(scanner, text, "OKX", needs_passphrase=True)
    assert with_pass[0].passphrase is not None and with_pass[0].passphrase.value == p
    without, _ = pairs_in(scanner, text.replace(f"OKX_PASSPHRASE={p}\n", ""), "OKX", needs_passphrase=True)
    assert without[0].passphrase is None


def test_a_lone_value_is_left_unpaired():
    lone = RawValue("bybit-api-key", "Bybit", "k" * 18, 3, "BYBIT_API_KEY=")
    pairs, left = pair_values([lone])
    assert pairs == [] and left == [lone]


def test_same_value_twice_is_one_value():
    key = RawValue("x-api-key", "X", "a" * 20, 1, "key=")
    secret = RawValue("x-api-secret", "X", "b" * 20, 2, "secret=")
    pairs, left = pair_values([key, secret, key])
    assert len(pairs) == 1 and left == []


class StubClient:
    """Stands in for ccxt: records the keys it was built with; answers like the Binance parser expects."""
    AuthenticationError = type("AuthenticationError", (Exception,), {})

    def __init__(self) -> None:
        self.keys: list[str] = []


def _pair(n: int, venue: str = "Binance"):
    key = RawValue("binance-api-credential", venue, f"K{n:063d}", 1, "apiKey=")
    secret = RawValue("binance-api-credential", venue, f"S{n:063d}", 2, "secret=")
    return pair_values([key, secret])[0][0]


def test_checker_paces_requests_and_stops_at_the_budget_and_the_count(monkeypatch):
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    asked: list[str] = []

    def fake_make_client(ccxt, spec, key, *rest):
        asked.append(key)
        now[0] += 0.1  # the request's own time
        return object()

    monkeypatch.setattr(verify.client_api, "make_client", fake_make_client)
    monkeypatch.setattr(verify.client_api, "ask", lambda spec, client: verify.SPECS["binance"].parse(
        {"ipRestrict": True, "enableWithdrawals": False, "enableReading": True}))
    options = verify.VerifyOptions(timeout=5, budget=10, max_keys=3, pace=2.0)
    checker = verify.Checker(object(), None, options, clock=lambda: now[0], sleep=sleep)
    results = [checker.check(_pair(i)) for i in range(5)]
    assert [r["status"] for r in results] == ["live", "live", "live", "not-checked", "not-checked"]
    assert len(asked) == 3 and sleeps == [2.0, 2.0]  # the gap after each request
    assert "more than 3 keys" in results[3]["reason"]
    # the same credential again costs nothing
    assert checker.check(_pair(0)) is results[0] and len(asked) == 3
    short = verify.Checker(object(), None, verify.VerifyOptions(budget=0.5), clock=lambda: now[0], sleep=sleep)
    assert "time budget" in short.check(_pair(9))["reason"]


def test_unknown_venue_is_not_checked_and_says_which_are():
    result = verify.Checker(object(), None, verify.VerifyOptions()).check(_pair(1, venue="Nowhere"))
    assert result["status"] == "not-checked" and "Binance" in result["reason"]


@pytest.mark.parametrize("checks, code", [
    ([{"status": "live", "permissions": {"withdraw": True}}], EXIT_LIVE_KEY_MOVES_FUNDS),
    ([{"status": "live", "permissions": {"withdraw": None}}], EXIT_LIVE_KEY_MOVES_FUNDS),  # venue cannot say
    ([{"status": "live", "permissions": {"withdraw": False, "transfer": True}}], EXIT_LIVE_KEY_MOVES_FUNDS),
    ([{"status": "live", "permissions": {"withdraw": False, "transfer": None}}], EXIT_LIVE_KEY),
    ([{"status": "rejected"}, {"status": "not-checked"}], EXIT_FINDINGS),
])
def test_exit_codes(checks, code):
    from crypto_key_guard.engine.findings import Finding

    findings = [Finding("f", 1, 1, "r", "d", "critical", "high", "x", str(i), "exchange",
                        extra={"exchange": "Binance", "verification": v}) for i, v in enumerate(checks)]
    assert verify.exit_code(findings, EXIT_FINDINGS) == code


@pytest.mark.parametrize("doc, expected", [
    ({"status": "live", "venue": "Kraken", "reports": "liveness", "endpoint": "POST /0/private/Balance",
      "manage": "Kraken > Settings > API", "permissions": {}},
     "LIVE: Kraken accepted the key (POST /0/private/Balance); its API does not report permissions: treat it as "
     "able to withdraw until checked in Kraken > Settings > API"),
    ({"status": "live", "venue": "Gate", "reports": "ip", "endpoint": "GET /api/v4/account/detail",
      "permissions": {}, "ip_restricted": False},
     "LIVE: Gate accepted the key; its permissions are not reported; works from ANY IP (GET /api/v4/account/detail)"),
    ({"status": "live", "venue": "OKX", "reports": "permissions", "endpoint": "GET /api/v5/account/config",
      "permissions": {"read": True, "trade": True, "withdraw": False, "transfer": None}, "ip_restricted": None},
     "LIVE OKX key: CAN trade, read; cannot withdraw; transfer not reported; IP whitelist not reported "
     "(GET /api/v5/account/config)"),
    ({"status": "error", "reason": "could not get an answer from Bybit (timed out)"},
     "not verified: could not get an answer from Bybit (timed out)"),
])
def test_summary_lines(doc, expected):
    assert verify.summary(doc) == expected
