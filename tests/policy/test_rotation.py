"""Key rotation log: dates and policy with an injected clock, the random-token check, and data safety of
`record` (atomic write, other entries and unknown fields kept, no key material ever written)."""
from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from crypto_key_guard.policy import rotation
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.engine.findings import redact
from crypto_key_guard.policy.rotation import (DEFAULT_POLICY, Entry, RecordError, SecretCheck, check_file, evaluate,
                                       find_random_token, parse_when, record)
from crypto_key_guard.engine.rules import load_rules

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
DAYS = timedelta(days=1)


def write_log(path: Path, doc) -> bytes:
    data = (json.dumps(doc, indent=2) + "\n").encode()
    path.write_bytes(data)
    return data


def entry(days_ago: float, level: str = "trading", name: str = "binance-trading") -> Entry:
    return Entry(name, NOW - timedelta(days=days_ago), level)


# -- time and policy ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2026-01-31", datetime(2026, 1, 31, tzinfo=timezone.utc)),
    ("2026-01-31T09:30:00Z", datetime(2026, 1, 31, 9, 30, tzinfo=timezone.utc)),
    ("2026-01-31T09:30:00+02:00", datetime(2026, 1, 31, 7, 30, tzinfo=timezone.utc)),
    ("2026-01-31T09:30:00", datetime(2026, 1, 31, 9, 30, tzinfo=timezone.utc)),  # naive: utcnow() wrote it
    ("2026-01-31T09:30:00.123456+00:00", datetime(2026, 1, 31, 9, 30, 0, 123456, tzinfo=timezone.utc)),
])
def test_parse_when_gives_aware_utc(text, expected) -> None:
    assert parse_when(text) == expected
    assert parse_when(text).utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["yesterday", "31/01/2026", "2026-13-01", "", "2026-01-31T25:00",
                                  "9999-12-31T23:00:00-05:00"])
def test_parse_when_rejects_non_iso(text) -> None:
    with pytest.raises((ValueError, IndexError)):
        parse_when(text)


def test_evaluate_ages_states_and_order() -> None:
    statuses = evaluate([entry(10, name="fresh"), entry(40, name="old"), entry(25, name="soon"),
                         entry(120, "read_only", name="ro-old"), entry(20, "withdrawal", name="wd")],
                        DEFAULT_POLICY, NOW)
    # most urgent first: overdue (oldest due date first), then due soon, then ok
    assert [(s.entry.name, s.state) for s in statuses] == [
        ("ro-old", "overdue"), ("old", "overdue"), ("wd", "overdue"), ("soon", "due soon"), ("fresh", "ok")]
    old = statuses[1]
    assert (old.age_days, old.policy_days, old.due) == (40, 30, NOW - 10 * DAYS)


def test_overdue_starts_just_after_the_due_moment() -> None:
    e = entry(30)
    assert evaluate([e], DEFAULT_POLICY, NOW)[0].state == "due soon"
    assert evaluate([e], DEFAULT_POLICY, NOW + timedelta(seconds=1))[0].state == "overdue"


def test_policy_is_per_level_and_configurable() -> None:
    keys = [entry(40, "trading"), entry(40, "read_only", "kraken-ro"), entry(15, "withdrawal", "wd")]
    assert [s.state for s in evaluate(keys, DEFAULT_POLICY, NOW)] == ["overdue", "overdue", "ok"]
    loose = {"read_only": 30, "trading": 60, "withdrawal": 30}
    assert {s.entry.name: s.state for s in evaluate(keys, loose, NOW)} == {
        "kraken-ro": "overdue", "wd": "ok", "binance-trading": "ok"}


# -- the random-token check -----------------------------------------------------------------------------------
NAMES = [
    "binance-trading", "binance_trading_account_main", "Binance2024MainAccountBotV2", "okx-subaccount-2024-05-01",
    "kraken-futures-readonly-portfolio-tracker", "KuCoinSpotMarketMakerBotProduction", "binance.us-readonly-2025Q4",
    "gateio_futures_hedging_bot_v2_2026", "HTX-Grid-Bot-BTCUSDT-ETHUSDT-SOLUSDT", "mexc-arb-bot-node-3-eu-central-1a",
    "freqtrade-strategy-NostalgiaForInfinityX5", "3commas-dca-bot-binance-spot-usdt", "MEXC_GRID-BOT_EU-WEST-1_V2",
    "OKXSubAccountETHPerpMarketMakerKey", "coinbaseCDPKeyForTaxExportQ3Q4FY2026", "api-key-rotated-2026-11-25T09-30-00Z",
    "binancetradingaccountmainbotprod", "2026-11-25T12:00:00+00:00", "a" * 64, "0123456789" * 4,
]


