"""`scan --verify` end to end: a temp git repository holding generated fake keys, the real ccxt client, and local
servers (tests/audit_server.py) that check each request's signature as the exchange documents it. The loopback
CKG_AUDIT_API_BASE points ccxt at them; nothing touches the internet."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from audit_server import (
    Credentials, FakeExchange, Venue, assert_no_secret, binance_answer, bybit_answer, coinbase_answer,
    make_credentials, okx_answer,
)
from conftest import git

from crypto_key_guard import crypto_key_patterns
from crypto_key_guard.commands import scan
from crypto_key_guard.engine.findings import redact
from crypto_key_guard.integrations import verify
from crypto_key_guard.integrations.exchange_client import TEST_API_BASE_ENV


@pytest.fixture(autouse=True)
def no_pacing(monkeypatch):
    monkeypatch.setattr(verify, "PACE_SECONDS", 0.0)


@pytest.fixture
def creds(fake):
    return lambda exchange: make_credentials(exchange, fake)


def ccxt_dict(venue: str, c: Credentials) -> str:
    extra = f', "password": "{c.passphrase}"' if c.passphrase else ""
    return f'import ccxt\nexchange = ccxt.{venue}({{"apiKey": "{c.key}", "secret": "{c.secret}"{extra}}})\n'


def cdp_json(c: Credentials) -> str:
    return json.dumps({"name": c.key, "privateKey": c.secret}, indent=2) + "\n"


@pytest.fixture
def run(git_repo, monkeypatch, capsys):
    """run(base, *scan args) -> (exit code, stdout, stderr), in the repository, with the test base set."""
    monkeypatch.chdir(git_repo)

    def _run(base: str | None, *args: str):
        if base is None:
            monkeypatch.delenv(TEST_API_BASE_ENV, raising=False)
        else:
            monkeypatch.setenv(TEST_API_BASE_ENV, base)
        code = scan.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return _run


def commit(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "bot", "--no-verify")


def by_file(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in doc["findings"]:
        out.setdefault(f["file"], []).append(f)
    return out


def test_four_venues_in_one_repository(git_repo, run, creds):
    binance, okx, bybit, coinbase = creds("binance"), creds("okx"), creds("bybit"), creds("coinbase")
    commit(git_repo, {
        "bot.py": ccxt_dict("binance", binance),
        ".env.production": f"OKX_API_KEY={okx.key}\nOKX_API_SECRET={okx.secret}\nOKX_PASSPHRASE={okx.passphrase}\n"
                           f"BYBIT_API_KEY={bybit.key}\nBYBIT_API_SECRET={bybit.secret}\n",
        "cdp_api_key.json": cdp_json(coinbase),
    })
    venues = [Venue("binance", binance, binance_answer(withdraw=True, ip=False)),
              Venue("okx", okx, okx_answer()), Venue("bybit", bybit, bybit_answer(bybit.key, ip=False)),
              Venue("coinbase", coinbase, coinbase_answer())]
    with FakeExchange.serving(venues) as server:
        code, out, err = run(server.base, "--verify", "--format", "json", ".")
    assert code == 4, err  # a live key that can withdraw
    assert [s.accepted for s in server.seen] == [True] * 4  # one signed request per distinct key, all valid
    doc = json.loads(out)
    files = by_file(doc)
    assert doc["findings"][0]["file"] == "bot.py"  # live and can withdraw: ranked first
    for f in files["bot.py"]:
        v = f["verification"]
        assert v["status"] == "live" and v["permissions"]["withdraw"] is True and v["ip_restricted"] is False
        assert v["key"] == redact(binance.key) and v["exchange"] == "binance"
    for f in files[".env.production"]:
        v = f["verification"]
        assert v["status"] == "live"
        if f["rule"].startswith("okx"):
            assert v["permissions"]["withdraw"] is False and v["ip_restricted"] is True and "203.0.113.7" in v["ips"]
        else:
            assert v["permissions"]["transfer"] is False and v["exchange"] == "bybit" and v["ip_restricted"] is False
    assert {f["verification"]["permissions"]["transfer"] for f in files["cdp_api_key.json"]} == {False}
    assert doc["stats"]["verified"]["live"] == 9  # every finding: 2 + 3 + 2 + 2
    assert_no_secret(out + err, binance, okx, bybit, coinbase)


def test_text_and_sarif_show_the_verification(git_repo, run, creds):
    binance = creds("binance")
    commit(git_repo, {"bot.py": ccxt_dict("binance", binance)})
    with FakeExchange("binance", binance, binance_answer(withdraw=True)) as server:
        code, text, err = run(server.base, "--verify", ".")
        sarif_code, sarif, _ = run(server.base, "--verify", "--format", "sarif", ".")
    assert code == sarif_code == 4
    lines = text.splitlines()
    assert lines[1].startswith("    verification: LIVE Binance key: CAN WITHDRAW")
    assert "IP-restricted" in lines[1] and "cannot transfer" in lines[1]
    results = json.loads(sarif)["runs"][0]["results"]
    assert results and all(r["properties"]["verification"]["permissions"]["withdraw"] is True for r in results)
    assert len(server.seen) == 2  # one per run: the key and its secret make one request
    assert_no_secret(text + sarif + err, binance)


def test_least_privilege_live_key_exits_3(git_repo, run, creds):
    okx = creds("okx")
    commit(git_repo, {"config.py": ccxt_dict("okx", okx)})
    with FakeExchange("okx", okx, okx_answer()) as server:
        code, out, err = run(server.base, "--verify", ".")
    assert code == 3, err
    assert "LIVE OKX key: CAN trade, read; cannot withdraw" in out and "IP-restricted" in out


def test_without_verify_nothing_is_sent(git_repo, run, creds):
    binance = creds("binance")
    commit(git_repo, {"bot.py": ccxt_dict("binance", binance)})
    with FakeExchange("binance", binance, binance_answer(withdraw=True)) as server:
        code, out, _ = run(server.base, "--format", "json", ".")
    assert code == 1 and server.seen == []
    assert all("verification" not in f for f in json.loads(out)["findings"])


def test_rejected_key_and_unpaired_values(git_repo, run, creds):
    live, revoked, lone = creds("binance"), creds("binance"), creds("binance")
    commit(git_repo, {
        "live.py": ccxt_dict("binance", live),
        "revoked.py": ccxt_dict("binance", revoked),
        "lone.env": f"BINANCE_API_KEY={lone.key}\n",
    })
    with FakeExchange("binance", live, binance_answer()) as server:
        code, out, err = run(server.base, "--verify", "--format", "json", ".")
    assert code == 3, err
    assert sorted(s.accepted for s in server.seen) == [False, True]  # the lone key was never sent
    files = by_file(json.loads(out))
    assert {f["verification"]["status"] for f in files["revoked.py"]} == {"rejected"}
    assert "rejected" in files["revoked.py"][0]["verification"]["summary"]
    lone_v = files["lone.env"][0]["verification"]
    assert lone_v["status"] == "not-checked" and "secret was not found" in lone_v["reason"]
    assert [f["file"] for f in json.loads(out)["findings"]][:2] == ["live.py", "live.py"]
    assert_no_secret(out + err, live, revoked, lone)


def test_same_key_in_two_files_is_asked_once(git_repo, run, creds):
    binance = creds("binance")
    commit(git_repo, {"a.py": ccxt_dict("binance", binance), "b.py": ccxt_dict("binance", binance),
                      ".env": f"BINANCE_API_KEY={binance.key}\nBINANCE_API_SECRET={binance.secret}\n"})
    with FakeExchange("binance", binance, binance_answer()) as server:
        code, out, _ = run(server.base, "--verify", "--format", "json", ".")
    assert code == 3 and len(server.seen) == 1
    assert {f["verification"]["status"] for f in json.loads(out)["findings"]} == {"live"}


def test_passphrase_venue_without_passphrase_is_not_sent(git_repo, run, creds):
    okx = creds("okx")
    commit(git_repo, {".env": f"OKX_API_KEY={okx.key}\nOKX_API_SECRET={okx.secret}\n"})
    with FakeExchange("okx", okx, okx_answer()) as server:
        code, out, _ = run(server.base, "--verify", "--format", "json", ".")
    assert code == 1 and server.seen == []
    reasons = {f["verification"]["reason"] for f in json.loads(out)["findings"]}
    assert reasons == {"OKX keys need their passphrase, and none was found in the file"}


def test_time_out_is_an_unverified_finding_not_a_hang(git_repo, run, creds):
    binance = creds("binance")
    commit(git_repo, {"bot.py": ccxt_dict("binance", binance)})
    with FakeExchange.serving([Venue("binance", binance, binance_answer(), delay=3.0)]) as server:
        started = time.monotonic()
        code, out, err = run(server.base, "--verify", "--verify-timeout", "1", "--format", "json", ".")
        elapsed = time.monotonic() - started
    assert code == 1 and elapsed < 2.9, err
    v = json.loads(out)["findings"][0]["verification"]
    assert v["status"] == "error" and "could not get an answer from Binance" in v["reason"]


@pytest.mark.parametrize("status, body, expected", [
    (200, "<html>maintenance</html>", "unexpected shape"),
    (200, {"ipRestrict": True}, "unexpected shape"),
    (503, "upstream down", "could not get an answer from Binance"),
])
def test_malformed_answers_are_unverified_findings(status, body, expected, git_repo, run, creds):
    binance = creds("binance")
    commit(git_repo, {"bot.py": ccxt_dict("binance", binance)})
    with FakeExchange("binance", binance, body, status=status) as server:
        code, out, err = run(server.base, "--verify", "--format", "json", ".")
    assert code == 1, err
    v = json.loads(out)["findings"][0]["verification"]
    assert v["status"] == "error" and expected in v["reason"]
    assert_no_secret(out + err, binance)


def test_error_answer_echoing_the_credentials_is_sanitised(git_repo, run, creds):
    okx = creds("okx")
    commit(git_repo, {"config.py": ccxt_dict("okx", okx)})
    echo = {"code": "50000", "msg": f"bad request key={okx.key} secret {okx.secret} pass {okx.passphrase}"}
    with FakeExchange("okx", okx, echo, status=400) as server:
        code, out, err = run(server.base, "--verify", ".")
        json_code, json_out, _ = run(server.base, "--verify", "--format", "json", ".")
    assert code == json_code == 1 and server.seen[0].accepted
    assert_no_secret(out + err + json_out, okx)


def test_history_verify_finds_a_deleted_key_live(git_repo, run, creds):
    binance = creds("binance")
    commit(git_repo, {"bot.py": ccxt_dict("binance", binance)})
    (git_repo / "bot.py").unlink()
    git(git_repo, "commit", "-qam", "remove the key")
    with FakeExchange("binance", binance, binance_answer(withdraw=True)) as server:
        code, out, err = run(server.base, "--history", "--verify", "--format", "json")
        text_code, text, _ = run(server.base, "--history", "--verify")
    assert code == text_code == 4, err
    findings = json.loads(out)["findings"]
    assert findings and all(f["verification"]["permissions"]["withdraw"] is True for f in findings)
    assert all(f["in_head"] is False for f in findings)
    assert "verification: LIVE Binance key: CAN WITHDRAW" in text
    assert len(server.seen) == 2  # one per run
    assert_no_secret(out + text + err, binance)


def test_staged_verify_reads_the_index(git_repo, run, creds):
    binance = creds("binance")
    (git_repo / "bot.py").write_text(ccxt_dict("binance", binance))
    git(git_repo, "add", "bot.py")
    (git_repo / "bot.py").write_text("# the key was removed from the work tree, not from the index\n")
    with FakeExchange("binance", binance, binance_answer()) as server:
        code, out, err = run(server.base, "--staged", "--verify", "--format", "json")
    assert code == 3, err
    assert {f["verification"]["status"] for f in json.loads(out)["findings"]} == {"live"}


@pytest.mark.parametrize("base", ["http://203.0.113.9:8080", "https://127.0.0.1:443", "http://127.0.0.1:80/x"])
def test_test_base_must_be_loopback(base, git_repo, run, creds):
    commit(git_repo, {"bot.py": ccxt_dict("binance", creds("binance"))})
    code, out, err = run(base, "--verify", ".")
    assert code == 2 and out == "" and "test suite only" in err


def test_verify_without_ccxt_fails_before_scanning(git_repo, run, creds, monkeypatch):
    commit(git_repo, {"bot.py": ccxt_dict("binance", creds("binance"))})
    monkeypatch.setitem(sys.modules, "ccxt", None)
    code, out, err = run(None, "--verify", ".")
    assert code == 2 and out == "" and "pip install 'crypto-key-guard[audit]'" in err


def test_hook_verifies_only_when_its_args_say_so(git_repo, monkeypatch, capsys, creds):
    binance = creds("binance")
    commit(git_repo, {"bot.py": ccxt_dict("binance", binance)})
    monkeypatch.chdir(git_repo)
    monkeypatch.setattr(verify, "PACE_SECONDS", 0.0)
    with FakeExchange("binance", binance, binance_answer(withdraw=True)) as server:
        monkeypatch.setenv(TEST_API_BASE_ENV, server.base)
        plain = crypto_key_patterns.main(["bot.py"])
        assert server.seen == []
        verified = crypto_key_patterns.main(["--verify", "bot.py"])
    out = capsys.readouterr().out
    assert plain == 1 and verified == 4 and len(server.seen) == 1
    assert "verification: LIVE Binance key: CAN WITHDRAW" in out


def test_cli_subprocess_end_to_end(git_repo, creds):
    """The installed console script, as a user runs it (the acceptance check does the same with its own server)."""
    coinbase = creds("coinbase")
    commit(git_repo, {"cdp_api_key.json": cdp_json(coinbase)})
    with FakeExchange("coinbase", coinbase, coinbase_answer(transfer=True)) as server:
        env = {**__import__("os").environ, TEST_API_BASE_ENV: server.base}
        proc = subprocess.run([sys.executable, "-m", "crypto_key_guard.cli", "scan", "--verify", "--format", "json",
                               "."], cwd=git_repo, capture_output=True, text=True, env=env)
    assert proc.returncode == 4, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert {f["verification"]["permissions"]["transfer"] for f in findings} == {True}
    assert_no_secret(proc.stdout + proc.stderr, coinbase)


ENV_NAMES = {  # how the venues' own docs and bots name the variables (key, secret, passphrase)
    "kucoin": ("KUCOIN_API_KEY", "KUCOIN_API_SECRET", "KUCOIN_API_PASSPHRASE"),
    "bitget": ("BITGET_API_KEY", "BITGET_SECRET_KEY", "BITGET_PASSPHRASE"),
    "gate": ("GATE_API_KEY", "GATE_API_SECRET", None),
    "htx": ("HTX_ACCESS_KEY", "HTX_SECRET_KEY", None),
    "bitfinex": ("BITFINEX_API_KEY", "BITFINEX_API_SECRET", None),
    "gemini": ("GEMINI_API_KEY", "GEMINI_API_SECRET", None),
    "deribit": ("DERIBIT_CLIENT_ID", "DERIBIT_CLIENT_SECRET", None),
    "mexc": ("MEXC_API_KEY", "MEXC_SECRET_KEY", None),
    "bitstamp": ("BITSTAMP_API_KEY", "BITSTAMP_API_SECRET", None),
    "bitvavo": ("BITVAVO_API_KEY", "BITVAVO_API_SECRET", None),
    "cryptocom": ("CRYPTOCOM_API_KEY", "CRYPTOCOM_API_SECRET", None),
    "kraken": ("KRAKEN_API_KEY", "KRAKEN_API_SECRET", None),
    "poloniex": ("POLONIEX_API_KEY", "POLONIEX_SECRET", None),
}


def env_file(exchange: str, c: Credentials) -> str:
    key, secret, passphrase = ENV_NAMES[exchange]
    return f"{key}={c.key}\n{secret}={c.secret}\n" + (f"{passphrase}={c.passphrase}\n" if passphrase else "")


def test_every_added_venue_end_to_end(git_repo, run, creds):
    from audit_server import LIVENESS_VENUES, venue_answer

    keys = {exchange: creds(exchange) for exchange in ENV_NAMES}
    files = {}
    for i, (exchange, c) in enumerate(sorted(keys.items())):
        # half as a .env, half as the ccxt constructor a bot writes
        files[f"{exchange}.env" if i % 2 else f"{exchange}_bot.py"] = \
            env_file(exchange, c) if i % 2 else ccxt_dict(exchange, c)
    commit(git_repo, files)
    venues = [Venue(exchange, c, venue_answer(exchange, c, "withdraw")) for exchange, c in keys.items()]
    with FakeExchange.serving(venues) as server:
        code, out, err = run(server.base, "--verify", "--format", "json", ".")
    assert code == 4, err
    assert len(server.seen) == len(keys) + 1 and all(s.accepted for s in server.seen)  # HTX asks twice
    by_venue: dict[str, set] = {}
    for f in json.loads(out)["findings"]:
        v = f["verification"]
        assert v["status"] == "live", (f["file"], v)
        by_venue.setdefault(v["exchange"], set()).add(
            (v["permissions"]["withdraw"], v["reports"], v["ip_restricted"]))
    assert set(by_venue) == set(keys)
    for exchange, seen in by_venue.items():
        (withdraw, reports, ip), = seen
        if exchange in LIVENESS_VENUES:
            assert (withdraw, reports, ip) == (None, "liveness", None)
        elif exchange == "gate":
            assert (withdraw, reports, ip) == (None, "ip", True)
        else:
            assert withdraw is True and reports == "permissions", exchange
    assert_no_secret(out + err, *keys.values())


def test_key_kinds_no_venue_can_be_asked_about_are_not_sent(git_repo, run, creds):
    gemini = creds("gemini")
    master = "master-" + gemini.key[len("account-"):]
    commit(git_repo, {"gemini.env": f"GEMINI_API_KEY={master}\nGEMINI_API_SECRET={gemini.secret}\n"})
    with FakeExchange("gemini", gemini, {}) as server:
        code, out, err = run(server.base, "--verify", "--format", "json", ".")
    assert code == 1 and server.seen == [], err
    reasons = {f["rule"]: f["verification"]["reason"] for f in json.loads(out)["findings"]}
    assert "master keys" in reasons["gemini-api-key"] and "master keys" in reasons["gemini-api-secret"]


def test_one_venue_two_kinds_of_key(git_repo, run, creds):
    """Coinbase: a CDP key goes to Advanced Trade, an Exchange (ex-Pro) key with its passphrase to Exchange."""
    from audit_server import venue_answer

    cdp, exchange = creds("coinbase"), creds("coinbaseexchange")
    commit(git_repo, {
        "cdp_api_key.json": cdp_json(cdp),
        "coinbase.env": f"COINBASE_API_KEY={exchange.key}\nCOINBASE_API_SECRET={exchange.secret}\n"
                        f"COINBASE_PASSPHRASE={exchange.passphrase}\n",
    })
    venues = [Venue("coinbase", cdp, venue_answer("coinbase", cdp)),
              Venue("coinbaseexchange", exchange, venue_answer("coinbaseexchange", exchange))]
    with FakeExchange.serving(venues) as server:
        code, out, err = run(server.base, "--verify", "--format", "json", ".")
    assert code == 4 and [s.accepted for s in server.seen] == [True, True], err
    checked = {(f["file"], f["rule"]): f["verification"] for f in json.loads(out)["findings"]}
    for rule in ("coinbase-api-key", "coinbase-api-secret", "coinbase-passphrase"):
        v = checked["coinbase.env", rule]
        assert (v["status"], v["exchange"], v["reports"]) == ("live", "coinbaseexchange", "liveness")
    assert checked["cdp_api_key.json", "coinbase-cdp-key-name"]["exchange"] == "coinbase"
    assert_no_secret(out + err, cdp, exchange)


def test_several_roots_and_workers(git_repo, run, creds):
    binance = creds("binance")
    (git_repo / "a").mkdir()
    (git_repo / "b").mkdir()
    commit(git_repo, {"a/bot.py": ccxt_dict("binance", binance), "b/readme.txt": "nothing here\n"})
    with FakeExchange("binance", binance, binance_answer()) as server:
        code, out, err = run(server.base, "--verify", "--jobs", "2", "--format", "json", "a", "b")
    assert code == 3, err
    findings = json.loads(out)["findings"]
    assert {f["file"] for f in findings} == {"a/bot.py"}
    assert {f["verification"]["status"] for f in findings} == {"live"}
