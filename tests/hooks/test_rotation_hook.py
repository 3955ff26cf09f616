"""key-rotation-check and `crypto-key-guard rotation record|status`, driven through main() with an injected clock."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from crypto_key_guard import cli, key_rotation_check

from crypto_key_guard.commands import rotation
from crypto_key_guard.engine.findings import redact

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=40)
LOG = ".key_rotation_log.json"


@pytest.fixture
def repo(git_repo, monkeypatch):
    """A git repository with a sub-directory as the current directory: the log belongs at the root."""
    sub = git_repo / "src" / "bot"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    return git_repo


def check(*argv: str, now: datetime = NOW) -> int:
    return key_rotation_check.main(list(argv), now=now)


def rot(*argv: str, now: datetime = NOW) -> int:
    return rotation.main(list(argv), now=now)


def test_no_log_is_a_pass_with_a_one_line_hint(repo, capsys) -> None:
    assert check() == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "crypto-key-guard rotation record NAME --permission" in out


def test_record_writes_at_the_repository_root(repo, capsys) -> None:
    assert rot("record", "binance-trading", "--permission", "trading") == 0
    doc = json.loads((repo / LOG).read_text())
    assert doc == {"binance-trading": {"last_rotated": "2026-11-25T12:00:00+00:00", "permission_level": "trading"}}
    assert "next rotation due by 2026-12-25" in capsys.readouterr().out


def test_outside_git_the_log_is_in_the_current_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert rot("record", "binance-trading", "--permission", "trading") == 0
    assert (tmp_path / LOG).is_file()


def test_a_trading_key_passes_today_and_fails_40_days_later(repo, capsys) -> None:
    assert rot("record", "binance-trading", "--permission", "trading") == 0
    assert check() == 0
    capsys.readouterr()
    assert check(now=LATER) == 1
    out = capsys.readouterr().out
    assert "binance-trading (trading) was last rotated 2026-11-25, 40 days ago; policy: every 30 days " \
           "(due 2026-12-25): overdue" in out
    for step in ("same or fewer permissions", "IP whitelist", "deploy it", "delete the old key",
                 "crypto-key-guard rotation record binance-trading --permission trading"):
        assert step in out


def test_warn_only_prints_the_same_and_passes(repo, capsys) -> None:
    rot("record", "binance-trading", "--permission", "trading", "--date", "2026-10-01")
    capsys.readouterr()
    assert check() == 1
    failing = capsys.readouterr().out
    assert check("--warn-only") == 0
    assert capsys.readouterr().out == failing


def test_overdue_keys_come_first_and_each_is_named(repo, capsys) -> None:
    (repo / LOG).write_text(json.dumps({
        "fresh": {"last_rotated": "2026-11-20", "permission_level": "trading"},
        "ro-old": {"last_rotated": "2026-06-01", "permission_level": "read_only"},
        "tr-old": {"last_rotated": "2026-10-01", "permission_level": "trading"},
    }))
    assert check() == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.endswith(": overdue")]
    assert [line.split(": ")[2].split(" ")[0] for line in lines] == ["ro-old", "tr-old"]


def test_policy_is_configurable(repo, capsys) -> None:
    rot("record", "binance-trading", "--permission", "trading", "--date", "2026-10-16")  # 40 days before NOW
    assert check() == 1
    assert check("--max-age-trading", "45") == 0
    assert check("--max-age-trading", "45", "--max-age-read-only", "1") == 0  # other levels do not apply
    for bad in ("0", "99999999", "2.5"):
        with pytest.raises(SystemExit) as exc:
            check("--max-age-trading", bad)
        assert exc.value.code == 2
    assert "at least 1 day" in capsys.readouterr().err


def test_withdrawal_keys_always_get_the_automation_warning(repo, capsys) -> None:
    assert rot("record", "okx-withdraw", "--permission", "withdrawal") == 0
    assert "should not hold withdrawal permission" in capsys.readouterr().out
    assert check() == 0  # fresh: a warning, not a failure
    assert "okx-withdraw has withdrawal permission: automated systems" in capsys.readouterr().out
    assert check(now=NOW + timedelta(days=15)) == 1  # 14-day policy


def test_due_soon_is_a_note(repo, capsys) -> None:
    rot("record", "binance-trading", "--permission", "trading", "--date", "2026-10-30")
    assert check() == 0
    assert "note: binance-trading (trading) was last rotated 2026-10-30, 26 days ago" in capsys.readouterr().out


@pytest.mark.parametrize("content, problem", [
    ("{not json", "not valid JSON (line 1, column 2"),
    ('{"binance-trading": {"last_rotated": "2026-11-01", "permission_level": "admin"}}',
     "key 'binance-trading': unknown permission_level 'admin'"),
    ('{"binance-trading": {"last_rotated": "next tuesday", "permission_level": "trading"}}',
     "key 'binance-trading': last_rotated 'next tuesday' is not an ISO 8601 date"),
    ('{"binance-trading": {"last_rotated": "2027-11-01", "permission_level": "trading"}}',
     "key 'binance-trading': last_rotated '2027-11-01' is in the future"),
    ('{"binance-trading": ["2026-11-01", "trading"]}', "key 'binance-trading': expected an object"),
])
def test_malformed_log_exits_2_naming_file_and_key(repo, capsys, content, problem) -> None:
    (repo / LOG).write_text(content)
    assert check() == 2
    assert check("--warn-only") == 2
    err = capsys.readouterr().err
    assert f"key-rotation-check: error: {LOG}: " in err or f"/{LOG}: " in err
    assert problem in err


def test_an_explicit_missing_file_is_a_configuration_error(repo, capsys) -> None:
    assert check("--file", "ops/rotation.json") == 2
    assert "ops/rotation.json: no such file" in capsys.readouterr().err


def test_file_option_reads_and_writes_another_path(repo, capsys, tmp_path) -> None:
    other = tmp_path / "elsewhere.json"
    assert rot("record", "kraken-ro", "--permission", "read_only", "--date", "2026-01-01", "--file", str(other)) == 0
    assert not (repo / LOG).exists()
    assert check("--file", str(other)) == 1
    assert f"crypto-key-guard rotation record kraken-ro --permission read_only --file {other}" in \
           capsys.readouterr().out


def test_a_hand_edited_secret_fails_even_with_warn_only_and_is_redacted(repo, capsys, fake) -> None:
    rot("record", "binance-trading", "--permission", "trading")
    secret = fake("{alnum:64}")
    doc = json.loads((repo / LOG).read_text())
    doc["binance-trading"]["api_secret"] = secret
    (repo / LOG).write_text(json.dumps(doc, indent=2))
    capsys.readouterr()
    assert check() == 1
    assert check("--warn-only") == 1
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert secret not in output and redact(secret) in output
    assert "holds key names, permission levels and dates only" in output


def test_a_secret_pasted_as_a_name_is_never_printed(repo, capsys, fake) -> None:
    secret = fake("{alnum:64}")
    (repo / LOG).write_text(json.dumps({secret: {"last_rotated": "2026-01-01", "permission_level": "trading"}}))
    assert check() == 1
    assert rot("status") == 1
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err
    assert redact(secret) in captured.out + captured.err


def test_record_refuses_a_secret_name_exit_2_redacted(repo, capsys, fake) -> None:
    secret = fake("{alnum:64}")
    assert rot("record", secret, "--permission", "trading") == 2
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err
    assert f"refusing to record {redact(secret)!r}" in captured.err
    assert not (repo / LOG).exists()


@pytest.mark.parametrize("argv, message", [
    (["record", "k", "--permission", "trading", "--date", "31/12/2026"], "is not an ISO 8601 date"),
    (["record", "k", "--permission", "trading", "--date", "2026-12-31"], "is in the future"),
])
def test_record_bad_dates_exit_2(repo, capsys, argv, message) -> None:
    assert rot(*argv) == 2
    assert message in capsys.readouterr().err


def test_status_table_overdue_first(repo, capsys) -> None:
    (repo / LOG).write_text(json.dumps({
        "fresh": {"last_rotated": "2026-11-20T08:00:00Z", "permission_level": "trading"},
        "wd": {"last_rotated": "2026-11-01", "permission_level": "withdrawal"},
        "kraken-ro": {"last_rotated": "2026-06-01", "permission_level": "read_only"},
    }))
    assert rot("status") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["KEY", "PERMISSION", "LAST", "ROTATED", "AGE", "(DAYS)", "POLICY", "(DAYS)", "DUE",
                                "STATE"]
    assert lines[1].split() == ["kraken-ro", "read_only", "2026-06-01", "177", "90", "2026-08-30", "overdue"]
    assert lines[2].split() == ["wd", "withdrawal", "2026-11-01", "24", "14", "2026-11-15", "overdue"]
    assert lines[3].split() == ["fresh", "trading", "2026-11-20", "5", "30", "2026-12-20", "ok"]
    assert "wd has withdrawal permission" in lines[4]


def test_status_json_and_policy(repo, capsys) -> None:
    rot("record", "binance-trading", "--permission", "trading", "--date", "2026-10-16")
    capsys.readouterr()
    assert rot("status", "--format", "json", "--max-age-trading", "60") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["policy"] == {"read_only": 90, "trading": 60, "withdrawal": 14}
    assert report["keys"] == [{"name": "binance-trading", "permission_level": "trading",
                               "last_rotated": "2026-10-16T00:00:00+00:00", "age_days": 40, "policy_days": 60,
                               "due": "2026-12-15T00:00:00+00:00", "state": "ok"}]


def test_status_without_log_and_with_empty_log(repo, capsys) -> None:
    assert rot("status") == 0
    assert "no key rotation log" in capsys.readouterr().out
    (repo / LOG).write_text("{}\n")
    assert rot("status") == 0
    assert "no keys recorded" in capsys.readouterr().out


def test_umbrella_command_dispatches_rotation(repo, capsys) -> None:
    assert cli.main(["rotation", "record", "binance-trading", "--permission", "trading"]) == 0
    assert cli.main(["rotation", "status"]) == 0
    assert "binance-trading" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        cli.main(["rotation"])
    assert exc.value.code == 2