@pytest.mark.parametrize("name", NAMES)
def test_key_names_are_not_tokens(name) -> None:
    assert find_random_token(name) is None


@pytest.mark.parametrize("template", [
    "{alnum:64}", "{alnum:32}", "{hex:64}", "{HEX:32}", "{uuid}", "{base64:88}", "{b64url:43}", "{base58:44}",
    "binance-trading-{alnum:64}", "{upalnum:8}-{upalnum:8}-{upalnum:8}-{upalnum:8}",
])
def test_random_tokens_are_found_inside_any_text(fake, template) -> None:
    value = fake(template)
    assert find_random_token(value) is not None
    assert find_random_token(f"my key {value} here") is not None


def test_token_check_catches_nearly_all_short_base62(fake) -> None:
    # 20 characters is the shortest run judged; a name-like random string is rare but possible
    missed = sum(find_random_token(fake("{alnum:24}")) is None for _ in range(300))
    assert missed <= 9


# -- record: data safety --------------------------------------------------------------------------------------
def test_record_creates_the_log_in_the_seed_format(tmp_path) -> None:
    log = tmp_path / ".key_rotation_log.json"
    record(log, "binance-trading", "trading", NOW, NOW)
    assert json.loads(log.read_text()) == {
        "binance-trading": {"last_rotated": "2026-11-25T12:00:00+00:00", "permission_level": "trading"}}


def test_record_keeps_other_entries_unknown_fields_and_order(tmp_path) -> None:
    log = tmp_path / "log.json"
    write_log(log, {
        "kraken-ro": {"last_rotated": "2026-10-01T00:00:00", "permission_level": "read_only", "owner": "ops"},
        "binance-trading": {"note": "bot 1", "last_rotated": "2026-09-01", "permission_level": "read_only"},
    })
    record(log, "binance-trading", "trading", NOW - DAYS, NOW)
    record(log, "okx-grid", "trading", NOW, NOW)
    doc = json.loads(log.read_text())
    assert list(doc) == ["kraken-ro", "binance-trading", "okx-grid"]
    assert doc["kraken-ro"] == {"last_rotated": "2026-10-01T00:00:00", "permission_level": "read_only", "owner": "ops"}
    assert doc["binance-trading"] == {"note": "bot 1", "last_rotated": "2026-11-24T12:00:00+00:00",
                                      "permission_level": "trading"}


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_record_keeps_the_file_mode_and_never_writes_through_a_link(tmp_path) -> None:
    real = tmp_path / "real.json"
    write_log(real, {})
    real.chmod(0o640)
    record(real, "binance-trading", "trading", NOW, NOW)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    before = real.read_bytes()
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(RecordError, match="symbolic link"):  # one write policy: links are never written through
        record(link, "kraken-ro", "read_only", NOW, NOW)
    assert link.is_symlink() and real.read_bytes() == before


def test_a_failed_write_leaves_the_old_file_whole_and_no_temp_file(tmp_path, monkeypatch) -> None:
    log = tmp_path / "log.json"
    before = write_log(log, {"kraken-ro": {"last_rotated": "2026-10-01", "permission_level": "read_only"}})

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(RecordError, match="cannot write .*unchanged"):
        record(log, "binance-trading", "trading", NOW, NOW)
    assert log.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.json"]


@pytest.mark.parametrize("content, reason", [
    (b'{"kraken-ro": {"last_rotated": "2026-10-01", ', "not valid JSON"),
    (b'["kraken-ro"]', "expected an object of key names"),
    (b'{"a": {}, "a": {}}', "appears twice"),
    (b'\xff\xfe{}', "not UTF-8"),
])
def test_record_never_overwrites_a_file_it_cannot_read(tmp_path, content, reason) -> None:
    log = tmp_path / "log.json"
    log.write_bytes(content)
    with pytest.raises(RecordError, match=reason):
        record(log, "binance-trading", "trading", NOW, NOW)
    assert log.read_bytes() == content


