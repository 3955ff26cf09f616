"""Seeded generator of the labelled development corpus for the quality benchmark.

Planted secrets of every kind, embedded in realistic files (Python bots, ccxt dicts, .env, JSON/YAML/TOML,
docker-compose, Kubernetes, shell, Dockerfile, JS/TS, Jupyter notebooks) with randomised names, quoting,
indentation and neighbouring code, plus hard negatives of every type. Every file is either a positive file
(each planted secret labelled with its line span) or a negative file (labelled with one negative type: any
finding in it is a false positive of that type).

Value shapes come from ../shared/reference/key-formats.md; nothing here knows what the rules look like.
Written to a directory at run time, never committed.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import quality_values as V
from quality_values import ALNUM, B58, B64, B64URL, HEX, UPALNUM, rand_str


# --- labels and documents ------------------------------------------------------------------------------------
@dataclass
class Label:
    file: str
    start: int          # first line (1-based) of the planted value, or 1 for a negative file
    end: int            # last line
    kind: str           # positive kind ("Binance/secret", "bip39-mnemonic") or negative type ("env-read")
    positive: bool
    layout: str
    column: int = 0     # 1-based column where a one-line value starts (0: unknown); tells apart two on a line


class Doc:
    """Lines of one file; each planted value remembers the lines it occupies."""

    def __init__(self) -> None:
        self.lines: List[str] = []
        self.marks: List[Tuple[int, int, str, str]] = []   # (start, end) 1-based, kind, value's first characters

    def add(self, text: str, *kinds) -> None:
        """Append text; each kind is a label kind, or (kind, the value's first characters) to locate it."""
        start = len(self.lines) + 1
        self.lines.extend(text.split("\n"))
        for kind in kinds:
            kind, needle = (kind, "") if isinstance(kind, str) else kind
            self.marks.append((start, len(self.lines), kind, needle))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


# --- literals in each language -------------------------------------------------------------------------------
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./+=:-]*")


def py(rng: random.Random, v: str) -> str:
    if "\n" in v:
        return f'"""{v}"""' if rng.random() < 0.7 else f"'''{v}'''"
    return rng.choice(["'", '"']).join(["", v, ""])


def js(rng: random.Random, v: str) -> str:
    if "\n" in v:
        return f"`{v}`"
    return rng.choice(["'", '"', "'", '"', "`"]).join(["", v, ""])


def jstr(v: str) -> str:
    return json.dumps(v)


def yml(rng: random.Random, v: str, indent: str = "") -> str:
    if "\n" in v:
        body = "\n".join(indent + "  " + line for line in v.split("\n"))
        return "|\n" + body
    if _PLAIN.fullmatch(v) and not re.fullmatch(r"[\d.]+|true|false|yes|no|null", v, re.I) and rng.random() < 0.4:
        return v
    return json.dumps(v) if rng.random() < 0.6 else "'" + v.replace("'", "''") + "'"


def toml(v: str) -> str:
    return f'"""\n{v}"""' if "\n" in v else json.dumps(v)


def env(rng: random.Random, v: str) -> str:
    if "\n" in v:
        return '"' + v.replace("\n", "\\n") + '"'
    return rng.choice(["", "", '"', "'"]).join(["", v, ""]) if _PLAIN.fullmatch(v) else '"' + v + '"'


def sh(rng: random.Random, v: str) -> str:
    if "\n" in v:
        return "'" + v + "'"
    return rng.choice(['"', "'", ""]) .join(["", v, ""]) if _PLAIN.fullmatch(v) else "'" + v + "'"


def flat(v: str) -> str:
    """A multi-line value as one line with escaped newlines (.env files, JSON, Dockerfile)."""
    return v.replace("\n", "\\n")


# --- names ---------------------------------------------------------------------------------------------------
def camel(words: Sequence[str]) -> str:
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def styled(rng: random.Random, words: Sequence[str], style: str) -> str:
    if style == "UPPER":
        return "_".join(w.upper() for w in words)
    if style == "lower":
        return "_".join(w.lower() for w in words)
    if style == "camel":
        return camel(words)
    return "".join(w.capitalize() for w in words)


ROLE_SUFFIXES = {
    "key": [["api", "key"], ["apikey"], ["key"], ["access", "key"], ["api", "key"]],
    "secret": [["api", "secret"], ["secret"], ["secret", "key"], ["api", "secret", "key"], ["api", "secret"]],
    "passphrase": [["passphrase"], ["api", "passphrase"], ["password"], ["passphrase"]],
    "key-name": [["api", "key", "name"], ["api", "key"], ["key", "name"]],
    "pem": [["api", "secret"], ["private", "key"], ["api", "private", "key"]],
}
SECTION_FIELDS = {   # names inside a section that already names the exchange
    "key": ["api_key", "apiKey", "key", "access_key", "apikey"],
    "secret": ["api_secret", "secret", "secretKey", "secret_key", "apiSecret"],
    "passphrase": ["passphrase", "password", "api_passphrase"],
    "key-name": ["name", "api_key_name", "key_name", "apiKey"],
    "pem": ["privateKey", "private_key", "api_secret", "secret"],
}
CCXT_FIELDS = {"key": "apiKey", "secret": "secret", "passphrase": "password", "key-name": "apiKey", "pem": "secret"}
KWARGS = {"key": "api_key", "secret": "api_secret", "passphrase": "passphrase", "key-name": "api_key",
          "pem": "api_secret"}
FREQTRADE_FIELDS = {"key": "key", "secret": "secret", "passphrase": "password", "key-name": "key", "pem": "secret"}


# --- exchanges (shapes from key-formats.md) -------------------------------------------------------------------
def _hex_groups(rng: random.Random, sizes: Sequence[int], alphabet: str = HEX) -> str:
    return "-".join(rand_str(rng, alphabet, n) for n in sizes)


def _b64(rng: random.Random, nbytes: int) -> str:
    import base64

    return base64.b64encode(V.rand_bytes(rng, nbytes)).decode()


def ec_pem(rng: random.Random) -> str:
    """A P-256 private key in SEC1 DER, PEM-armoured, as Coinbase CDP downloads hand it out."""
    import base64

    der = bytes.fromhex("30770201010420") + V.rand_bytes(rng, 32) + bytes.fromhex(
        "a00a06082a8648ce3d030107a144034200") + b"\x04" + V.rand_bytes(rng, 64)
    body = base64.b64encode(der).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN EC PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END EC PRIVATE KEY-----"


@dataclass
class Exchange:
    name: str                     # display name, also the label prefix
    ccxt: str                     # ccxt id (appears in ccxt.<id>(...) and freqtrade "name")
    prefixes: List[str]           # variable-name prefixes
    roles: Dict[str, Callable[[random.Random], str]]


EXCHANGES: List[Exchange] = [
    Exchange("Binance", "binance", ["binance"],
             {"key": lambda r: rand_str(r, ALNUM, 64), "secret": lambda r: rand_str(r, ALNUM, 64)}),
    Exchange("Coinbase CDP", "coinbase", ["coinbase", "cdp", "coinbase_advanced"],
             {"key-name": lambda r: f"organizations/{V.fake_uuid(r)}/apiKeys/{V.fake_uuid(r)}", "pem": ec_pem}),
    Exchange("Coinbase legacy", "coinbasepro", ["coinbase", "coinbase_pro", "cbpro"],
             {"key": lambda r: rand_str(r, HEX, 32), "secret": lambda r: _b64(r, 64),
              "passphrase": V.passphrase}),
    Exchange("Kraken", "kraken", ["kraken"],
             {"key": lambda r: _b64(r, 42), "secret": lambda r: _b64(r, 64)}),
    Exchange("OKX", "okx", ["okx", "okex"],
             {"key": V.fake_uuid, "secret": lambda r: rand_str(r, "0123456789ABCDEF", 32),
              "passphrase": V.passphrase}),
    Exchange("Bybit", "bybit", ["bybit"],
             {"key": lambda r: rand_str(r, ALNUM, 18), "secret": lambda r: rand_str(r, ALNUM, 36)}),
    Exchange("KuCoin", "kucoin", ["kucoin"],
             {"key": lambda r: rand_str(r, HEX, 24), "secret": V.fake_uuid, "passphrase": V.passphrase}),
    Exchange("Bitfinex", "bitfinex", ["bitfinex", "bfx"],
             {"key": lambda r: rand_str(r, B64URL, 43), "secret": lambda r: rand_str(r, B64URL, 43)}),
    Exchange("Gemini", "gemini", ["gemini"],
             {"key": lambda r: r.choice(["account-", "master-"]) + rand_str(r, ALNUM, 20),
              "secret": lambda r: rand_str(r, B58, r.choice([27, 28]))}),
    Exchange("BitMEX", "bitmex", ["bitmex"],
             {"key": lambda r: rand_str(r, B64URL, 24), "secret": lambda r: rand_str(r, B64URL, 48)}),
    Exchange("Bitget", "bitget", ["bitget"],
             {"key": lambda r: "bg_" + rand_str(r, HEX, 32), "secret": lambda r: rand_str(r, HEX, 64),
              "passphrase": V.passphrase}),
    Exchange("Gate.io", "gate", ["gateio", "gate"],
             {"key": lambda r: rand_str(r, HEX, 32), "secret": lambda r: rand_str(r, HEX, 64)}),
    Exchange("HTX", "htx", ["htx", "huobi"],
             {"key": lambda r: _hex_groups(r, (8, 8, 8, 5)), "secret": lambda r: _hex_groups(r, (8, 8, 8, 5))}),
    Exchange("MEXC", "mexc", ["mexc"],
             {"key": lambda r: "mx0" + rand_str(r, ALNUM, r.randint(15, 18)), "secret": lambda r: rand_str(r, HEX, 32)}),
    Exchange("Poloniex", "poloniex", ["poloniex"],
             {"key": lambda r: _hex_groups(r, (8, 8, 8, 8), UPALNUM), "secret": lambda r: rand_str(r, HEX, 128)}),
]
# Venues planted only once the exchange rules name them (key-formats.md marks these shapes as inferred).
OPTIONAL_EXCHANGES: List[Exchange] = [
    Exchange("Deribit", "deribit", ["deribit"],
             {"key": lambda r: rand_str(r, ALNUM, 8), "secret": lambda r: rand_str(r, B64URL, 43)}),
    Exchange("Bitstamp", "bitstamp", ["bitstamp"],
             {"key": lambda r: rand_str(r, ALNUM, 32), "secret": lambda r: rand_str(r, ALNUM, 32)}),
    Exchange("Bitvavo", "bitvavo", ["bitvavo"],
             {"key": lambda r: rand_str(r, HEX, 64), "secret": lambda r: rand_str(r, HEX, 128)}),
]


def exchanges_for(rule_exchanges: Sequence[str] = ()) -> List[Exchange]:
    names = {n.lower() for n in rule_exchanges}
    return EXCHANGES + [e for e in OPTIONAL_EXCHANGES if e.name.lower() in names]


