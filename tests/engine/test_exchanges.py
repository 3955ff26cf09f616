"""Exchange credentials across file formats, scanned with the full built-in ruleset.

For every venue and every layout (Python constant, ccxt dict, freqtrade config, .env, JSON, YAML, Kubernetes
env, TOML, shell export, Dockerfile ENV, JS/TS, Jupyter notebook, ccxt keys.local.json, docker-compose, keyword
arguments, os.environ.setdefault, INI) the planted key, secret and passphrase must
each be found once, by the venue's own rule (not the generic one), with confidence high, naming the exchange,
and never shown whole. Fake values are generated from a fixed seed: nothing realistic is committed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Optional

import pytest

from crypto_key_guard import crypto_key_patterns
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.findings import Finding, redact
from crypto_key_guard.engine.rules import default_rules

SCANNER = Scanner(default_rules())


@dataclass(frozen=True)
class Venue:
    ccxt_id: str
    env: str                        # env-variable prefix: OKX -> OKX_API_KEY
    exchange: str                   # the finding's `exchange`
    key: str                        # value templates (examples.expand)
    secret: str
    passphrase: Optional[str]
    key_rule: Optional[str]         # None: the key is not reported
    secret_rule: str
    passphrase_rule: Optional[str] = None


HTX_SHAPE = "{hex:8}-{hex:8}-{hex:8}-{hex:5}"
POLO_KEY = "{upalnum:8}-{upalnum:8}-{upalnum:8}-{upalnum:8}"
VENUES = [
    Venue("binance", "BINANCE", "Binance", "{alnum:64}", "{alnum:64}", None,
          "binance-api-credential", "binance-api-credential"),
    Venue("coinbaseexchange", "COINBASE", "Coinbase", "{hex:32}", "{base64:86}==", "{lowalnum:11}",
          "coinbase-api-key", "coinbase-api-secret", "coinbase-passphrase"),
    Venue("kraken", "KRAKEN", "Kraken", "{base64:56}", "{base64:86}==", None, "kraken-api-key", "kraken-api-secret"),
    Venue("okx", "OKX", "OKX", "{uuid}", "{HEX:32}", "Tr4d{alnum:8}!", "okx-api-key", "okx-api-secret",
          "okx-passphrase"),
    Venue("bybit", "BYBIT", "Bybit", "{alnum:18}", "{alnum:36}", None, "bybit-api-key", "bybit-api-secret"),
    Venue("kucoin", "KUCOIN", "KuCoin", "{hex:24}", "{uuid}", "{alnum:12}", "kucoin-api-key", "kucoin-api-secret",
          "kucoin-passphrase"),
    Venue("bitfinex", "BITFINEX", "Bitfinex", "{b64url:43}", "{b64url:43}", None,
          "bitfinex-api-credential", "bitfinex-api-credential"),
    Venue("gemini", "GEMINI", "Gemini", "account-{alnum:20}", "{base58:28}", None, "gemini-api-key",
          "gemini-api-secret"),
    Venue("bitmex", "BITMEX", "BitMEX", "{b64url:24}", "{b64url:48}", None, "bitmex-api-key", "bitmex-api-secret"),
    Venue("bitget", "BITGET", "Bitget", "bg_{hex:32}", "{hex:64}", "{alnum:10}", "bitget-api-key",
          "bitget-api-secret", "bitget-passphrase"),
    Venue("gate", "GATE", "Gate.io", "{hex:32}", "{hex:64}", None, "gate-api-key", "gate-api-secret"),
    Venue("htx", "HTX", "HTX", HTX_SHAPE, HTX_SHAPE, None, "htx-api-credential", "htx-api-credential"),
    Venue("mexc", "MEXC", "MEXC", "mx0{lowalnum:16}", "{hex:32}", None, "mexc-api-key", "mexc-api-secret"),
    Venue("poloniex", "POLONIEX", "Poloniex", POLO_KEY, "{hex:128}", None, "poloniex-api-key", "poloniex-api-secret"),
    Venue("deribit", "DERIBIT", "Deribit", "{alnum:8}", "{b64url:43}", None, "deribit-client-id",
          "deribit-client-secret"),
    Venue("bitstamp", "BITSTAMP", "Bitstamp", "{alnum:32}", "{alnum:32}", None,
          "bitstamp-api-credential", "bitstamp-api-credential"),
    Venue("bitvavo", "BITVAVO", "Bitvavo", "{hex:64}", "{hex:128}", None,
          "bitvavo-api-credential", "bitvavo-api-credential"),
    Venue("cryptocom", "CRYPTOCOM", "Crypto.com", "{alnum:22}", "{alnum:22}", None,
          "cryptocom-api-credential", "cryptocom-api-credential"),
]


# -- layouts: (venue, key, secret, passphrase or None) -> (file name, content) -------------------------------
def python_constants(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    lines = ["import ccxt", "", f'{v.env}_API_KEY = "{k}"', f"{v.env}_API_SECRET = '{s}'"]
    if p:
        lines.append(f'{v.env}_API_PASSPHRASE = "{p}"')
    return "bot.py", "\n".join(lines) + "\n"


def ccxt_dict(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    extra = f"    'password': '{p}',\n" if p else ""
    return "trade.py", (f"import ccxt\n\nexchange = ccxt.{v.ccxt_id}({{\n    'apiKey': '{k}',\n"
                        f"    'secret': '{s}',\n{extra}    'enableRateLimit': True,\n}})\n")


def freqtrade_config(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    exchange = {"name": v.ccxt_id, "key": k, "secret": s}
    if p:
        exchange["password"] = p
    exchange.update({"ccxt_config": {}, "pair_whitelist": ["BTC/USDT", "ETH/USDT"]})
    config = {"max_open_trades": 3, "stake_currency": "USDT", "dry_run": False, "exchange": exchange}
    return "config-private.json", json.dumps(config, indent=4) + "\n"


def dotenv(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    lines = ["# trading bot", f"{v.env}_API_KEY={k}", f"{v.env}_API_SECRET={s}"]
    if p:
        lines.append(f"{v.env}_PASSPHRASE={p}")
    return ".env", "\n".join(lines + ["LOG_LEVEL=info"]) + "\n"


def plain_json(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    creds = {"api_key": k, "api_secret": s}
    if p:
        creds["passphrase"] = p
    return "keys.json", json.dumps({"exchanges": {v.ccxt_id: creds}}, indent=2) + "\n"


def yaml_config(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    text = f"exchanges:\n  {v.ccxt_id}:\n    api_key: \"{k}\"\n    api_secret: '{s}'\n"
    if p:
        text += f"    passphrase: {p}\n"      # unquoted: literal in YAML
    return "config.yaml", text + "    sandbox: false\n"


def kubernetes_env(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    entries = [(f"{v.env}_API_KEY", k), (f"{v.env}_API_SECRET", s)]
    if p:
        entries.append((f"{v.env}_API_PASSPHRASE", p))
    body = "".join(f"            - name: {name}\n              value: \"{value}\"\n" for name, value in entries)
    return "deployment.yaml", ("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n"
                               "      containers:\n        - name: bot\n          env:\n" + body)


def toml_config(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    text = f"[exchanges.{v.ccxt_id}]\napi_key = \"{k}\"\nsecret = '{s}'\n"
    if p:
        text += f"passphrase = \"{p}\"\n"
    return "settings.toml", text


def shell_export(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    lines = ["#!/bin/sh", f'export {v.env}_API_KEY="{k}"', f"export {v.env}_API_SECRET='{s}'"]
    if p:
        lines.append(f'export {v.env}_PASSPHRASE="{p}"')
    return "run.sh", "\n".join(lines + ["python bot.py"]) + "\n"


def dockerfile(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    lines = ["FROM python:3.12-slim", f"ENV {v.env}_API_KEY={k}", f"ENV {v.env}_API_SECRET {s}"]
    if p:
        lines.append(f"ENV {v.env}_PASSPHRASE {p}")
    return "Dockerfile", "\n".join(lines + ['CMD ["python", "bot.py"]']) + "\n"


def javascript(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    extra = f", password: `{p}`" if p else ""
    return "bot.ts", (f"import ccxt from 'ccxt';\n\nconst exchange = new ccxt.{v.ccxt_id}({{ apiKey: '{k}', "
                      f"secret: \"{s}\"{extra} }});\n")


def notebook(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    source = ["import ccxt\n", f'{v.env}_API_KEY = "{k}"\n', f'{v.env}_API_SECRET = "{s}"\n']
    if p:
        source.append(f'{v.env}_PASSPHRASE = "{p}"\n')
    nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
                     "source": source}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return "research.ipynb", json.dumps(nb, indent=1) + "\n"


def ccxt_keys_json(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    """ccxt's keys.local.json: credentials under the exchange id, ccxt field names."""
    creds = {"apiKey": k, "secret": s}
    if p:
        creds["password"] = p
    return "keys.local.json", json.dumps({v.ccxt_id: creds}, indent=4) + "\n"