def test_record_replaces_a_broken_entry_of_the_same_name_but_not_another(tmp_path) -> None:
    log = tmp_path / "log.json"
    write_log(log, {"binance-trading": {"last_rotated": "last week", "permission_level": "trading"}})
    record(log, "binance-trading", "trading", NOW, NOW)
    assert json.loads(log.read_text())["binance-trading"]["last_rotated"] == "2026-11-25T12:00:00+00:00"
    before = write_log(log, {"kraken-ro": {"last_rotated": "2026-10-01", "permission_level": "admin"}})
    with pytest.raises(RecordError, match="key 'kraken-ro': unknown permission_level 'admin'"):
        record(log, "binance-trading", "trading", NOW, NOW)
    assert log.read_bytes() == before


def test_record_refuses_a_future_date_beyond_clock_skew(tmp_path) -> None:
    log = tmp_path / "log.json"
    with pytest.raises(RecordError, match="in the future"):
        record(log, "binance-trading", "trading", NOW + 2 * DAYS, NOW)
    assert not log.exists()
    record(log, "binance-trading", "trading", NOW + timedelta(hours=3), NOW)  # another machine's clock
    assert log.exists()


@pytest.mark.parametrize("name", ["", "   ", "two\nlines", "x" * 201])
def test_record_refuses_unusable_names(tmp_path, name) -> None:
    with pytest.raises(RecordError):
        record(tmp_path / "log.json", name, "trading", NOW, NOW)
    assert not (tmp_path / "log.json").exists()


# -- record: no key material ----------------------------------------------------------------------------------
@pytest.mark.parametrize("template", ["{alnum:64}", "binance-{alnum:64}", "{hex:64}", "{uuid}", "{base64:88}"])
def test_record_refuses_a_secret_as_name_without_echoing_it(tmp_path, fake, template) -> None:
    log = tmp_path / "log.json"
    before = write_log(log, {"kraken-ro": {"last_rotated": "2026-10-01", "permission_level": "read_only"}})
    secret = fake(template)
    with pytest.raises(RecordError) as err:
        record(log, secret, "trading", NOW, NOW)
    message = str(err.value)
    assert "looks like key material" in message
    assert secret not in message and redact(secret) in message
    assert log.read_bytes() == before


def test_record_asks_the_engine_too(tmp_path) -> None:
    # a value only a rule knows (too short and word-like for the token check): the engine must be consulted
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nrules:\n  - id: test-zz-token\n    description: test token\n"
                     "    regex: '(?P<secret>zz-[a-z]{8})'\n    keywords: ['zz-']\n")
    check = SecretCheck(Scanner(load_rules([rules], include_builtin=False)))
    assert find_random_token("bot-zz-qwertyui") is None
    with pytest.raises(RecordError, match=r"test-zz-token zz…ui"):
        record(tmp_path / "log.json", "bot-zz-qwertyui", "trading", NOW, NOW, secrets=check)
    record(tmp_path / "log.json", "bot-zz-short", "trading", NOW, NOW, secrets=check)


def test_record_refuses_to_rewrite_a_log_with_a_hand_edited_secret(tmp_path, fake) -> None:
    log = tmp_path / "log.json"
    secret = fake("{alnum:64}")
    before = write_log(log, {"kraken-ro": {"last_rotated": "2026-10-01", "permission_level": "read_only",
                                           "api_secret": secret}})
    with pytest.raises(RecordError) as err:
        record(log, "binance-trading", "trading", NOW, NOW)
    assert "must not hold key material" in str(err.value) and secret not in str(err.value)
    assert log.read_bytes() == before