# --- neighbouring code -------------------------------------------------------------------------------------
PY_FILLER = [
    "import logging", "import time", "import asyncio", "from decimal import Decimal", "import json",
    "from pathlib import Path", "log = logging.getLogger(__name__)", "SYMBOL = 'BTC/USDT'", "TIMEFRAME = '1h'",
    "MAX_OPEN_TRADES = 3", "DRY_RUN = False", "STAKE_AMOUNT = Decimal('0.01')",
    "def fetch_ohlcv(exchange, symbol=SYMBOL):\n    return exchange.fetch_ohlcv(symbol, TIMEFRAME, limit=500)",
    "def position_size(balance, risk=0.02):\n    return balance * risk",
    "# rebalance every hour", "# TODO: move the thresholds to the strategy file",
    "async def main():\n    while True:\n        await asyncio.sleep(60)",
    "class Strategy:\n    stoploss = -0.10\n    minimal_roi = {'0': 0.05}",
    "if __name__ == '__main__':\n    asyncio.run(main())",
]
JS_FILLER = [
    "const ccxt = require('ccxt');", "const symbol = 'ETH/USDT';", "const sleep = (ms) => new Promise(r => setTimeout(r, ms));",
    "// poll the order book every second", "let lastPrice = 0;",
    "async function run(exchange) {\n  const ticker = await exchange.fetchTicker(symbol);\n  console.log(ticker.last);\n}",
    "module.exports = { symbol };", "const TIMEOUT_MS = 30000;",
]
ENV_FILLER = ["LOG_LEVEL=info", "TZ=UTC", "DRY_RUN=true", "PAIR=BTC/USDT", "# exchange credentials", "MAX_OPEN_TRADES=5",
              "STRATEGY=SampleStrategy", "DATABASE_URL=sqlite:///tradesv3.sqlite", "PORT=8080", ""]
YAML_FILLER = ["log_level: info", "dry_run: false", "timeframe: 5m", "pairs:\n  - BTC/USDT\n  - ETH/USDT", "max_open_trades: 4",
               "strategy: SampleStrategy", "# trading settings", "stake_currency: USDT"]
SH_FILLER = ["set -euo pipefail", "cd \"$(dirname \"$0\")\"", "echo 'starting bot'", "# credentials for the bot",
             "LOG_DIR=/var/log/bot", "mkdir -p \"$LOG_DIR\""]


def filler(rng: random.Random, pool: Sequence[str], lo: int = 1, hi: int = 3) -> List[str]:
    return rng.sample(list(pool), min(len(pool), rng.randint(lo, hi)))


# --- value "entries" and the containers they are written into -------------------------------------------------
@dataclass
class Entry:
    """One value to write: names for each naming convention, its kind (label) and the raw value."""
    kind: Optional[str]          # label kind for positives; None for negatives (the whole file is labelled)
    value: str
    words: List[str]             # name words, e.g. ["binance", "api", "secret"]
    field: str                   # field name inside a section (api_key, secret, ...)
    ccxt: str = "apiKey"
    freqtrade: str = "key"
    raw_code: Optional[Dict[str, str]] = None   # per-language code to use instead of a literal (env reads)
    role: str = ""

    def code(self, lang: str) -> Optional[str]:
        return (self.raw_code or {}).get(lang)


def _kinds(e: Entry) -> tuple:
    return ((e.kind, flat(e.value)[:10]),) if e.kind else ()


def _ind(rng: random.Random) -> str:
    return rng.choice(["  ", "    ", "    ", "\t"])


def lay_py_constants(rng, entries, section):
    d = Doc()
    d.add('"""Trading bot settings."""')
    for line in filler(rng, PY_FILLER[:6], 1, 3):
        d.add(line)
    style = rng.choice(["UPPER", "UPPER", "lower"])
    hint = rng.random() < 0.2
    for e in entries:
        name = styled(rng, e.words, style)
        value = e.code("py") or py(rng, e.value)
        d.add(f"{name}{': str' if hint else ''} = {value}", *_kinds(e))
        if rng.random() < 0.3:
            d.add("")
    for line in filler(rng, PY_FILLER[6:], 1, 3):
        d.add(line)
    return "settings.py", d


def lay_py_ccxt(rng, entries, section):
    d = Doc()
    d.add("import ccxt")
    for line in filler(rng, PY_FILLER[:8], 0, 2):
        d.add(line)
    q = rng.choice(["'", '"'])
    var = rng.choice(["exchange", "ex", section, "client"])
    opts = [f"{q}enableRateLimit{q}: True", f"{q}options{q}: {{{q}defaultType{q}: {q}future{q}}}", f"{q}timeout{q}: 30000"]
    if rng.random() < 0.25 and all("\n" not in e.value for e in entries):    # all on one line
        parts = [f"{q}{e.ccxt}{q}: {e.code('py') or py(rng, e.value)}" for e in entries] + rng.sample(opts, 1)
        d.add(f"{var} = ccxt.{section}({{{', '.join(parts)}}})", *[k for e in entries for k in _kinds(e)])
    else:
        ind = _ind(rng)
        d.add(f"{var} = ccxt.{section}({{")
        for o in rng.sample(opts, rng.randint(0, 2)):
            d.add(f"{ind}{o},")
        for e in entries:
            d.add(f"{ind}{q}{e.ccxt}{q}: {e.code('py') or py(rng, e.value)},", *_kinds(e))
        for o in rng.sample(opts, rng.randint(0, 1)):
            d.add(f"{ind}{o},")
        d.add("})")
    for line in filler(rng, PY_FILLER[12:], 1, 2):
        d.add(line)
    return rng.choice(["bot.py", "main.py", "trader.py", "live.py"]), d


def lay_py_dict(rng, entries, section):
    d = Doc()
    for line in filler(rng, PY_FILLER[:6], 1, 2):
        d.add(line)
    ind = _ind(rng)
    q = rng.choice(["'", '"'])
    d.add(f"{rng.choice(['CONFIG', 'config', 'EXCHANGES', 'settings'])} = {{")
    d.add(f"{ind}{q}{section}{q}: {{")
    for e in entries:
        d.add(f"{ind * 2}{q}{e.field}{q}: {e.code('py') or py(rng, e.value)},", *_kinds(e))
    d.add(f"{ind}}},")
    d.add("}")
    return "config.py", d


def lay_py_kwargs(rng, entries, section):
    d = Doc()
    cls = section.replace(".", "").capitalize() + rng.choice(["Client", "API", "Trader"])
    d.add(f"from {section.replace('.', '')}_connector import {cls}")
    for line in filler(rng, PY_FILLER[:6], 0, 2):
        d.add(line)
    ind = _ind(rng)
    d.add(f"{section.replace('.', '')}_client = {cls}(")
    for e in entries:
        kw = KWARGS.get(e.role, e.field)
        d.add(f"{ind}{kw}={e.code('py') or py(rng, e.value)},", *_kinds(e))
    d.add(")")
    return "client.py", d


def lay_env(rng, entries, section):
    d = Doc()
    for line in filler(rng, ENV_FILLER, 1, 3):
        d.add(line)
    exp = rng.random() < 0.15
    for e in entries:
        name = styled(rng, e.words, "UPPER")
        value = e.code("env") if e.code("env") is not None else env(rng, e.value)
        d.add(f"{'export ' if exp else ''}{name}={value}", *_kinds(e))
    for line in filler(rng, ENV_FILLER, 0, 2):
        d.add(line)
    return rng.choice([".env", ".env.production", ".env.local", f"{section.replace('.', '')}.env", "config/prod.env"]), d


def lay_json_freqtrade(rng, entries, section):
    d = Doc()
    ind = rng.choice(["  ", "    ", "\t"])
    d.add("{")
    d.add(f'{ind}"max_open_trades": {rng.randint(1, 8)},')
    d.add(f'{ind}"stake_currency": "USDT",')
    d.add(f'{ind}"dry_run": false,')
    d.add(f'{ind}"exchange": {{')
    d.add(f'{ind * 2}"name": "{section}",')
    for e in entries:
        d.add(f'{ind * 2}"{e.freqtrade}": {e.code("json") or jstr(e.value)},', *_kinds(e))
    d.add(f'{ind * 2}"ccxt_config": {{}},')
    d.add(f'{ind * 2}"pair_whitelist": ["BTC/USDT", "ETH/USDT"]')
    d.add(f"{ind}}}")
    d.add("}")
    return rng.choice(["config.json", "config-private.json", "user_data/config.json"]), d


def lay_json_keys(rng, entries, section):
    d = Doc()
    ind = rng.choice(["  ", "    "])
    d.add("{")
    d.add(f'{ind}"{section}": {{')
    for i, e in enumerate(entries):
        comma = "," if i < len(entries) - 1 else ""
        field_name = rng.choice([e.ccxt, e.field])
        d.add(f'{ind * 2}"{field_name}": {e.code("json") or jstr(e.value)}{comma}', *_kinds(e))
    d.add(f"{ind}}}")
    d.add("}")
    return rng.choice(["keys.json", "keys.local.json", "credentials.json", "secrets.json"]), d


def lay_yaml(rng, entries, section):
    d = Doc()
    for line in filler(rng, YAML_FILLER, 1, 2):
        d.add(line)
    nested = rng.random() < 0.5
    ind = rng.choice(["  ", "    "])
    base = ind if nested else ""
    if nested:
        d.add("exchanges:")
    d.add(f"{base}{section}:")
    for e in entries:
        v = e.code("yaml") or yml(rng, e.value, base + ind)
        d.add(f"{base}{ind}{e.field}: {v}", *_kinds(e))
    for line in filler(rng, YAML_FILLER, 0, 1):
        d.add(line)
    return rng.choice(["config.yaml", "config.yml", "settings.yaml", "bot.yml"]), d


def lay_toml(rng, entries, section):
    d = Doc()
    d.add('[bot]\nstrategy = "grid"\ndry_run = false\n')
    d.add(rng.choice([f"[exchanges.{section}]", f"[{section}]", f'[exchange."{section}"]']))
    for e in entries:
        d.add(f"{e.field} = {e.code('toml') or toml(e.value)}", *_kinds(e))
    return rng.choice(["config.toml", "bot.toml", "pyproject-secrets.toml"]), d


def lay_compose(rng, entries, section):
    d = Doc()
    d.add("services:\n  bot:\n    image: freqtradeorg/freqtrade:stable\n    restart: unless-stopped")
    d.add("    environment:")
    as_list = rng.random() < 0.5
    for e in entries:
        name = styled(rng, e.words, "UPPER")
        if as_list:
            v = e.code("env") if e.code("env") is not None else flat(e.value)
            d.add(f"      - {name}={v}", *_kinds(e))
        else:
            v = e.code("yaml") or yml(rng, e.value, "      ")
            d.add(f"      {name}: {v}", *_kinds(e))
    d.add("    volumes:\n      - ./user_data:/freqtrade/user_data")
    return rng.choice(["docker-compose.yml", "compose.yaml", "docker-compose.prod.yml"]), d