def compose_environment(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    """docker-compose environment mapping with ccxt's test-runner names (OKX_APIKEY, OKX_SECRET, OKX_PASSWORD)."""
    text = (f"services:\n  bot:\n    image: bot\n    environment:\n      {v.env}_APIKEY: \"{k}\"\n"
            f"      {v.env}_SECRET: {s}\n")
    if p:
        text += f"      {v.env}_PASSWORD: '{p}'\n"
    return "docker-compose.yml", text


def python_kwargs(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    extra = f", password=\"{p}\"" if p else ""
    return "client.py", f"exchange = ccxt.{v.ccxt_id}(dict(apiKey=\"{k}\", secret=\"{s}\"{extra}))\n"


def environ_setdefault(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    lines = ["import os", f'os.environ.setdefault("{v.env}_API_KEY", "{k}")',
             f'os.environ.setdefault("{v.env}_API_SECRET", "{s}")']
    if p:
        lines.append(f'os.environ.setdefault("{v.env}_PASSPHRASE", "{p}")')
    return "conftest.py", "\n".join(lines) + "\n"


def ini_config(v: Venue, k: str, s: str, p: Optional[str]) -> tuple[str, str]:
    text = f"[{v.ccxt_id}]\napi_key = {k}\napi_secret = {s}\n"
    if p:
        text += f"passphrase = {p}\n"
    return "bot.ini", text


LAYOUTS: dict[str, Callable] = {f.__name__: f for f in (
    python_constants, ccxt_dict, freqtrade_config, dotenv, plain_json, yaml_config, kubernetes_env, toml_config,
    shell_export, dockerfile, javascript, notebook, ccxt_keys_json, compose_environment, python_kwargs,
    environ_setdefault, ini_config)}


def position(text: str, value: str) -> tuple[int, int]:
    """1-based (line, column) of the first occurrence of value."""
    offset = text.index(value)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def scan(name: str, text: str) -> list[Finding]:
    return SCANNER.scan_bytes(text.encode("utf-8"), name)


def assert_found(findings: list[Finding], text: str, value: str, rule: str, exchange: str) -> None:
    line, column = position(text, value)
    at = [f for f in findings if (f.line, f.column) == (line, column)]
    assert [f.rule for f in at] == [rule], f"expected {rule} at {line}:{column}, got {[f.rule for f in at]}"
    finding = at[0]
    assert finding.confidence == "high"
    assert finding.extra.get("exchange") == exchange
    assert finding.kind == "exchange"
    assert finding.redacted == redact(value)
    assert value not in json.dumps(finding.to_dict())


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("venue", VENUES, ids=[v.ccxt_id for v in VENUES])
def test_venue_in_every_layout(venue: Venue, layout: str) -> None:
    rng = seeded(f"{venue.ccxt_id}-{layout}")
    key, secret = expand(venue.key, rng), expand(venue.secret, rng)
    passphrase = expand(venue.passphrase, rng) if venue.passphrase else None
    name, text = LAYOUTS[layout](venue, key, secret, passphrase)
    findings = scan(name, text)
    expected = [(secret, venue.secret_rule)]
    if venue.key_rule:
        expected.append((key, venue.key_rule))
    if passphrase:
        expected.append((passphrase, venue.passphrase_rule))
    for value, rule in expected:
        assert_found(findings, text, value, rule, venue.exchange)
    # nothing else in the file is reported (exchange names, the ccxt options, comments)
    assert len(findings) == len(expected), [(f.rule, f.line, f.redacted) for f in findings]


# -- pairing: the exchange identified by its key and secret formats together, no name anywhere -------------
PAIRS = [
    ("kucoin", '{"apiKey": "{hex:24}", "secret": "{uuid}", "password": "{alnum:10}"}',
     ["kucoin-api-key", "kucoin-api-secret", "kucoin-passphrase"], "KuCoin"),
    ("okx", "creds = {'apiKey': '{uuid}', 'secret': '{HEX:32}', 'password': 'Pp-{alnum:9}'}",
     ["okx-api-key", "okx-api-secret", "okx-passphrase"], "OKX"),
    ("kraken", "client = Exchange(\n    key='{base64:56}',\n    secret='{base64:86}==',\n)",
     ["kraken-api-key", "kraken-api-secret"], "Kraken"),
    ("coinbase", "API_KEY = '{hex:32}'\nAPI_SECRET = '{base64:86}=='\nAPI_PASSPHRASE = '{lowalnum:11}'",
     ["coinbase-api-key", "coinbase-api-secret", "coinbase-passphrase"], "Coinbase"),
    ("bybit", 'exchange_config:\n  key: "{alnum:18}"\n  secret: "{alnum:36}"',
     ["bybit-api-key", "bybit-api-secret"], "Bybit"),
    ("bitmex", '{"key": "{b64url:24}", "secret": "{b64url:48}"}', ["bitmex-api-key", "bitmex-api-secret"], "BitMEX"),
    ("poloniex", 'key = "' + POLO_KEY + '"\nsecret = "{hex:128}"', ["poloniex-api-key", "poloniex-api-secret"],
     "Poloniex"),
    ("htx", 'ACCESS_KEY = "' + HTX_SHAPE + '"\nSECRET_KEY = "' + HTX_SHAPE + '"',
     ["htx-api-credential", "htx-api-credential"], "HTX"),
]


@pytest.mark.parametrize("name,template,rules,exchange", PAIRS, ids=[p[0] for p in PAIRS])
def test_pairing_names_the_exchange(name: str, template: str, rules: list, exchange: str) -> None:
    text = expand(template, seeded(f"pair-{name}"))
    findings = scan("settings.py", text)
    assert [f.rule for f in findings] == rules, [(f.rule, f.redacted) for f in findings]
    assert all(f.confidence == "high" and f.extra.get("exchange") == exchange for f in findings)


def test_lone_key_without_name_or_pair_is_not_an_exchange_finding() -> None:
    text = expand('settings = {"apiKey": "{hex:24}", "timeout": 30}\nrequest_id = "{uuid}"\n', seeded("lone"))
    assert not [f for f in scan("settings.py", text) if f.kind == "exchange"]


# -- several exchanges in one file: a value goes to the exchange named nearest to it -----------------------
def test_nearest_exchange_name_wins_for_shared_shapes() -> None:
    rng = seeded("nearest")
    gate_key, mexc_secret, cb_key = expand("{hex:32}", rng), expand("{hex:32}", rng), expand("{hex:32}", rng)
    okx_key, kucoin_secret = expand("{uuid}", rng), expand("{uuid}", rng)
    text = (f"COINBASE_API_KEY={cb_key}\nGATE_API_KEY={gate_key}\nMEXC_SECRET_KEY={mexc_secret}\n"
            f"OKX_API_KEY={okx_key}\nKUCOIN_API_SECRET={kucoin_secret}\n")
    findings = scan(".env", text)
    by_line = {f.line: (f.rule, f.extra.get("exchange")) for f in findings}
    assert by_line == {
        1: ("coinbase-api-key", "Coinbase"), 2: ("gate-api-key", "Gate.io"), 3: ("mexc-api-secret", "MEXC"),
        4: ("okx-api-key", "OKX"), 5: ("kucoin-api-secret", "KuCoin"),
    }


# -- Coinbase CDP: the key name and the EC key beside it -----------------------------------------------------
def test_coinbase_cdp_key_file_wins_over_generic_pem() -> None:
    rng = seeded("cdp")
    body = "\\n".join(expand(t, rng) for t in ("{base64:64}", "{base64:64}", "{base64:36}"))
    name = expand("organizations/{uuid}/apiKeys/{uuid}", rng)
    text = json.dumps({"name": name, "privateKey": "X"}, indent=2).replace(
        '"X"', f'"-----BEGIN EC PRIVATE KEY-----\\n{body}\\n-----END EC PRIVATE KEY-----\\n"')
    findings = scan("cdp_api_key.json", text)
    assert [(f.rule, f.line) for f in findings] == [("coinbase-cdp-key-name", 2), ("coinbase-cdp-private-key", 3)]
    assert findings[1].redacted == "-----BEGIN EC PRIVATE KEY-----\u2026"
    assert all(f.extra["exchange"] == "Coinbase" for f in findings)


def test_ec_pem_without_coinbase_context_stays_generic() -> None:
    rng = seeded("pem")
    body = "\n".join(expand(t, rng) for t in ("{base64:64}", "{base64:64}", "{base64:36}"))
    text = f"-----BEGIN EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n"
    assert [f.rule for f in scan("server.key", text)] == ["private-key-pem"]


# -- not findings ------------------------------------------------------------------------------------------
NOT_SECRETS = [
    ("bare 64", "data.py", 'value = "{alnum:64}"\nchecksum = "{alnum:64}"\n'),
    ("env reads py", "bot.py", "import ccxt\nex = ccxt.okx({'apiKey': os.environ['OKX_API_KEY'], "
                               "'secret': os.getenv('OKX_SECRET'), 'password': os.environ.get('OKX_PASS')})\n"),
    ("env reads js", "bot.js", "const ex = new ccxt.kucoin({ apiKey: process.env.KUCOIN_KEY, "
                               "secret: process.env.KUCOIN_SECRET, password: process.env.KUCOIN_PASSPHRASE });\n"),
    ("env refs compose", "docker-compose.yml", "services:\n  bot:\n    environment:\n"
                                               "      - BINANCE_API_KEY=${BINANCE_API_KEY}\n"
                                               "      - OKX_PASSPHRASE=${OKX_PASSPHRASE}\n"),
    ("k8s secretKeyRef", "deploy.yaml", "env:\n  - name: OKX_API_SECRET\n    valueFrom:\n      secretKeyRef:\n"
                                        "        name: okx\n        key: secret\n"),
    ("placeholders", "config.json", '{"exchange": {"name": "okx", "key": "your_api_key_here", '
                                    '"secret": "<OKX_SECRET>", "password": "changeme"}}\n'),
    ("empty", "config.json", '{"exchange": {"name": "kucoin", "key": "", "secret": "", "password": ""}}\n'),
    ("template env", ".env.example", "BINANCE_API_KEY=\nBINANCE_API_SECRET=\nOKX_PASSPHRASE=\n"),
    ("order ids", "orders.py", "okx.create_order('BTC/USDT', 'limit', 'buy', 1, 1, {'clientOrderId': '{uuid}'})\n"
                               "kucoin_order = {'order_id': '{uuid}', 'request_id': '{uuid}', 'clientOid': '{uuid}'}\n"),
    ("digests", "release.py", "# gate.io / bitget downloads\nsha256 = '{hex:64}'\ntx_hash = '0x{hex:64}'\n"
                              "md5 = '{hex:32}'  # mexc\n"),
    ("passphrase refs", "bot.py", "ex = ccxt.okx({\n    'apiKey': key,\n    'secret': secret,\n"
                                  "    'password': passphrase,\n})\n"),
    ("prose", "README.md", "OKX and KuCoin need a passphrase: the passphrase is incorrect otherwise.\n"
                           "Set `password` to your KuCoin API passphrase.\n"),
]


@pytest.mark.parametrize("name,path,template", NOT_SECRETS, ids=[n[0] for n in NOT_SECRETS])
def test_not_an_exchange_finding(name: str, path: str, template: str) -> None:
    text = expand(template, seeded(name))
    found = [(f.rule, f.line, f.redacted) for f in scan(path, text) if f.kind == "exchange"]
    assert found == []


# -- through the hook: the value never appears in the output -------------------------------------------------
def test_hook_output_redacts(tmp_path, capsys) -> None:
    rng = seeded("hook")
    key, secret, passphrase = expand("{uuid}", rng), expand("{HEX:32}", rng), expand("Tr4d{alnum:8}", rng)
    path = tmp_path / "bot.py"
    path.write_text(f"import ccxt\nex = ccxt.okx({{'apiKey': '{key}', 'secret': '{secret}', "
                    f"'password': '{passphrase}'}})\n")
    assert crypto_key_patterns.main([str(path)]) == 1
    out = capsys.readouterr()
    for value in (key, secret, passphrase):
        assert value not in out.out + out.err
    assert out.out.count("okx-") == 3 and "okx.com/account/my-api" in out.out


# -- passphrases: free-form values, found by the field and the venue's name -----------------------------------
PASSPHRASES = [
    ("format chars", "settings.py", "okx_passphrase = 'Tr$de%S{alnum:6}'", "okx-passphrase"),
    ("type annotation", "settings.py", "OKX_PASSPHRASE: str = '{alnum:12}'", "okx-passphrase"),
    ("quoted Dockerfile ENV", "Dockerfile", 'ENV CBPRO_PASSPHRASE "{alnum:10}@1"', "coinbase-passphrase"),
    ("setdefault", "conftest.py", 'os.environ.setdefault("KUCOIN_API_PASSPHRASE", "{alnum:12}")',
     "kucoin-passphrase"),
    ("k8s stringData", "secret.yaml", "kind: Secret\nstringData:\n  BITGET_PASSPHRASE: {alnum:12}", "bitget-passphrase"),
]


@pytest.mark.parametrize("name,path,template,rule", PASSPHRASES, ids=[p[0] for p in PASSPHRASES])
def test_passphrase_layouts(name: str, path: str, template: str, rule: str) -> None:
    text = expand(template, seeded(name))
    assert [f.rule for f in scan(path, text)] == [rule]