# -- reading and judging a log --------------------------------------------------------------------------------
@pytest.mark.parametrize("doc, problem", [
    ({"kraken-ro": "2026-10-01"}, "key 'kraken-ro': expected an object with last_rotated and permission_level, "
                                  "found a string"),
    ({"kraken-ro": {"permission_level": "read_only"}}, "key 'kraken-ro': last_rotated is missing"),
    ({"kraken-ro": {"last_rotated": "2026-10-01"}}, "key 'kraken-ro': permission_level is missing"),
    ({"kraken-ro": {"last_rotated": 20261001, "permission_level": "read_only"}},
     "key 'kraken-ro': last_rotated must be an ISO 8601 string, found a number"),
    ({"kraken-ro": {"last_rotated": "2026-10-01", "permission_level": ["read_only"]}},
     "key 'kraken-ro': permission_level must be a string, found an array"),
    ({"kraken-ro": {"last_rotated": "2026-10-01", "permission_level": "admin"}},
     "key 'kraken-ro': unknown permission_level 'admin' (expected read_only, trading, withdrawal)"),
    ({"kraken-ro": {"last_rotated": "01.10.2026", "permission_level": "read_only"}},
     "key 'kraken-ro': last_rotated '01.10.2026' is not an ISO 8601 date"),
    ({"kraken-ro": {"last_rotated": "2062-10-01", "permission_level": "read_only"}},
     "key 'kraken-ro': last_rotated '2062-10-01' is in the future"),
    ({"": {"last_rotated": "2026-10-01", "permission_level": "read_only"}}, "empty key name"),
])
def test_malformed_entries_name_file_key_and_reason(tmp_path, doc, problem) -> None:
    log = tmp_path / "log.json"
    write_log(log, {"ok-key": {"last_rotated": "2026-11-01", "permission_level": "trading"}, **doc})
    checked = check_file(log, NOW)
    assert [e.name for e in checked.entries] == ["ok-key"]
    assert len(checked.errors) == 1 and problem in checked.errors[0]
    assert checked.errors[0].startswith(str(log)) or checked.errors[0].startswith("log.json")
    assert not checked.secrets


def test_empty_file_is_an_empty_log_and_missing_file_is_none(tmp_path) -> None:
    (tmp_path / "log.json").write_text("\n")
    checked = check_file(tmp_path / "log.json", NOW)
    assert (checked.entries, checked.errors, checked.secrets) == ([], [], [])
    assert check_file(tmp_path / "absent.json", NOW) is None


def test_hand_edited_secrets_are_found_and_redacted(tmp_path, fake) -> None:
    secret, as_name = fake("{alnum:64}"), fake("{alnum:40}")
    log = tmp_path / "log.json"
    log.write_text(json.dumps({
        "binance-trading": {"last_rotated": "2026-11-01", "permission_level": "trading", "key": secret},
        as_name: {"last_rotated": "2026-11-01", "permission_level": "admin"},
    }, indent=2))
    checked = check_file(log, NOW)
    text = "\n".join(checked.secrets + checked.errors)
    assert secret not in text and as_name not in text
    assert any("field 'key'" in m and redact(secret) in m for m in checked.secrets)
    # a secret used as a key name is shown redacted wherever the name appears, errors included
    assert any(f"key {redact(as_name)!r}" in m for m in checked.secrets)
    assert any(f"key {redact(as_name)!r}: unknown permission_level" in m for m in checked.errors)


def test_engine_findings_in_the_file_carry_a_line_number(tmp_path, fake) -> None:
    secret = fake("{alnum:64}")
    log = tmp_path / "log.json"
    log.write_text(json.dumps({"binance-trading": {"last_rotated": "2026-11-01", "permission_level": "trading",
                                                   "api_secret": secret}}, indent=2))
    checked = check_file(log, NOW)
    assert any(m.startswith(f"{rotation.display(log)}:5: ") for m in checked.secrets), checked.secrets


@pytest.mark.parametrize("depth, error", [(900, None), (100_000, "nested too deeply")])
def test_deeply_nested_hand_edits_give_a_message_not_a_traceback(tmp_path, depth, error) -> None:
    log = tmp_path / "log.json"
    log.write_text('{"k": {"last_rotated": "2026-11-01", "permission_level": "trading", "x": '
                   + "[" * depth + "]" * depth + "}}")
    checked = check_file(log, NOW)
    assert [e.name for e in checked.entries] == ([] if error else ["k"])
    assert (error in checked.errors[0]) if error else not checked.errors


def test_binary_content_is_a_one_line_error(tmp_path) -> None:
    log = tmp_path / "log.json"
    log.write_bytes(bytes(range(256)) * 4)
    assert check_file(log, NOW).errors == [f"{rotation.display(log)}: not UTF-8 text"]