def lay_k8s(rng, entries, section):
    d = Doc()
    if rng.random() < 0.5:
        d.add(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {section.replace('.', '')}-credentials\ntype: Opaque")
        d.add("stringData:")
        for e in entries:
            v = e.code("yaml") or yml(rng, e.value, "  ")
            d.add(f"  {styled(rng, e.words, 'UPPER')}: {v}", *_kinds(e))
    else:
        d.add("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: trading-bot\nspec:\n  template:\n    spec:")
        d.add("      containers:\n        - name: bot\n          image: registry.local/bot:1.4.2\n          env:")
        for e in entries:
            name = styled(rng, e.words, "UPPER")
            if e.code("k8s"):
                d.add(f"            - name: {name}\n{e.code('k8s')}", *_kinds(e))
            else:
                v = yml(rng, e.value, "              ")
                d.add(f"            - name: {name}\n              value: {v}", *_kinds(e))
    return rng.choice(["k8s/secret.yaml", "deploy/deployment.yaml", "manifests/bot.yaml"]), d


def lay_shell(rng, entries, section):
    d = Doc()
    d.add("#!/usr/bin/env bash")
    for line in filler(rng, SH_FILLER, 1, 3):
        d.add(line)
    for e in entries:
        name = styled(rng, e.words, "UPPER")
        v = e.code("sh") if e.code("sh") is not None else sh(rng, e.value)
        d.add(f"export {name}={v}", *_kinds(e))
    d.add(rng.choice(["python3 bot.py \"$@\"", "exec freqtrade trade --config config.json", "node index.js"]))
    return rng.choice(["run.sh", "start.sh", "scripts/deploy.sh"]), d


def lay_dockerfile(rng, entries, section):
    d = Doc()
    d.add("FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt")
    for e in entries:
        name = styled(rng, e.words, "UPPER")
        v = e.code("docker") if e.code("docker") is not None else (
            flat(e.value) if _PLAIN.fullmatch(flat(e.value)) else '"' + flat(e.value) + '"')
        form = rng.choice(["ENV {n}={v}", "ENV {n} {v}", "ENV {n}={v}", "ARG {n}={v}"])
        d.add(form.format(n=name, v=v), *_kinds(e))
    d.add('COPY . .\nCMD ["python", "bot.py"]')
    return rng.choice(["Dockerfile", "docker/Dockerfile", "Dockerfile.prod"]), d


def lay_js(rng, entries, section):
    d = Doc()
    for line in filler(rng, JS_FILLER[:5], 1, 3):
        d.add(line)
    ind = _ind(rng)
    style = rng.randrange(3)
    if style == 0:
        d.add(f"const exchange = new ccxt.{section}({{")
        for e in entries:
            d.add(f"{ind}{e.ccxt}: {e.code('js') or js(rng, e.value)},", *_kinds(e))
        d.add("});")
    elif style == 1:
        for e in entries:
            d.add(f"{rng.choice(['const', 'export const', 'let'])} {styled(rng, e.words, rng.choice(['UPPER', 'camel']))}"
                  f" = {e.code('js') or js(rng, e.value)};", *_kinds(e))
    else:
        d.add("export const config = {")
        d.add(f"{ind}{section.replace('.', '')}: {{")
        for e in entries:
            key = camel(e.field.split("_")) if "_" in e.field else e.field
            d.add(f"{ind * 2}{key}: {e.code('js') or js(rng, e.value)},", *_kinds(e))
        d.add(f"{ind}}},")
        d.add("};")
    for line in filler(rng, JS_FILLER[5:], 0, 2):
        d.add(line)
    return rng.choice(["index.js", "src/exchange.js", "bot.mjs", "config.js"]), d


def lay_ts(rng, entries, section):
    d = Doc()
    d.add("import ccxt from 'ccxt';")
    d.add("interface Credentials { apiKey: string; secret: string; password?: string }")
    ind = _ind(rng)
    if rng.random() < 0.5:
        for e in entries:
            d.add(f"export const {styled(rng, e.words, 'UPPER')}: string = {e.code('js') or js(rng, e.value)};",
                  *_kinds(e))
    else:
        d.add(f"const {section.replace('.', '')}Credentials: Credentials = {{")
        for e in entries:
            d.add(f"{ind}{e.ccxt}: {e.code('js') or js(rng, e.value)},", *_kinds(e))
        d.add("};")
    d.add("export default {};")
    return rng.choice(["src/config.ts", "credentials.ts", "src/keys.ts"]), d


def lay_py_attrs(rng, entries, section):
    """ccxt objects configured attribute by attribute (as ccxt's own tests do)."""
    d = Doc()
    d.add("import ccxt.async_support as ccxt" if rng.random() < 0.5 else "import ccxt")
    var = rng.choice(["exchange", "ex", section.replace(".", "")])
    d.add(f"{var} = ccxt.{section}({{'enableRateLimit': True}})")
    for e in entries:
        d.add(f"{var}.{e.ccxt} = {e.code('py') or py(rng, e.value)}", *_kinds(e))
    d.add(f"balance = {var}.fetch_balance()")
    return rng.choice(["live_check.py", "scripts/balance.py"]), d


def lay_py_environ(rng, entries, section):
    """Values pushed into the environment from code (a notebook or a test's setup)."""
    d = Doc()
    d.add("import os")
    form = rng.choice(['os.environ["{n}"] = {v}', "os.environ.setdefault('{n}', {v})", "os.putenv('{n}', {v})"])
    for e in entries:
        d.add(form.format(n=styled(rng, e.words, "UPPER"), v=e.code("py") or py(rng, e.value)), *_kinds(e))
    d.add("from bot import main\nmain()")
    return rng.choice(["run_local.py", "conftest.py", "dev.py"]), d


def lay_ini(rng, entries, section):
    """configparser files: unquoted values after '=' or ':' with spaces around."""
    d = Doc()
    d.add("[general]\nlog_level = INFO\ndry_run = false\n")
    d.add(f"[{section}]")
    sep = rng.choice([" = ", "=", ": "])
    for e in entries:
        d.add(f"{e.field}{sep}{flat(e.code('env') or e.value)}", *_kinds(e))
    return rng.choice(["config.ini", "bot.cfg", "settings.ini"]), d


def lay_yaml_flow(rng, entries, section):
    d = Doc()
    parts = [f"{e.field}: {e.code('yaml') or jstr(flat(e.value))}" for e in entries]
    d.add(f"{section}: {{{', '.join(parts)}}}", *[k for e in entries for k in _kinds(e)])
    return "accounts.yaml", d


def lay_json_compact(rng, entries, section):
    body = ",".join(f'"{e.freqtrade}":{e.code("json") or jstr(e.value)}' for e in entries)
    d = Doc()
    d.add(f'{{"exchange":{{"name":"{section}",{body}}},"dry_run":false}}', *[k for e in entries for k in _kinds(e)])
    return "config.min.json", d


def lay_cli(rng, entries, section):
    """Credentials passed as command-line options to a bot (argparse style)."""
    d = Doc()
    d.add("#!/bin/sh")
    flags = {"key": "--api-key", "secret": "--api-secret", "passphrase": "--passphrase", "key-name": "--api-key",
             "pem": "--api-secret"}
    args = " ".join(f"{flags.get(e.role, '--' + e.field.replace('_', '-'))} "
                    f"{e.code('sh') if e.code('sh') is not None else sh(rng, flat(e.value))}" for e in entries)
    d.add(f"python3 -m bot --exchange {section} {args} --symbol BTC/USDT", *[k for e in entries for k in _kinds(e)])
    return rng.choice(["run_bot.sh", "cron/trade.sh"]), d


def lay_bundle(rng, entries, section):
    """A key pasted into a minified bundle: one very long line of other code around it."""
    filler_parts = _minified_parts(rng, section, rng.randint(30, 60))
    cut = rng.randint(1, len(filler_parts) - 1)
    creds = ",".join(f"{e.ccxt}:{e.code('js') or jstr(flat(e.value))}" for e in entries)
    middle = f"const {rng.choice(['e', 'n', 'xe', 'Ct'])}=new ccxt.{section}({{{creds},enableRateLimit:!0}})"
    d = Doc()
    d.add("/*! app bundle */ " + ";".join(filler_parts[:cut] + [middle] + filler_parts[cut:]) + ";",
          *[k for e in entries for k in _kinds(e)])
    return rng.choice(["dist/app.min.js", "static/js/main.3e9a1f.js"]), d


def lay_notebook(rng, entries, section):
    """A Jupyter notebook: the value in a code cell, and often again in a cell's printed output."""
    inner_layout = rng.choice([lay_py_constants, lay_py_ccxt, lay_py_dict])
    _, cell = inner_layout(rng, entries, section)
    cells = [("markdown", Doc(), None), ("code", cell, None)]
    cells[0][1].add(f"# Backtest on {section}")
    if rng.random() < 0.6:
        out = Doc()
        src = Doc()
        src.add(rng.choice(["!cat .env", "print(config)", "%env"]))
        if rng.random() < 0.5:
            for e in entries:
                v = flat(e.code("env") or e.value)
                out.add(f"{styled(rng, e.words, 'UPPER')}={v}", *_kinds(e))
        else:
            out.add("{" + ", ".join(f"'{e.ccxt}': '{flat(e.code('env') or e.value)}'" for e in entries) + "}",
                    *[k for e in entries for k in _kinds(e)])
        cells.append(("code", src, out))
    return rng.choice(["notebooks/backtest.ipynb", "research.ipynb", "Untitled.ipynb"]), notebook(cells)


def notebook(cells) -> Doc:
    """Write nbformat-4 JSON line by line so that each source/output line keeps a known line number."""
    d = Doc()
    d.add('{\n "cells": [')
    for ci, (ctype, src, out) in enumerate(cells):
        d.add('  {')
        d.add(f'   "cell_type": "{ctype}",')
        if ctype == "code":
            d.add(f'   "execution_count": {ci},')
        d.add('   "metadata": {},')
        if ctype == "code":
            if out is None:
                d.add('   "outputs": [],')
            else:
                d.add('   "outputs": [\n    {\n     "name": "stdout",\n     "output_type": "stream",\n     "text": [')
                _json_lines(d, out, "      ")
                d.add('     ]\n    }\n   ],')
        d.add('   "source": [')
        _json_lines(d, src, "    ")
        d.add('   ]')
        d.add('  }' + ("," if ci < len(cells) - 1 else ""))
    d.add(' ],\n "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},')
    d.add(' "nbformat": 4,\n "nbformat_minor": 5\n}')
    return d


def _json_lines(d: Doc, src: Doc, indent: str) -> None:
    base = len(d.lines)
    n = len(src.lines)
    for i, line in enumerate(src.lines):
        d.lines.append(indent + json.dumps(line + ("\n" if i < n - 1 else "")) + ("," if i < n - 1 else ""))
    for start, end, kind, needle in src.marks:
        d.marks.append((base + start, base + end, kind, needle))


CONTAINERS: Dict[str, Callable] = {
    "py-constants": lay_py_constants, "py-ccxt": lay_py_ccxt, "py-dict": lay_py_dict, "py-kwargs": lay_py_kwargs,
    "env": lay_env, "json-freqtrade": lay_json_freqtrade, "json-keys": lay_json_keys, "yaml": lay_yaml,
    "toml": lay_toml, "docker-compose": lay_compose, "k8s": lay_k8s, "shell": lay_shell,
    "dockerfile": lay_dockerfile, "js": lay_js, "ts": lay_ts, "notebook": lay_notebook,
    "py-attrs": lay_py_attrs, "py-environ": lay_py_environ, "ini": lay_ini, "yaml-flow": lay_yaml_flow,
    "json-compact": lay_json_compact, "cli-args": lay_cli, "js-bundle": lay_bundle,
}


# --- positives: exchanges ------------------------------------------------------------------------------------
def exchange_entries(rng: random.Random, ex: Exchange, roles: Sequence[str], values=None, positive=True):
    prefix = rng.choice(ex.prefixes).split("_")
    out = []
    for role in roles:
        value = values[role] if values else ex.roles[role](rng)
        words = prefix + rng.choice(ROLE_SUFFIXES[role])
        out.append(Entry(f"{ex.name}/{role}" if positive else None, value, words, rng.choice(SECTION_FIELDS[role]),
                         CCXT_FIELDS[role], FREQTRADE_FIELDS[role], role=role))
    return out


def gen_exchange(rng: random.Random, ex: Exchange):
    roles = list(ex.roles)
    if rng.random() < 0.2 and len(roles) > 1:
        roles = rng.sample(roles, rng.randint(1, len(roles) - 1))
    entries = exchange_entries(rng, ex, roles)
    layout = rng.choice(list(CONTAINERS))
    name, doc = CONTAINERS[layout](rng, entries, ex.ccxt)
    return layout, name, doc


# --- positives: wallets, infrastructure, PEM, generic ----------------------------------------------------------
def _named(rng, kind, value, names, field=None):
    words = rng.choice(names).split("_")
    return Entry(kind, value, words, field or "_".join(words).lower(), camel(words), "_".join(words).lower())


MNEMONIC_NAMES = ["mnemonic", "seed_phrase", "wallet_mnemonic", "secret_recovery_phrase", "recovery_phrase",
                  "deployer_mnemonic", "hd_mnemonic", "seed_words"]


def gen_mnemonic(rng, value=None, kind="bip39-mnemonic"):
    phrase = value or V.mnemonic(rng)
    words = phrase.split()
    k = (kind,) if kind else ()
    style = rng.randrange(9)
    if style == 0:    # a bare text file, spaces or one word per line or commas
        sep = rng.choice([" ", "\n", ", ", ","])
        d = Doc()
        if rng.random() < 0.5:
            d.add(rng.choice(["# wallet backup", "Recovery phrase:", "seed:"]))
        d.add(sep.join(words), *k)
        return "text", rng.choice(["seed.txt", "backup/recovery-phrase.txt", "wallet/mnemonic.txt", "notes.md"]), d
    if style == 1:    # hardhat / truffle
        d = Doc()
        d.add('require("@nomicfoundation/hardhat-toolbox");')
        d.add("module.exports = {\n  solidity: \"0.8.24\",\n  networks: {\n    sepolia: {\n      url: process.env.RPC_URL,")
        d.add(f"      accounts: {{ mnemonic: {js(rng, phrase)} }},", *k)
        d.add("    },\n  },\n};")
        return "hardhat", "hardhat.config.js", d
    if style == 2:
        d = Doc()
        d.add("const HDWalletProvider = require('@truffle/hdwallet-provider');")
        d.add(f"const mnemonic = {js(rng, phrase)};", *k)
        d.add("module.exports = {\n  networks: {\n    goerli: {\n      provider: () => new HDWalletProvider(mnemonic, "
              "process.env.RPC_URL),\n      network_id: 5,\n    },\n  },\n};")
        return "truffle", "truffle-config.js", d
    if style == 3:    # quoted list items, inline or one per line
        d = Doc()
        q = rng.choice(['"', "'"])
        items = [f"{q}{w}{q}" for w in words]
        name = rng.choice(MNEMONIC_NAMES)
        if rng.random() < 0.5:
            d.add(f"{name.upper()} = [{', '.join(items)}]", *k)
        else:
            ind = _ind(rng)
            d.add(f"{name} = [\n" + ",\n".join(ind + i for i in items) + "\n]", *k)
        return "list-py", "wallet.py", d
    if style == 4:
        d = Doc()
        ind = rng.choice(["  ", "    "])
        name = camel(rng.choice(MNEMONIC_NAMES).split("_"))
        if rng.random() < 0.5:
            d.add("{\n" + f'{ind}"network": "mainnet",')
            d.add(f'{ind}"{name}": {jstr(phrase)}', *k)
            d.add("}")
        else:
            body = ",\n".join(f"{ind * 2}{jstr(w)}" for w in words)
            d.add("{")
            d.add(f'{ind}"{name}": [\n{body}\n{ind}]', *k)
            d.add("}")
        return "json", rng.choice(["wallet.json", "config/wallet.json"]), d
    entry = _named(rng, kind, phrase, MNEMONIC_NAMES)
    layout = ["env", "py-constants", "yaml", "toml", "js", "docker-compose", "notebook"][style - 5 + rng.randrange(3)]
    name, d = CONTAINERS[layout](rng, [entry], "wallet")
    return layout, name, d


WIF_NAMES = ["btc_private_key", "wif", "bitcoin_wif", "wallet_wif", "private_key_wif", "btc_key"]
XPRV_NAMES = ["xprv", "master_xprv", "extended_private_key", "bip32_root_key", "hd_root_key", "account_xprv"]
ETH_NAMES = ["private_key", "eth_private_key", "deployer_private_key", "wallet_private_key", "signer_private_key",
             "wallet_key", "pk"]


def gen_wif(rng, value=None, kind="wif"):
    v = value or V.wif(rng, testnet=rng.random() < 0.15)
    k = (kind,) if kind else ()
    style = rng.randrange(5)
    if style == 0:
        d = Doc()
        d.add("#!/bin/sh")
        d.add(f"bitcoin-cli -rpcwallet=hot importprivkey {v} \"hot\" false", *k)
        return "shell-cli", "scripts/import.sh", d
    if style == 1:
        d = Doc()
        d.add("from bit import PrivateKey")
        d.add(f"key = PrivateKey({py(rng, v)})", *k)
        d.add("print(key.address)")
        return "py-call", "sweep.py", d
    layout = rng.choice(["env", "py-constants", "yaml", "json-keys", "js", "notebook", "toml"])
    name, d = CONTAINERS[layout](rng, [_named(rng, kind, v, WIF_NAMES)], "bitcoin")
    return layout, name, d


def gen_xprv(rng, value=None, kind="xprv"):
    v = value or V.xprv(rng)
    k = (kind,) if kind else ()
    if rng.random() < 0.25:
        d = Doc()
        d.add("const { HDKey } = require('@scure/bip32');")
        d.add(f"const root = HDKey.fromExtendedKey({js(rng, v)});", *k)
        d.add("const child = root.derive(\"m/0/1\");")
        return "js-call", "derive.js", d
    layout = rng.choice(["env", "py-constants", "yaml", "json-keys", "js", "notebook", "toml", "shell"])
    name, d = CONTAINERS[layout](rng, [_named(rng, kind, v, XPRV_NAMES)], "wallet")
    return layout, name, d


def gen_eth(rng, value=None, kind="eth-private-key"):
    v = value or V.eth_private_key(rng)
    if rng.random() < 0.7:
        v = "0x" + v
    k = (kind,) if kind else ()
    style = rng.randrange(10)
    d = Doc()
    if style == 0:
        d.add('require("@nomicfoundation/hardhat-toolbox");\nmodule.exports = {\n  networks: {\n    mainnet: {')
        d.add("      url: process.env.MAINNET_RPC,")
        d.add(f"      accounts: [{js(rng, v)}],", *k)
        d.add("    },\n  },\n};")
        return "hardhat-accounts", "hardhat.config.ts", d
    if style == 1:
        d.add("import { ethers } from 'ethers';")
        d.add("const provider = new ethers.JsonRpcProvider(process.env.RPC_URL);")
        d.add(f"const wallet = new ethers.Wallet({js(rng, v)}, provider);", *k)
        return "ethers-wallet", "scripts/send.ts", d
    if style == 2:
        d.add("from web3 import Web3")
        d.add("w3 = Web3(Web3.HTTPProvider(RPC_URL))")
        d.add(f"acct = w3.eth.account.{rng.choice(['from_key', 'privateKeyToAccount'])}({py(rng, v)})", *k)
        return "web3-account", "payout.py", d
    if style == 3:
        d.add("import { privateKeyToAccount } from 'viem/accounts';")
        d.add(f"const account = privateKeyToAccount({js(rng, v)});", *k)
        return "viem-account", "src/account.ts", d
    if style == 4:
        d.add("#!/usr/bin/env bash")
        d.add(f"forge script script/Deploy.s.sol --rpc-url \"$RPC_URL\" --private-key {v} --broadcast", *k)
        return "foundry-cli", "deploy.sh", d
    layout = rng.choice(["env", "env", "py-constants", "yaml", "json-keys", "js", "notebook", "docker-compose", "toml"])
    name, d = CONTAINERS[layout](rng, [_named(rng, kind, v, ETH_NAMES)], "wallet")
    return layout, name, d


def gen_solana(rng, value=None, kind="solana-keypair"):
    arr = value or V.solana_keypair(rng)
    k = (kind,) if kind else ()
    style = rng.randrange(5)
    d = Doc()
    compact = "[" + ",".join(map(str, arr)) + "]"
    if style == 0:
        d.add(compact, *k)
        return "keypair-file", rng.choice(["id.json", "keypair.json", ".config/solana/id.json", "wallet-keypair.json"]), d
    if style == 1:
        body = ",\n".join("  " + str(x) for x in arr)
        d.add("[\n" + body + "\n]", *k)
        return "keypair-pretty", rng.choice(["deployer-keypair.json", "keys/payer.json"]), d
    if style == 2:
        d.add("from solders.keypair import Keypair")
        d.add(f"payer = Keypair.from_bytes(bytes({compact.replace(',', ', ')}))", *k)
        return "py-solders", "solana_bot.py", d
    if style == 3:
        d.add("import { Keypair } from '@solana/web3.js';")
        d.add(f"const payer = Keypair.fromSecretKey(Uint8Array.from({compact}));", *k)
        return "js-web3", "src/payer.ts", d
    d.add("RPC_URL=https://api.mainnet-beta.solana.com")
    d.add(f"SOLANA_PRIVATE_KEY={compact}", *k)
    return "env", ".env", d


NETS_INFURA = ["mainnet", "sepolia", "polygon-mainnet", "arbitrum-mainnet", "optimism-mainnet", "linea-mainnet"]
NETS_ALCHEMY = ["eth-mainnet", "eth-sepolia", "polygon-mainnet", "arb-mainnet", "opt-mainnet", "base-mainnet"]


def gen_infra(rng, kind):
    """Telegram, Infura, Alchemy, QuickNode, Etherscan/BscScan, Moralis: as URLs, variables and calls."""
    d = Doc()
    k = (kind,)
    if kind == "telegram-bot-token":
        tok = V.telegram_token(rng)
        style = rng.randrange(6)
        if style == 0:
            d.add("import telebot")
            d.add(f"bot = telebot.TeleBot({py(rng, tok)})", *k)
            return "py-call", "alerts.py", d
        if style == 1:
            d.add("import requests")
            d.add(f"URL = f\"https://api.telegram.org/bot{tok}/sendMessage\"", *k)
            return "url", "notify.py", d
        if style == 2:
            d.add(f'{{\n  "telegram": {{\n    "enabled": true,')
            d.add(f'    "token": {jstr(tok)},', *k)
            d.add(f'    "chat_id": "{rng.randint(10**8, 10**10)}"\n  }}\n}}')
            return "json-freqtrade", "config.json", d
        if style == 3:
            d.add("from telegram.ext import Application")
            d.add(f"app = Application.builder().token({py(rng, tok)}).build()", *k)
            return "py-call", "tg_bot.py", d
        entry = _named(rng, kind, tok, ["telegram_bot_token", "tg_token", "telegram_token", "bot_token"])
        layout = rng.choice(["env", "yaml", "js", "docker-compose", "shell"])
        return (layout,) + CONTAINERS[layout](rng, [entry], "telegram")
    if kind == "infura":
        pid = rand_str(rng, HEX, 32)
        scheme, path = rng.choice([("https", "v3"), ("https", "v3"), ("wss", "ws/v3")])
        url = f"{scheme}://{rng.choice(NETS_INFURA)}.infura.io/{path}/{pid}"
        style = rng.randrange(4)
        if style == 0:
            d.add("from web3 import Web3")
            d.add(f"w3 = Web3(Web3.HTTPProvider({py(rng, url)}))", *k)
            return "py-url", "chain.py", d
        if style == 1:
            entry = _named(rng, kind, pid, ["infura_project_id", "infura_api_key", "infura_key", "infura_id"])
            layout = rng.choice(["env", "py-constants", "js", "yaml"])
            return (layout,) + CONTAINERS[layout](rng, [entry], "infura")
        entry = _named(rng, kind, url, ["rpc_url", "eth_rpc_url", "mainnet_rpc", "provider_url", "web3_provider"])
        layout = rng.choice(["env", "yaml", "js", "docker-compose", "toml"])
        return (layout,) + CONTAINERS[layout](rng, [entry], "rpc")
    if kind == "alchemy":
        key = rand_str(rng, B64URL, 32) if rng.random() < 0.8 else "alcht_" + rand_str(rng, ALNUM, 30)
        url = f"https://{rng.choice(NETS_ALCHEMY)}.g.alchemy.com/v2/{key}"
        style = rng.randrange(4)
        if style == 0:
            d.add("import { Alchemy, Network } from 'alchemy-sdk';")
            d.add(f"const alchemy = new Alchemy({{ apiKey: {js(rng, key)}, network: Network.ETH_MAINNET }});", *k)
            return "js-sdk", "src/alchemy.js", d
        if style == 1:
            entry = _named(rng, kind, key, ["alchemy_api_key", "alchemy_key", "alchemy_id"])
            layout = rng.choice(["env", "py-constants", "yaml", "shell"])
            return (layout,) + CONTAINERS[layout](rng, [entry], "alchemy")
        entry = _named(rng, kind, url, ["rpc_url", "alchemy_url", "mainnet_rpc_url", "provider_url"])
        layout = rng.choice(["env", "yaml", "js", "py-constants", "notebook"])
        return (layout,) + CONTAINERS[layout](rng, [entry], "rpc")
    if kind == "quicknode":
        words = ["young", "purple", "shape", "silent", "broken", "morning", "frosty", "icy", "wild", "hidden"]
        host = "-".join(rng.sample(words, 3))
        net = rng.choice(["", "", "bsc.", "matic.", "solana-mainnet.", "arbitrum-mainnet.", "base-mainnet."])
        url = f"{rng.choice(['https', 'wss'])}://{host}.{net}quiknode.pro/{rand_str(rng, HEX, 40 if rng.random() < 0.3 else 32)}/"
        entry = _named(rng, kind, url, ["rpc_url", "quicknode_url", "quicknode_endpoint", "http_provider", "ws_url"])
        layout = rng.choice(["env", "yaml", "js", "py-constants", "toml", "docker-compose"])
        return (layout,) + CONTAINERS[layout](rng, [entry], "quicknode")
    if kind == "etherscan":
        key = rand_str(rng, UPALNUM, 34)
        scan = rng.choice(["etherscan", "etherscan", "bscscan"])
        style = rng.randrange(4)
        if style == 0:
            d.add("import requests")
            d.add(f"url = 'https://api.{scan}.{'io' if scan == 'etherscan' else 'com'}/api?module=account"
                  f"&action=balance&address={V.eth_address(rng)}&tag=latest&apikey={key}'", *k)
            return "url", "balances.py", d
        if style == 1:
            d.add("module.exports = {\n  solidity: '0.8.24',")
            d.add(f"  etherscan: {{ apiKey: {js(rng, key)} }},", *k)
            d.add("};")
            return "hardhat", "hardhat.config.js", d
        entry = _named(rng, kind, key, [f"{scan}_api_key", f"{scan}_key", f"{scan}_token"])
        layout = rng.choice(["env", "py-constants", "yaml", "shell", "toml"])
        return (layout,) + CONTAINERS[layout](rng, [entry], scan)
    if kind == "moralis":
        key = rand_str(rng, ALNUM, 64)
        style = rng.randrange(3)
        if style == 0:
            d.add("import requests")
            d.add("url = 'https://deep-index.moralis.io/api/v2.2/wallets/0xabc/history'")
            d.add(f"headers = {{'accept': 'application/json', 'X-API-Key': {py(rng, key)}}}", *k)
            return "header", "moralis_client.py", d
        if style == 1:
            d.add("import Moralis from 'moralis';")
            d.add(f"await Moralis.start({{ apiKey: {js(rng, key)} }});", *k)
            return "js-sdk", "src/moralis.js", d
        entry = _named(rng, kind, key, ["moralis_api_key", "moralis_key"])
        layout = rng.choice(["env", "py-constants", "yaml", "docker-compose"])
        return (layout,) + CONTAINERS[layout](rng, [entry], "moralis")
    raise ValueError(kind)


PEM_HEADERS = [("RSA PRIVATE KEY", "MIIEowIBAAKCAQEA", 25), ("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", 26),
               ("EC PRIVATE KEY", "MHcCAQEEI", 3), ("OPENSSH PRIVATE KEY", "b3BlbnNzaC1rZXktdjEAAAAA", 7),
               ("ENCRYPTED PRIVATE KEY", "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI", 27)]


def pem_block(rng) -> str:
    header, prefix, nlines = rng.choice(PEM_HEADERS)
    width = 70 if "OPENSSH" in header else 64
    body = prefix + rand_str(rng, B64, width * nlines - len(prefix) - rng.randint(4, 40))
    body += "=" * ((4 - len(body) % 4) % 4)
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return f"-----BEGIN {header}-----\n" + "\n".join(lines) + f"\n-----END {header}-----"


def gen_pem(rng, kind="private-key-pem"):
    v = pem_block(rng)
    k = (kind,)
    style = rng.randrange(6)
    d = Doc()
    if style == 0:
        d.add(v, *k)
        return "pem-file", rng.choice(["deploy_key.pem", "certs/server.key", "id_rsa", "keys/api.pem"]), d
    if style == 1:
        d.add("{")
        d.add(f'  "type": "service_account",\n  "private_key_id": "{rand_str(rng, HEX, 40)}",')
        d.add(f'  "private_key": {jstr(v + chr(10))},', *k)
        d.add('  "client_email": "bot@project.iam.gserviceaccount.com"\n}')
        return "json-escaped", "service-account.json", d
    entry = _named(rng, kind, v, ["private_key", "ssh_private_key", "tls_key", "signing_key", "rsa_private_key"])
    layout = rng.choice(["py-constants", "yaml", "env", "k8s", "js", "toml"])
    name, d = CONTAINERS[layout](rng, [entry], "tls")
    return layout, name, d


GENERIC_PREFIXES = ["", "", "data_provider", "news", "signal_service", "dashboard", "webhook", "db", "smtp", "redis",
                    "backend", "analytics", "sentiment", "oracle"]
GENERIC_SUFFIXES = ["api_key", "api_secret", "secret_key", "secret", "password", "passphrase", "client_secret",
                    "access_token", "auth_token", "api_token", "apikey"]


def generic_value(rng) -> str:
    style = rng.randrange(6)
    if style == 0:
        return rand_str(rng, ALNUM, rng.randint(16, 48))
    if style == 1:
        return rand_str(rng, B64URL, rng.choice([32, 40, 43]))
    if style == 2:
        return rand_str(rng, HEX, rng.choice([32, 40]))
    if style == 3:
        return _b64(rng, rng.choice([24, 32, 33]))
    if style == 4:
        return V.passphrase(rng)
    return rand_str(rng, ALNUM, 8) + "-" + rand_str(rng, ALNUM, 8) + "-" + rand_str(rng, ALNUM, 8)


def gen_generic(rng, kind="generic-credential"):
    pre = rng.choice(GENERIC_PREFIXES)
    words = (pre.split("_") if pre else []) + rng.choice(GENERIC_SUFFIXES).split("_")
    e = Entry(kind, generic_value(rng), words, "_".join(words), camel(words), "_".join(words))
    layout = rng.choice([c for c in CONTAINERS
                         if c not in ("py-ccxt", "json-freqtrade", "py-attrs", "json-compact", "js-bundle")])
    name, d = CONTAINERS[layout](rng, [e], rng.choice(["service", "backend", "api", "database"]))
    return layout, name, d


# --- negatives ----------------------------------------------------------------------------------------------
def env_read_code(rng: random.Random, var: str) -> Dict[str, str]:
    return {
        "py": rng.choice([f'os.environ["{var}"]', f"os.getenv('{var}')", f'os.environ.get("{var}", "")',
                          f"config('{var}')", f"settings.{var}"]),
        "js": rng.choice([f"process.env.{var}", f"process.env['{var}']", f"process.env.{var} ?? ''"]),
        "json": jstr(rng.choice([f"${{{var}}}", f"{{{{ env.{var} }}}}", ""])),
        "yaml": rng.choice([f"${{{var}}}", f'"${{{var}}}"', f"${{{var}:?set {var}}}"]),
        "toml": jstr(f"${{{var}}}"),
        "env": rng.choice([f"${{{var}}}", f'"${{{var}:-}}"']),
        "sh": rng.choice([f'"${{{var}:?missing}}"', f'"$(cat /run/secrets/{var.lower()})"',
                          f'"$(vault kv get -field={var.lower()} secret/bot)"']),
        "docker": f"${{{var}}}",
        "k8s": f"              valueFrom:\n                secretKeyRef:\n                  name: bot-secrets\n"
               f"                  key: {var.lower().replace('_', '-')}",
    }


PLACEHOLDERS = ["your_api_key_here", "YOUR_API_SECRET", "<your-api-key>", "<API_SECRET>", "changeme", "CHANGE_ME",
                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
                "****************", "your-secret-here", "REPLACE_ME", "insert_your_key", "{{ exchange_api_key }}",
                "put-your-secret-here", "<redacted>", "your_passphrase", "enter_your_api_key", "...",
                "0000000000000000000000000000000000000000000000000000000000000000", "0123456789abcdef0123456789abcdef",
                "%(API_KEY)s", "YOUR_BINANCE_API_KEY", "paste-your-key-here", "dummy_secret_value", "EXAMPLE_KEY_123456"]
EMPTIES = ["", ""]


def neg_credential_file(rng, exchanges, make_value, lang_code=None):
    """An exchange credential layout whose values are not secrets (env reads, placeholders, empties)."""
    ex = rng.choice(exchanges)
    roles = list(ex.roles)
    entries = exchange_entries(rng, ex, roles, positive=False)
    for e in entries:
        var = "_".join(e.words).upper()
        if lang_code:
            e.raw_code = lang_code(rng, var)
            e.value = ""
        else:
            e.value = make_value(rng)
    layout = rng.choice(list(CONTAINERS))
    name, d = CONTAINERS[layout](rng, entries, ex.ccxt)
    return layout, name, d


def neg_uuid_ids(rng, exchanges):
    d = Doc()
    ex = rng.choice(exchanges)
    u = lambda: V.fake_uuid(rng)  # noqa: E731
    style = rng.randrange(5)
    if style == 0:
        d.add(f"order = exchange.create_order('BTC/USDT', 'limit', 'buy', 0.01, 30000, "
              f"params={{'clientOrderId': '{u()}'}})")
        d.add(f"log.info('placed order %s on {ex.ccxt}', '{u()}')")
        d.add(f"order_id = \"{u()}\"\nclient_order_id = '{u()}'\nrequest_id = \"{u()}\"")
        return "py", f"{ex.ccxt}_orders.py", d
    if style == 1:
        ind = "  "
        d.add("{")
        d.add(f'{ind}"exchange": "{ex.ccxt}",')
        d.add(f'{ind}"orderId": "{u()}",\n{ind}"clOrdId": "{u()}",\n{ind}"clientOid": "{u()}",')
        d.add(f'{ind}"requestId": "{u()}",\n{ind}"status": "filled",\n{ind}"side": "buy"\n}}')
        return "json-response", "fixtures/order_response.json", d
    if style == 2:
        d.add(f"2026-01-0{rng.randint(1, 9)} 12:00:01 INFO {ex.name} order {u()} filled (request {u()})")
        d.add(f"2026-01-0{rng.randint(1, 9)} 12:00:02 INFO trace_id={u()} span_id={rand_str(rng, HEX, 16)}")
        return "log", "logs/bot.log", d
    if style == 3:
        d.add(f"const headers = {{ 'X-Request-Id': '{u()}', 'Idempotency-Token': '{u()}' }};")
        d.add(f"const correlationId = '{u()}';\nconst orderLinkId = \"{u()}\";")
        return "js", "src/orders.js", d
    d.add(f"orders:\n  - id: {u()}\n    client_order_id: {u()}\n    exchange: {ex.ccxt}\n    session_id: {u()}")
    return "yaml", "fixtures/orders.yaml", d


def neg_public_data(rng):
    d = Doc()
    style = rng.randrange(7)
    txh = lambda: "0x" + rand_str(rng, HEX, 64)  # noqa: E731
    if style == 0:
        d.add(f"WALLET_ADDRESS={V.eth_address(rng)}\nCONTRACT_ADDRESS={V.eth_address(rng)}\nCHAIN_ID=1")
        return "env-addresses", ".env.example", d
    if style == 1:
        d.add(f"tx_hash = '{txh()}'\nblock_hash = \"{txh()}\"\nreceipt = w3.eth.get_transaction_receipt(tx_hash)")
        d.add(f"print('https://etherscan.io/tx/{txh()}')")
        return "py-hashes", "check_tx.py", d
    if style == 2:
        d.add("{\n  \"blockHash\": \"" + txh() + "\",\n  \"transactionHash\": \"" + txh() + "\",")
        d.add(f'  "from": "{V.eth_address(rng)}",\n  "to": "{V.eth_address(rng)}",')
        d.add('  "topics": ["' + txh() + '", "' + txh() + '"],\n  "logIndex": "0x1"\n}')
        return "json-receipt", "fixtures/receipt.json", d
    if style == 3:
        d.add(f"XPUB = {py(rng, V.xpub(rng))}\nBTC_ADDRESS = '{V.btc_address(rng)}'")
        d.add(f"account_xpub: str = \"{V.xpub(rng)}\"")
        return "py-xpub", "watch_only.py", d
    if style == 4:
        d.add(f"payer_pubkey: {V.solana_pubkey(rng)}\nprogram_id: {V.solana_pubkey(rng)}\nmint: {V.solana_pubkey(rng)}")
        return "yaml-solana", "solana.yaml", d
    if style == 5:
        d.add(f"const signature = '0x{rand_str(rng, HEX, 130)}';\nconst publicKey = '0x04{rand_str(rng, HEX, 128)}';")
        d.add(f"// see https://bscscan.com/tx/{txh()}")
        return "js-signature", "verify.js", d
    d.add(f"| tx | block |\n|---|---|\n| [{txh()[:12]}](https://etherscan.io/tx/{txh()}) | {rng.randint(1, 20000000)} |")
    d.add(f"Watch-only: `{V.xpub(rng)}`")
    return "markdown", "docs/transactions.md", d


def neg_checksums(rng):
    d = Doc()
    style = rng.randrange(8)
    h = lambda: rand_str(rng, HEX, 64)  # noqa: E731
    if style == 0:
        d.add("ccxt==4.5.90 \\")
        d.add(f"    --hash=sha256:{h()} \\\n    --hash=sha256:{h()}")
        d.add(f"requests==2.32.3 \\\n    --hash=sha256:{h()}")
        return "requirements", "requirements.txt", d
    if style == 1:
        d.add('[[package]]\nname = "ccxt"\nversion = "4.5.90"\nfiles = [')
        d.add(f'    {{file = "ccxt-4.5.90-py2.py3-none-any.whl", hash = "sha256:{h()}"}},')
        d.add(f'    {{file = "ccxt-4.5.90.tar.gz", hash = "sha256:{h()}"}},\n]')
        return "poetry-lock", "poetry.lock", d
    if style == 2:
        d.add('{\n  "packages": {\n    "node_modules/ccxt": {\n      "version": "4.5.90",')
        d.add(f'      "resolved": "https://registry.npmjs.org/ccxt/-/ccxt-4.5.90.tgz",')
        d.add(f'      "integrity": "sha512-{_b64(rng, 64)}"\n    }}\n  }}\n}}')
        return "package-lock", "package-lock.json", d
    if style == 3:
        d.add(f"{h()}  freqtrade-2026.9.tar.gz\n{h()}  jesse-3.5.3.tar.gz")
        return "sha256sums", "SHA256SUMS", d
    if style == 4:
        d.add("#!/bin/sh")
        d.add(f'echo "{h()}  geth-linux-amd64.tar.gz" | sha256sum -c -')
        d.add(f"EXPECTED_SHA256={h()}")
        return "shell-check", "install.sh", d
    if style == 5:
        d.add(f'[[package]]\nname = "k256"\nversion = "0.13.4"\nsource = "registry+https://github.com/rust-lang/crates.io-index"')
        d.add(f'checksum = "{h()}"')
        return "cargo-lock", "Cargo.lock", d
    if style == 6:
        d.add(f'{{\n  "_meta": {{"hash": {{"sha256": "{h()}"}}}},\n  "default": {{\n    "ccxt": {{')
        d.add(f'      "hashes": ["sha256:{h()}", "sha256:{h()}"],\n      "version": "==4.5.90"\n    }}\n  }}\n}}')
        return "pipfile-lock", "Pipfile.lock", d
    d.add(f'ccxt@^4.5.90:\n  version "4.5.90"\n  resolved "https://registry.yarnpkg.com/ccxt/-/ccxt-4.5.90.tgz#{rand_str(rng, HEX, 40)}"')
    d.add(f"  integrity sha512-{_b64(rng, 64)}")
    return "yarn-lock", "yarn.lock", d


def neg_git_shas(rng):
    d = Doc()
    sha = lambda: rand_str(rng, HEX, 40)  # noqa: E731
    style = rng.randrange(4)
    if style == 0:
        d.add(f"repos:\n  - repo: https://github.com/crypto-key-guard/crypto-key-guard\n    rev: {sha()}")
        d.add("    hooks:\n      - id: crypto-key-patterns")
        return "pre-commit-config", ".pre-commit-config.yaml", d
    if style == 1:
        d.add(f"git+https://github.com/freqtrade/freqtrade.git@{sha()}#egg=freqtrade\nccxt==4.5.90")
        return "requirements-git", "requirements-dev.txt", d
    if style == 2:
        d.add(f'{{\n  "name": "bot",\n  "gitHead": "{sha()}",\n  "commit": "{sha()}"\n}}')
        return "json", "build-info.json", d
    d.add(f"git fetch origin\ngit checkout {sha()}\nGIT_COMMIT={sha()}\necho \"built from $GIT_COMMIT\"")
    return "shell", "build.sh", d


def neg_data_uri(rng):
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + V.rand_bytes(rng, rng.randint(300, 1500))).decode()
    d = Doc()
    style = rng.randrange(3)
    if style == 0:
        d.add(f".logo {{\n  background-image: url(data:image/png;base64,{png});\n}}")
        return "css", "static/style.css", d
    if style == 1:
        d.add(f"const ICON = \"data:image/png;base64,{png}\";\nexport default ICON;")
        return "js", "src/icon.js", d
    src = Doc()
    src.add("df['close'].plot()")
    nb = notebook([("code", src, None)])
    text = nb.text().replace('"outputs": [],', '"outputs": [\n    {\n     "data": {"image/png": "' + png
                             + '", "text/plain": ["<Figure>"]},\n     "output_type": "display_data"\n    }\n   ],')
    d.add(text.rstrip("\n"))
    return "notebook-image", "plots.ipynb", d


