"""Inputs of the performance benchmark: a seeded "typical commit" and N-fold copies of the real-world corpus.

Both live under bench/.cache (git-ignored) and are rebuilt only when missing. The copies are hard links where
the file system allows it (so 16 copies cost no disk and share the page cache: the benchmark measures the
scanner, not the disk), else real copies.
"""
from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

from crypto_key_guard.engine.examples import expand

COMMIT_FILES = 10
COMMIT_BYTES = 64 << 10

_NAMES = ["order", "balance", "ticker", "position", "signal", "candle", "trade", "market", "wallet", "account",
          "strategy", "risk", "fee", "spread", "funding", "leverage", "stoploss", "roi", "pair", "depth"]
_EXCHANGES = ["binance", "kraken", "okx", "bybit", "kucoin", "coinbase", "bitget", "gateio", "mexc", "htx"]


def _ident(rng: random.Random) -> str:
    return "_".join(rng.sample(_NAMES, 2))


def _py_line(rng: random.Random) -> str:
    a, b, ex = _ident(rng), _ident(rng), rng.choice(_EXCHANGES)
    return rng.choice([
        f"def {a}(self, symbol: str, amount: float, price: float | None = None) -> dict:",
        f"    order = self.exchange.create_order(symbol, 'limit', side, amount, price, params={{'{b}': True}})",
        f"    api_key = os.environ['{ex.upper()}_API_KEY']",
        f"    secret = os.getenv('{ex.upper()}_API_SECRET', '')",
        f"    self.{a} = ccxt.{ex}({{'apiKey': api_key, 'secret': secret, 'enableRateLimit': True}})",
        f"    logger.info('placed %s order %s on {ex}', side, order['id'])",
        f"    headers = {{'X-Auth-Token': self.token, 'Content-Type': 'application/json'}}",
        f"    {b} = Decimal(str(ticker['last'])) * Decimal('{rng.randint(1, 999)}.{rng.randint(0, 99)}')",
        f"    # refresh the {a.replace('_', ' ')} cache every {rng.randint(2, 60)} seconds",
        f"    if {a} is None or {b} < self.min_{b}:",
        f"        raise ValueError(f'{a}: missing key {{key!r}} for {{symbol}}')",
        f"    return {{'symbol': symbol, '{a}': {b}, 'timestamp': self.milliseconds()}}",
        "",
    ])


def _js_line(rng: random.Random) -> str:
    a, ex = _ident(rng), rng.choice(_EXCHANGES)
    return rng.choice([
        f"export async function {a}(symbol, amount) {{",
        f"  const exchange = new ccxt.{ex}({{ apiKey: process.env.{ex.upper()}_API_KEY, secret: process.env.{ex.upper()}_SECRET }});",
        f"  const {a} = await exchange.fetchTicker(symbol);",
        f"  logger.debug(`{a} ${{symbol}}: ${{JSON.stringify({a})}}`);",
        "  if (!token) { throw new Error('missing auth token'); }",
        "}",
        "",
    ])


def _config(rng: random.Random, secret_line: str | None, size: int) -> str:
    ex = rng.choice(_EXCHANGES)
    lines = ["{", '  "max_open_trades": %d,' % rng.randint(1, 9), '  "stake_currency": "USDT",',
             '  "dry_run": true,', '  "exchange": {', f'    "name": "{ex}",', '    "key": "",']
    if secret_line:
        lines.append("    " + secret_line + ",")
    lines += ['    "ccxt_config": {"enableRateLimit": true},',
              '    "pair_whitelist": [' + ", ".join(f'"{p}/USDT"' for p in rng.sample(
                  ["BTC", "ETH", "SOL", "XRP", "ADA", "DOT", "LINK", "AVAX", "ATOM", "LTC"], 6)) + "]", "  },"]
    i = 0
    while sum(len(x) + 1 for x in lines) < size - 40:
        lines.append(f'  "{_ident(rng)}_{i}": {rng.randint(0, 10000) / 100},')
        i += 1
    lines.append('  "bot_name": "' + _ident(rng) + '"')
    lines.append("}")
    return "\n".join(lines) + "\n"


def make_commit(directory: Path, seed: int = 5) -> list[Path]:
    """10 source files of about 64 KB in total, as a trading bot's commit looks, with two planted fake keys
    (a Binance secret in a module, a generic exchange secret in a config)."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    kinds = ["py"] * 5 + ["js"] * 2 + ["json"] * 2 + ["md"]
    per_file = COMMIT_BYTES // COMMIT_FILES
    paths = []
    for i, kind in enumerate(kinds):
        if kind == "json":
            plant = f'"secret": "{expand("{base64:44}", rng)}"' if i == 7 else None
            text = _config(rng, plant, per_file)
        else:
            make = {"py": _py_line, "js": _js_line}.get(kind)
            lines = [] if make else [f"# {_ident(rng)} notes", ""]
            if kind == "py":
                lines += ["import os", "from decimal import Decimal", "", "import ccxt", ""]
            while sum(len(x) + 1 for x in lines) < per_file:
                lines.append(make(rng) if make else
                             f"- set `{_ident(rng).upper()}` in your environment; never commit a key or secret.")
            if i == 2:
                lines.insert(len(lines) // 2, f'BINANCE_API_SECRET = "{expand("{alnum:64}", rng)}"')
            text = "\n".join(lines) + "\n"
        path = directory / f"{_ident(rng)}_{i}.{kind}"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _link_tree(src: Path, dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)

    def link(s: str, d: str) -> None:
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)
    shutil.copytree(src, tmp, symlinks=True, copy_function=link)
    tmp.rename(dst)


def scaled_tree(corpus: Path, root: Path, copies: int) -> Path:
    """root/xN holding N copies of the corpus (copy0 ... copyN-1), built once."""
    tree = root / f"x{copies}"
    if not tree.exists():
        tree.mkdir(parents=True)
        for i in range(copies):
            _link_tree(corpus, tree / f"copy{i}")
    return tree


def tree_bytes(tree: Path) -> tuple[int, int]:
    """(regular files, bytes) under tree, symlinks not followed: the denominator of every throughput."""
    files = size = 0
    for dirpath, _dirs, names in os.walk(tree):
        for name in names:
            st = os.lstat(os.path.join(dirpath, name))
            if not os.path.islink(os.path.join(dirpath, name)):
                files += 1
                size += st.st_size
    return files, size
