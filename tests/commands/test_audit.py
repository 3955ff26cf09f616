"""`crypto-key-guard audit`: what happens before any network call (credentials, ccxt, arguments), .env parsing,
error sanitising, and that nothing but the audit imports ccxt. Exchange behaviour: test_audit_exchanges.py."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT

from crypto_key_guard import cli

from crypto_key_guard.commands import audit
from crypto_key_guard.integrations.exchanges import SPECS
from crypto_key_guard.engine.findings import redact


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No exchange credentials in the environment, and a working directory without .env."""
    monkeypatch.chdir(tmp_path)
    for spec in SPECS.values():
        for name in audit.credential_names(spec):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(audit.TEST_API_BASE_ENV, raising=False)
    return tmp_path


@pytest.mark.parametrize("exchange, names", [
    ("binance", ["BINANCE_API_KEY", "BINANCE_API_SECRET"]),
    ("okx", ["OKX_API_KEY", "OKX_API_SECRET", "OKX_PASSPHRASE"]),
    ("bybit", ["BYBIT_API_KEY", "BYBIT_API_SECRET"]),
    ("coinbase", ["COINBASE_API_KEY", "COINBASE_API_SECRET"]),
])
def test_missing_credentials_name_every_variable(exchange, names, clean_env, capsys):
    assert audit.main([exchange]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    for name in names:
        assert name in err


def test_only_the_missing_variables_are_named(clean_env, monkeypatch, capsys, fake):
    monkeypatch.setenv("OKX_API_KEY", fake("{uuid}"))
    (clean_env / ".env").write_text(f"OKX_API_SECRET={fake('{HEX:32}')}\nOKX_PASSPHRASE=\n")
    assert audit.main(["okx", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert "OKX_PASSPHRASE" in err and "OKX_API_KEY" not in err and "OKX_API_SECRET" not in err
    assert '"exit_code": 2' in out


def test_env_file_problems_are_one_line_errors(clean_env, capsys):
    assert audit.main(["binance", "--env-file", "missing.env"]) == 2
    assert "missing.env: no such file" in capsys.readouterr().err
    (clean_env / ".env").write_bytes(b"A=" + b"x" * (1 << 20) + b"\n")
    assert audit.main(["binance"]) == 2
    assert "larger than 1 MiB" in capsys.readouterr().err
    (clean_env / ".env").write_bytes(b"\xff\xfe BINANCE_API_KEY=\xff\n")  # not UTF-8: still no traceback
    assert audit.main(["binance"]) == 2
    assert "BINANCE_API_SECRET" in capsys.readouterr().err


def test_missing_ccxt_names_the_extra_after_credentials(clean_env, monkeypatch, capsys, fake):
    monkeypatch.setitem(sys.modules, "ccxt", None)  # makes `import ccxt` raise ImportError
    assert audit.main(["binance"]) == 2
    assert "BINANCE_API_KEY" in capsys.readouterr().err  # credentials are checked first
    monkeypatch.setenv("BINANCE_API_KEY", fake("{alnum:64}"))
    monkeypatch.setenv("BINANCE_API_SECRET", fake("{alnum:64}"))
    assert audit.main(["binance"]) == 2
    assert "pip install 'crypto-key-guard[audit]'" in capsys.readouterr().err


def test_unsupported_exchange_is_an_honest_exit_2(clean_env, capsys):
    assert audit.main(["bitmex"]) == 2
    err = capsys.readouterr().err
    assert "cannot be checked here" in err and "API-management page" in err
    assert "binance, okx, bybit, coinbase" in err


def test_secrets_on_the_command_line_are_refused_and_not_echoed(clean_env, capsys, fake):
    secret = fake("{alnum:64}")
    assert audit.main(["binance", secret]) == 2
    assert audit.main(["binance", f"--api-secret={secret}"]) == 2
    err = capsys.readouterr().err
    assert secret not in err and "never from the command line" in err
    # a key pasted where the exchange name goes is not echoed either, not even in JSON
    assert audit.main([secret, "--format", "json"]) == 2
    assert audit.main([secret, "binance", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert secret not in out + err and redact(secret) in out


def test_help_offers_no_credential_option(capsys):
    with pytest.raises(SystemExit) as exc:
        audit.main(["--help"])
    assert exc.value.code == 0
    options = [w for w in capsys.readouterr().out.split() if w.startswith("--")]
    assert not [o for o in options if any(s in o for s in ("key", "secret", "pass", "token"))]


@pytest.mark.parametrize("base", [
    "http://203.0.113.9:8080", "https://127.0.0.1:443", "http://localhost.example.com:80",
    "http://127.0.0.1:80/redirect", "http://user:pw@127.0.0.1:80", "not a url",  # pragma: allowlist secret
])
def test_api_base_override_is_loopback_only(base, clean_env, monkeypatch, capsys, fake):
    monkeypatch.setenv("BYBIT_API_KEY", fake("{alnum:18}"))
    monkeypatch.setenv("BYBIT_API_SECRET", fake("{alnum:36}"))
    monkeypatch.setenv(audit.TEST_API_BASE_ENV, base)
    assert audit.main(["bybit"]) == 2
    assert "test suite only" in capsys.readouterr().err


def test_loopback_api_base_accepts_loopback():
    assert audit.loopback_api_base({audit.TEST_API_BASE_ENV: "http://127.0.0.1:8123/"}) == "http://127.0.0.1:8123"
    assert audit.loopback_api_base({}) is None


def test_umbrella_command_dispatches_to_audit(clean_env, capsys):
    assert cli.main(["audit", "coinbase"]) == 2
    assert "COINBASE_API_SECRET" in capsys.readouterr().err


def test_parse_dotenv_forms():
    text = (
        "# comment\n"
        "export A=plain value  # trailing comment\n"
        "B='single #not a comment'\n"
        'C="line1\\nline2 \\"q\\""\n'
        'D="-----BEGIN EC PRIVATE KEY-----\n'  # pragma: allowlist secret
        'MHcCAQEE\n'
        '-----END EC PRIVATE KEY-----"\n'
        "E=\n"
        "not an assignment\n"
        "F='unterminated\n"
        "G=$(rm -rf /)\n"
        "H = spaced\r\n"
    )
    env = audit.parse_dotenv(text)
    assert env["A"] == "plain value"
    assert env["B"] == "single #not a comment"
    assert env["C"] == 'line1\nline2 "q"'
    pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----"  # pragma: allowlist secret
    assert env["D"] == pem
    assert env["E"] == "" and "F" not in env
    assert env["G"] == "$(rm -rf /)"  # data, never executed or expanded
    assert env["H"] == "spaced"


def test_sanitize_removes_secrets_signatures_and_the_full_key(fake):
    key, secret = fake("{alnum:64}"), fake("{alnum:64}")
    sig = fake("{hex:64}")
    pem_line = fake("{base64:64}")
    message = (f"binance GET https://api.binance.com/sapi/v1/account/apiRestrictions?timestamp=1&signature={sig}"
               f" {{'X-MBX-APIKEY': '{key}', 'Authorization': 'Bearer a.b.c'}} echo {secret}\n{pem_line}")
    clean = audit.sanitize(message, [secret, f"-----BEGIN X-----\n{pem_line}\n-----END X-----"], key)
    for value in (key, secret, sig, pem_line, "a.b.c"):
        assert value not in clean
    assert "\n" not in clean and "https://api.binance.com/sapi/v1/account/apiRestrictions" in clean
    assert "[redacted]" in clean


def test_hooks_and_the_audit_module_do_not_import_ccxt():
    code = (
        "import sys, importlib\n"
        "for m in ('crypto_key_guard.cli', 'crypto_key_guard.crypto_key_patterns', 'crypto_key_guard.commands.scan',"
        " 'crypto_key_guard.commands.audit', 'crypto_key_guard.integrations.exchanges'):\n"
        "    importlib.import_module(m)\n"
        "assert 'ccxt' not in sys.modules, 'ccxt imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