def _minified_parts(rng, section: str, count: int) -> List[str]:
    """Statements of a minified bundle: credential-named fields read from variables, hashes, base64 chunks."""
    ids = [rand_str(rng, "abcdefghijklmnopqrstuvwxyz", 1) + rand_str(rng, ALNUM, rng.randint(0, 2)) for _ in range(60)]
    parts = []
    for _ in range(count):
        a, b = rng.sample(ids, 2)
        parts.append(rng.choice([
            f"function {a}({b}){{return {b}.apiKey&&{b}.secret}}",
            f"{a}={{apiKey:{b}.apiKey,secret:{b}.secret,password:{b}.password}}",
            f'{a}.headers["X-MBX-APIKEY"]={b}.apiKey',
            f'var {a}="{rand_str(rng, HEX, 64)}"',
            f'{a}.integrity="sha384-{_b64(rng, 48)}"',
            f'{a}=new {section}({{apiKey:"",secret:""}})',
            f'{a}.sourceHash="{rand_str(rng, HEX, 40)}"',
            f'{a}&&({a}.token={b}.token||"")',
            f'{a}.chunk="{rand_str(rng, B64, rng.randint(20, 60))}"',
            f"{a}.push([{rng.randint(0, 999)},{b}])",
        ]))
    return parts


def neg_minified(rng, exchanges):
    """A bundle: one very long line with credential-named fields read from variables, hashes, base64 chunks."""
    ex = rng.choice(exchanges)
    d = Doc()
    d.add("/*! bundle */ " + ";".join(_minified_parts(rng, ex.ccxt, rng.randint(40, 80))) + ";")
    return "bundle", rng.choice(["static/js/app.min.js", "dist/main.4f2a1c.js", "public/vendor.js"]), d


def neg_bip39_prose(rng):
    text = V.bip39_prose(rng)
    d = Doc()
    style = rng.randrange(3)
    if style == 0:
        d.add("# Notes\n")
        d.add(text)
        return "markdown", "docs/notes.md", d
    if style == 1:
        d.add(f'"""{text}"""\n')
        d.add("def main():\n    pass")
        return "docstring", "story.py", d
    d.add(f"welcome_message: \"{text}\"")
    return "yaml", "i18n/en.yaml", d


def neg_bad_checksum(rng):
    phrase = V.bad_checksum_mnemonic(rng)
    return gen_mnemonic(rng, value=phrase, kind="")


def neg_public_test_keys(rng):
    style = rng.randrange(7)
    keys = V.hardhat_private_keys()
    if style == 0:
        d = Doc()
        chosen = rng.sample(keys, rng.randint(1, 4))
        d.add('module.exports = {\n  networks: {\n    localhost: {\n      url: "http://127.0.0.1:8545",')
        d.add("      accounts: [" + ", ".join(f'"0x{k}"' for k in chosen) + "],")
        d.add("    },\n  },\n};")
        return "hardhat-accounts", "hardhat.config.js", d
    if style == 1:
        return gen_eth(rng, value=rng.choice(keys), kind="")
    if style == 2:
        return gen_mnemonic(rng, value=V.hardhat_mnemonic(), kind="")
    if style == 3:
        return gen_mnemonic(rng, value=V.public_bip39_vector(), kind="")
    if style == 4:
        return gen_xprv(rng, value=V.bip32_vector1_xprv(), kind="")
    if style == 5:
        return gen_wif(rng, value=V.bitcoin_wiki_wif(), kind="")
    key, secret = V.binance_docs_example()
    binance = EXCHANGES[0]
    entries = exchange_entries(rng, binance, ["key", "secret"], values={"key": key, "secret": secret}, positive=False)
    layout = rng.choice(list(CONTAINERS))
    name, d = CONTAINERS[layout](rng, entries, "binance")
    return layout, name, d


def neg_no_context(rng, exchanges):
    """Random-looking values under names that are not credentials, some beside an exchange's name."""
    ex = rng.choice(exchanges)
    d = Doc()
    style = rng.randrange(4)
    if style == 0:
        d.add(f"# signed request to {ex.name}")
        d.add(f"url = 'https://api.{ex.ccxt}.com/api/v3/order?symbol=BTCUSDT&timestamp=1700000000000"
              f"&signature={rand_str(rng, HEX, 64)}'")
        return "signed-url", f"{ex.ccxt}_debug.py", d
    if style == 1:
        d.add(f"nonce = '{rand_str(rng, ALNUM, 32)}'\netag = \"{rand_str(rng, HEX, 32)}\"")
        d.add(f"cursor = '{rand_str(rng, B64URL, 40)}'\ncache_digest = '{rand_str(rng, ALNUM, 64)}'")
        return "py", "pagination.py", d
    if style == 2:
        d.add(f'{{\n  "symbol": "BTCUSDT",\n  "signature": "{rand_str(rng, HEX, 64)}",\n  '
              f'"hash": "{rand_str(rng, ALNUM, 64)}",\n  "exchange": "{ex.ccxt}"\n}}')
        return "json", "fixtures/request.json", d
    d.add(f"SESSION_ID={rand_str(rng, HEX, 32)}\nBUILD_ID={rand_str(rng, ALNUM, 24)}\nEXCHANGE={ex.ccxt}")
    return "env", "build.env", d


def _placeholder(rng):
    return rng.choice(PLACEHOLDERS)


NEGATIVES: Dict[str, Callable] = {
    "env-read": lambda rng, ex: neg_credential_file(rng, ex, None, env_read_code),
    "placeholder": lambda rng, ex: neg_credential_file(rng, ex, _placeholder),
    "empty-value": lambda rng, ex: neg_credential_file(rng, ex, lambda r: ""),
    "uuid-order-id": neg_uuid_ids,
    "public-data": lambda rng, ex: neg_public_data(rng),
    "checksum": lambda rng, ex: neg_checksums(rng),
    "git-sha": lambda rng, ex: neg_git_shas(rng),
    "data-uri": lambda rng, ex: neg_data_uri(rng),
    "minified-js": neg_minified,
    "bip39-prose": lambda rng, ex: neg_bip39_prose(rng),
    "bip39-bad-checksum": lambda rng, ex: neg_bad_checksum(rng),
    "public-test-key": lambda rng, ex: neg_public_test_keys(rng),
    "no-credential-context": neg_no_context,
    "venue-refs-and-public-ids": lambda rng, ex: neg_table(rng, ex),   # below, with the tables
}

OTHER_POSITIVES: Dict[str, Callable] = {
    "bip39-mnemonic": lambda rng: gen_mnemonic(rng),
    "wif": lambda rng: gen_wif(rng),
    "xprv": lambda rng: gen_xprv(rng),
    "eth-private-key": lambda rng: gen_eth(rng),
    "solana-keypair": lambda rng: gen_solana(rng),
    "telegram-bot-token": lambda rng: gen_infra(rng, "telegram-bot-token"),
    "infura": lambda rng: gen_infra(rng, "infura"),
    "alchemy": lambda rng: gen_infra(rng, "alchemy"),
    "quicknode": lambda rng: gen_infra(rng, "quicknode"),
    "etherscan": lambda rng: gen_infra(rng, "etherscan"),
    "moralis": lambda rng: gen_infra(rng, "moralis"),
    "private-key-pem": lambda rng: gen_pem(rng),
    "generic-credential": lambda rng: gen_generic(rng),
}


# --- what else a bot's repository holds (issue 21.4): its own seeded stream, so the corpus above is unchanged --
NAMED_LAYOUTS = ["env", "py-constants", "yaml", "js", "docker-compose", "toml", "json-keys", "shell"]


def _extra_named(rng, kind, value, names, section, layouts=NAMED_LAYOUTS):
    layout = rng.choice(layouts)
    return (layout,) + CONTAINERS[layout](rng, [_named(rng, kind, value, names)], section)


def _proxy_url(rng, password: str) -> str:
    scheme = rng.choice(["http", "http", "https", "socks5", "socks5h", "socks4"])
    user = rng.choice(["user", "bot", "trader", "u"]) + str(rng.randint(10, 99999))
    host = rng.choice([f"203.0.113.{rng.randint(1, 254)}", f"proxy{rng.randint(1, 9)}.provider.example",
                       f"gate.residential.example"])
    return f"{scheme}://{user}:{password}@{host}:{rng.choice([3128, 8080, 1080, 7777, 9050])}"


def gen_bot_extra(rng, kind):
    d = Doc()

    def at(value: str) -> tuple:  # the label, with where the value starts on its line
        return ((kind, value[:10]),)
    if kind == "proxy-url-password":
        url = _proxy_url(rng, rand_str(rng, ALNUM, rng.randint(10, 20)))
        style = rng.randrange(5)
        if style == 0:
            d.add('{\n  "exchange": {\n    "name": "binance",\n    "ccxt_config": {')
            d.add(f'      "{rng.choice(["aiohttp_proxy", "httpsProxy", "socksProxy"])}": {jstr(url)}', *at(url))
            d.add("    }\n  }\n}")
            return "json-freqtrade", "user_data/config.json", d
        if style == 1:
            d.add("import ccxt")
            d.add(f"exchange = ccxt.bybit({{'proxies': {{'https': {py(rng, url)}}}}})", *at(url))
            return "py-ccxt", "bot.py", d
        if style == 2:
            d.add(f"{rng.choice(['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'PROXY_URL'])}={url}", *at(url))
            return "env", ".env", d
        if style == 3:
            d.add("proxies:")
            d.add(f"  - {url}", *at(url))
            second = _proxy_url(rng, rand_str(rng, ALNUM, 14))
            d.add(f"  - {second}", *at(second))
            return "yaml-list", "proxies.yaml", d
        d.add("const { HttpsProxyAgent } = require('https-proxy-agent');")
        d.add(f"const agent = new HttpsProxyAgent({js(rng, url)});  // proxy for the exchange", *at(url))
        return "js", "src/proxy.js", d
    if kind == "http-basic-auth":
        value = V._gen("basic_auth", rng)
        style = rng.randrange(3)
        if style == 0:
            d.add("import requests")
            d.add(f"HEADERS = {{'Authorization': 'Basic {value}', 'Accept': 'application/json'}}", *at(value))
            return "py-header", "client.py", d
        if style == 1:
            d.add("#!/bin/sh")
            d.add(f"curl -s -H 'Authorization: Basic {value}' https://node.example.net/rpc", *at(value))
            return "curl", "rpc.sh", d
        d.add("GET /api/v1/balance HTTP/1.1\nHost: api.example.net")
        d.add(f"Authorization: Basic {value}", *at(value))
        return "http-file", "requests.http", d
    if kind == "exchange-bearer-token":
        token = rand_str(rng, B64URL, rng.choice([40, 48, 64])) if rng.random() < 0.6 else V._gen("jwt", rng)
        venue = rng.choice(["coinbase", "kraken", "alpaca", "polymarket", "bybit"])
        style = rng.randrange(2)
        if style == 0:
            d.add(f"BASE_URL = 'https://api.{venue}.com'")
            d.add(f"headers = {{\"Authorization\": \"Bearer {token}\"}}", *at(token))
            return "py-header", f"{venue}_client.py", d
        d.add(f"// {venue} REST client")
        d.add(f"const headers = {{ Authorization: 'Bearer {token}' }};", *at(token))
        return "js-header", "src/client.ts", d
    if kind == "jwt-credential":
        names = ["api_token", "exchange_jwt", "jwt", "access_token", "auth_token", "session_token", "api_key"]
        return _extra_named(rng, kind, V._gen("jwt", rng), names, "api")
    if kind == "pem-truncated":
        block = pem_block(rng).split("\n")
        cut = "\n".join(block[:rng.randint(2, len(block) - 2)])
        if rng.random() < 0.5:
            d.add(cut, *at(cut))
            return "pem-file", rng.choice(["keys/api.pem", "id_rsa", "certs/bot.key"]), d
        d.add(f"PRIVATE_KEY = \"\"\"{cut}", *at(cut))
        d.add('"""')
        return "py-string", "keys.py", d
    if kind == "octobot-fernet":
        exchange = rng.choice(["binance", "kucoin", "okx", "bybit", "coinbase"])
        d.add('{\n  "exchanges": {')
        d.add(f'    "{exchange}": {{')
        d.add(f'      "api-key": "{V._gen("fernet", rng, "64")}",', (kind, "gAAAAA"))
        d.add(f'      "api-secret": "{V._gen("fernet", rng, "88")}",', (kind, "gAAAAA"))
        d.add('      "web-socket": false\n    }\n  },\n  "trading": {"reference-market": "USDT", "risk": 0.5}\n}')
        return "octobot-config", "user/config.json", d
    if kind == "sui-private-key":
        return _extra_named(rng, kind, V._gen("sui_privkey", rng), ["sui_private_key", "sui_key", "private_key"],
                            "sui")
    if kind == "aptos-private-key":
        value = "0x" + rand_str(rng, HEX, 64)
        if rng.random() < 0.5:
            d.add("---\nprofiles:\n  default:\n    network: Mainnet")
            d.add(f'    private_key: "{value}"', *at(value))
            d.add(f'    public_key: "0x{rand_str(rng, HEX, 64)}"\n    account: {rand_str(rng, HEX, 64)}')
            d.add('    rest_url: "https://fullnode.mainnet.aptoslabs.com"')
            return "aptos-profile", ".aptos/config.yaml", d
        if rng.random() < 0.5:
            value = "ed25519-priv-" + value
        return _extra_named(rng, kind, value, ["aptos_private_key", "aptos_account_private_key"], "aptos")
    if kind == "cosmos-mnemonic":
        phrase = V.mnemonic(rng, 24)
        if rng.random() < 0.5:
            d.add("from terra_sdk.key.mnemonic import MnemonicKey")
            d.add(f"mk = MnemonicKey(mnemonic={py(rng, phrase)})", *at(phrase))
            return "py-call", "terra_bot.py", d
        return _extra_named(rng, kind, phrase, ["terra_mnemonic", "cosmos_mnemonic", "osmosis_seed"], "cosmos",
                            ["env", "py-constants", "js", "json-keys"])
    if kind == "notification":
        service = rng.choice(["pushover", "twilio", "ifttt", "dingtalk", "discord", "slack"])
        if service == "pushover":
            return _extra_named(rng, kind, "a" + rand_str(rng, "abcdefghijkmnopqrstuvwxyz0123456789", 29),
                                ["pushover_token", "pushover_api_token", "pushover_app_token"], "pushover")
        if service == "twilio":
            return _extra_named(rng, kind, rand_str(rng, HEX, 32), ["twilio_auth_token", "twilio_token"], "twilio")
        if service == "ifttt":
            return _extra_named(rng, kind, rand_str(rng, B64URL, 22), ["ifttt_key", "ifttt_webhook_key"], "ifttt")
        if service == "dingtalk":
            return _extra_named(rng, kind, "SEC" + rand_str(rng, HEX, 64), ["dingtalk_secret", "ding_secret"],
                                "dingtalk")
        if service == "discord":
            url = f"https://discord.com/api/webhooks/{rng.randint(10**17, 10**18)}/{rand_str(rng, B64URL, 68)}"
            return _extra_named(rng, kind, url, ["discord_webhook_url", "discord_webhook"], "discord")
        url = f"https://hooks.slack.com/services/T{rand_str(rng, UPALNUM, 10)}/B{rand_str(rng, UPALNUM, 10)}/" \
              f"{rand_str(rng, ALNUM, 24)}"
        return _extra_named(rng, kind, url, ["slack_webhook_url", "slack_webhook"], "slack")
    if kind == "coveralls":
        if rng.random() < 0.6:
            d.add(f"service_name: {rng.choice(['travis-pro', 'github-actions', 'circleci'])}")
            token = rand_str(rng, ALNUM, 32)
            d.add(f"repo_token: {token}", *at(token))
            return "coveralls-yml", ".coveralls.yml", d
        d.add("language: python\nenv:\n  global:")
        token = rand_str(rng, ALNUM, 37)
        d.add(f"    - COVERALLS_REPO_TOKEN={token}", *at(token))
        return "travis", ".travis.yml", d
    raise ValueError(kind)


def neg_bot_extra(rng, kind):
    d = Doc()
    if kind == "proxy-placeholder":
        pw = rng.choice(["pass", "password", "${PROXY_PASS}", "{password}", "PASSWORD", "<password>", "$PROXY_PASSWORD"])
        user = rng.choice(["user", "username", "${PROXY_USER}", "{user}", "USER", "<user>"])
        url = f"{rng.choice(['http', 'socks5'])}://{user}:{pw}@{rng.choice(['host', 'proxy.example.net', 'ip'])}:8080"
        if rng.random() < 0.5:
            d.add(f'{{"exchange": {{"ccxt_config": {{"aiohttp_proxy": {jstr(url)}}}}}}}')
            return "json", "config.json", d
        d.add(f"HTTPS_PROXY={url}")
        return "env", ".env.example", d
    if kind == "public-jwt":
        token = V._gen("jwt", rng, rng.choice(["anon", "example", "none"]))
        name = rng.choice(["NEXT_PUBLIC_SUPABASE_ANON_KEY", "SUPABASE_ANON_KEY", "EXAMPLE_TOKEN", "API_TOKEN"])
        d.add(f"{name}={token}")
        return "env", ".env.local", d
    if kind == "basic-auth-template":
        d.add("import base64, requests")
        d.add(rng.choice([
            "auth = 'Basic ' + base64.b64encode(f'{user}:{password}'.encode()).decode()",
            "headers = {'Authorization': f'Basic {credentials}'}",
            f"headers = {{'Authorization': 'Basic {V._gen('basic_auth', rng, 'filler')}'}}  # user:password"]))
        return "py", "client.py", d
    if kind == "truncated-public-pem":
        body = rand_str(rng, B64, 64 * rng.randint(2, 5))
        label = rng.choice(["PUBLIC KEY", "CERTIFICATE", "RSA PUBLIC KEY"])
        d.add(f"-----BEGIN {label}-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)))
        return "pem", "certs/chain.pem", d
    if kind == "fernet-elsewhere":
        d.add(f'{{"encrypted_blob": "{V._gen("fernet", rng, "200")}", "created": "2026-01-01"}}')
        return "json", "data/cache.json", d
    if kind == "sui-bad-checksum":
        d.add(f"SUI_PRIVATE_KEY={V._gen('sui_privkey', rng, 'badsum')}")
        return "env", ".env.test", d
    raise ValueError(kind)


BOT_EXTRA_POSITIVES = ["proxy-url-password", "http-basic-auth", "exchange-bearer-token", "jwt-credential",
                       "pem-truncated", "octobot-fernet", "sui-private-key", "aptos-private-key", "cosmos-mnemonic",
                       "notification", "coveralls"]
BOT_EXTRA_NEGATIVES = ["proxy-placeholder", "public-jwt", "basic-auth-template", "truncated-public-pem",
                       "fernet-elsewhere", "sui-bad-checksum"]
# --- every venue and service of the tables (patterns/venues.yaml, services.yaml) ----------------------------------
# One kind per generated rule (`venue=<id>/<field>`, `service=<id>/<field>`): the name and value shape are read from
# the rule's own first example (`<VENUE>_<FIELD>=<value>`), so adding a venue adds its kinds; the layouts are the
# ones above. Venues and services covered by hand-written rules are planted by EXCHANGES and OTHER_POSITIVES.
@dataclass
class TableKind:
    kind: str
    entry: str                    # the entry's id: a rule for this kind has an id starting with it
    table: str                    # venue | service
    field: str                    # ccxt's field name (venues) or the service's
    words: List[str]              # the name, as words: ["bitso", "api", "secret"]
    venue_words: int              # how many of them name the venue
    value: str                    # an example template ({hex:40})


SERVICE_LAYOUTS = ["py-constants", "env", "yaml", "py-dict", "toml", "docker-compose", "k8s", "shell", "dockerfile",
                   "js", "ts", "ini", "json-keys", "py-attrs", "yaml-flow", "json-compact", "notebook"]
FREQTRADE_NAMES = {"apiKey": "key", "secret": "secret", "password": "password"}
_TABLE_KINDS: List[TableKind] = []


def table_kinds() -> List[TableKind]:
    """A kind for each rule generated from the venue and service tables (built once)."""
    if not _TABLE_KINDS:
        from crypto_key_guard.engine.rules import default_rules, venue_coverage

        rules = {r.id: r for r in default_rules().rules}
        for row in venue_coverage():
            for fld, ids in row["fields"].items():
                rule = rules[ids[0]]
                if Path(rule.source).name not in ("venues.yaml", "services.yaml"):
                    continue
                name, value = rule.examples["match"][0].split("=", 1)
                words = name.lower().split("_")
                _TABLE_KINDS.append(TableKind(f"{row['table']}={row['id']}/{fld}", row["id"], row["table"], fld,
                                              words, 1, value.strip('"')))
    return _TABLE_KINDS


def gen_table(rng: random.Random, tk: TableKind):
    from crypto_key_guard.engine.examples import expand as fill

    value = fill(tk.value, rng)
    field_words = tk.words[tk.venue_words:]
    section = "".join(tk.words[:tk.venue_words])
    entry = Entry(tk.kind, value, tk.words, "_".join(field_words), tk.field if tk.table == "venue" else
                  "_".join(field_words), FREQTRADE_NAMES.get(tk.field, tk.field), role=tk.field)
    layouts = [name for name in CONTAINERS if name != "js-bundle"] if tk.table == "venue" else SERVICE_LAYOUTS
    if " " in value:  # a seed phrase: layouts that quote their values
        layouts = [name for name in layouts if name not in ("env", "shell", "dockerfile", "cli-args", "ini")]
    layout = rng.choice(layouts)
    name, doc = CONTAINERS[layout](rng, [entry], section)
    return layout, name, doc


def neg_table(rng: random.Random, exchanges):
    """Names of the tables' venues and services holding no secret: env reads, placeholders, and public ids (uid,
    wallet address) under the venue's name."""
    d = Doc()
    for tk in rng.sample(table_kinds(), 4):
        var = "_".join(tk.words).upper()
        d.add(rng.choice([f'{var} = os.environ["{var}"]', f"{var} = os.getenv('{var}')",
                          f"{var}={rng.choice(PLACEHOLDERS)}", f'{var} = "{rng.choice(PLACEHOLDERS)}"']))
        prefix = "_".join(tk.words[:tk.venue_words]).upper()
        d.add(rng.choice([f'{prefix}_UID = "{rand_str(rng, "0123456789", 9)}"',
                          f'{prefix}_WALLET_ADDRESS = "0x{rand_str(rng, HEX, 40)}"',
                          f'{prefix}_ACCOUNT_ID = "{rand_str(rng, "0123456789", 7)}"',
                          f'{prefix}_LOGIN = "trader{rand_str(rng, "0123456789", 3)}@example.org"']))
    return "settings", "settings.py", d


# --- the corpus ----------------------------------------------------------------------------------------------
@dataclass
class Corpus:
    root: Path
    labels: List[Label] = field(default_factory=list)
    files: int = 0

    def positives(self) -> List[Label]:
        return [lab for lab in self.labels if lab.positive]

    def negative_files(self) -> Dict[str, str]:
        return {lab.file: lab.kind for lab in self.labels if not lab.positive}


def _write(corpus: Corpus, counter: List[int], name: str, doc: Doc, layout: str, negative: Optional[str]) -> None:
    counter[0] += 1
    rel = f"{negative or 'pos'}-{counter[0]:05d}/{name}"
    path = corpus.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc.text(), encoding="utf-8")
    corpus.files += 1
    if negative:
        corpus.labels.append(Label(rel, 1, len(doc.lines), negative, False, layout))
    else:
        for start, end, kind, needle in doc.marks:
            column = doc.lines[start - 1].find(needle) + 1 if needle and start == end else 0
            corpus.labels.append(Label(rel, start, end, kind, True, layout, column))


def generate(root: Path | str, seed: int = 1, per_kind: int = 40, per_negative: int | None = None,
             rule_exchanges: Sequence[str] = (), per_table_kind: int = 4) -> Corpus:
    """Write the labelled corpus under root: about per_kind samples of every positive kind, per_table_kind of each
    venue's and service's fields (bench/quality.py reports them together), and per_negative files of every
    negative type."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    corpus = Corpus(root)
    counter = [0]
    exchanges = exchanges_for(rule_exchanges)
    for ex in exchanges:
        made = {role: 0 for role in ex.roles}
        while min(made.values()) < per_kind:     # some files hold only part of a key set
            layout, name, doc = gen_exchange(rng, ex)
            _write(corpus, counter, name, doc, layout, None)
            for _start, _end, kind, _needle in doc.marks:
                made[kind.split("/", 1)[1]] += 1
    for kind, make in OTHER_POSITIVES.items():
        for _ in range(per_kind):
            layout, name, doc = make(rng)
            _write(corpus, counter, name, doc, layout, None)
    for tk in table_kinds():
        for _ in range(per_table_kind):
            layout, name, doc = gen_table(rng, tk)
            _write(corpus, counter, name, doc, layout, None)
    for neg, make in NEGATIVES.items():
        for _ in range(per_negative or per_kind):
            layout, name, doc = make(rng, exchanges)
            _write(corpus, counter, name, doc, layout, neg)
    extra = random.Random(f"{seed}-bot-extras")
    for kind in BOT_EXTRA_POSITIVES:
        for _ in range(per_kind):
            layout, name, doc = gen_bot_extra(extra, kind)
            _write(corpus, counter, name, doc, layout, None)
    for neg in BOT_EXTRA_NEGATIVES:
        for _ in range(per_negative or per_kind):
            layout, name, doc = neg_bot_extra(extra, neg)
            _write(corpus, counter, name, doc, layout, neg)
    return corpus


def write_labels(corpus: Corpus, path: Path | str) -> None:
    Path(path).write_text(json.dumps([asdict(lab) for lab in corpus.labels], indent=1), encoding="utf-8")
