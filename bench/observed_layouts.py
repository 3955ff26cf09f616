"""The observed corpus: credential layouts as people write them in public code, kept apart from the generator.

bench/quality_corpus.py generates what this project expects; this file holds what was *seen*: each layout was
written down (in our own words, as a short structural template) after reading trading bots (ccxt, freqtrade,
hummingbot, jesse, OctoBot users), exchange SDK examples, web3 scripts, CI files, docs and notebooks in public
repositories (issue 14). A layout's `seen` note says what kind of project used it; nothing here was copied
from a file, and no layout was added or changed to suit a rule.

Templates: `[[Kind]]` plants a secret of that label kind (the quality bench's kinds: `Binance/secret`,
`eth-private-key`, `bip39-mnemonic`, ...) in its default shape (SHAPES, from ../shared/reference/key-formats.md);
`[[Kind:{hex:64}]]` gives the shape explicitly; `[[Kind|b64|json]]` transforms the value as written (FILTERS).
Anything else in `{alnum:64}` / `{uuid}` / `{eth_key}` form (crypto_key_guard.examples, plus LOCAL_GENERATORS)
is filled with seeded fakes too, without a label: negatives are written that way. Values are generated at run
time; this file holds no realistic secret.
"""
from __future__ import annotations

import base64
import json
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from quality_corpus import Corpus, Label, write_labels  # noqa: F401  (containers shared with the generated corpus)

from crypto_key_guard.engine.examples import ALPHABETS, expand, random_string


# --- value shapes per label kind (../shared/reference/key-formats.md) -----------------------------------------
SHAPES: Dict[str, str] = {
    "Binance/key": "{alnum:64}", "Binance/secret": "{alnum:64}",
    "Coinbase CDP/key-name": "organizations/{uuid}/apiKeys/{uuid}", "Coinbase CDP/pem": "{pem:EC PRIVATE KEY}",
    "Coinbase legacy/key": "{hex:32}", "Coinbase legacy/secret": "{base64:86}==",
    "Coinbase legacy/passphrase": "{lowalnum:14}",
    "Kraken/key": "{base64:56}", "Kraken/secret": "{base64:86}==",
    "OKX/key": "{uuid}", "OKX/secret": "{HEX:32}", "OKX/passphrase": "{passphrase}",
    "Bybit/key": "{alnum:18}", "Bybit/secret": "{alnum:36}",
    "KuCoin/key": "{hex:24}", "KuCoin/secret": "{uuid}", "KuCoin/passphrase": "{passphrase}",
    "Bitfinex/key": "{b64url:43}", "Bitfinex/secret": "{b64url:43}",
    "Gemini/key": "account-{alnum:20}", "Gemini/secret": "{base58:28}",
    "BitMEX/key": "{b64url:24}", "BitMEX/secret": "{b64url:48}",
    "Bitget/key": "bg_{hex:32}", "Bitget/secret": "{hex:64}", "Bitget/passphrase": "{passphrase}",
    "Gate.io/key": "{hex:32}", "Gate.io/secret": "{hex:64}",
    "HTX/key": "{hex:8}-{hex:8}-{hex:8}-{hex:5}", "HTX/secret": "{hex:8}-{hex:8}-{hex:8}-{hex:5}",
    "MEXC/key": "mx0{alnum:16}", "MEXC/secret": "{hex:32}",
    "Poloniex/key": "{upalnum:8}-{upalnum:8}-{upalnum:8}-{upalnum:8}", "Poloniex/secret": "{hex:128}",
    # venues seen in the wild that the generated corpus does not plant (closed or regional exchanges)
    "Bittrex/key": "{hex:32}", "Bittrex/secret": "{hex:32}",
    "FTX/key": "{b64url:40}", "FTX/secret": "{b64url:40}",
    "Upbit/key": "{alnum:40}", "Upbit/secret": "{alnum:40}",
    "CoinEx/key": "{HEX:32}", "CoinEx/secret": "{HEX:64}",
    "AscendEX/key": "{alnum:32}", "AscendEX/secret": "{alnum:64}",
    "eth-private-key": "{eth_key}", "wif": "{wif}", "xprv": "{xprv}", "bip39-mnemonic": "{mnemonic:12}",
    "solana-keypair": "{solana_keypair}", "telegram-bot-token": "{telegram}", "infura": "{hex:32}",
    "alchemy": "{b64url:32}", "etherscan": "{upalnum:34}", "quicknode": "{hex:40}", "moralis": "{alnum:64}",
    "private-key-pem": "{pem:RSA PRIVATE KEY}", "generic-credential": "{alnum:40}",
    # what else a bot's repository holds (issue 21.4)
    "proxy-url-password": "{alnum:14}", "http-basic-auth": "{basic_auth}", "exchange-bearer-token": "{b64url:48}",
    "jwt-credential": "{jwt}", "pem-truncated": "{pem_cut:RSA PRIVATE KEY}", "octobot-fernet": "{fernet:64}",
    "sui-private-key": "{sui_privkey}", "aptos-private-key": "0x{hex:64}", "cosmos-mnemonic": "{mnemonic:24}",
    "notification": "{b64url:22}", "coveralls": "{alnum:32}",
    # venues and services of patterns/venues.yaml and services.yaml (kinds as the generated corpus names them)
    "venue=hyperliquid/privateKey": "0x{hex:64}", "venue=polymarket/privateKey": "0x{hex:64}",
    "venue=polymarket/apiKey": "{uuid}", "venue=polymarket/secret": "{b64url:43}=",
    "venue=polymarket/password": "{hex:64}", "venue=lighter/privateKey": "{hex:80}",
    "venue=dydx/mnemonic": "{mnemonic:24}", "venue=dydx/starkPrivateKey": "0x{hex:63}",
    "venue=paradex/starkPrivateKey": "0x{hex:63}", "venue=alpaca/apiKey": "PK{upalnum:18}",
    "venue=alpaca/secret": "{alnum:40}", "venue=backpack/apiKey": "{base64:43}=",
    "venue=backpack/secret": "{base64:43}=", "service=coinmarketcap/api_key": "{uuid}",
    "service=coingecko/api_key": "CG-{alnum:24}", "service=cryptocompare/api_key": "{hex:64}",
}


# --- generators this corpus needs beyond crypto_key_guard.examples ---------------------------------------------
def _pem(rng: random.Random, header: Optional[str]) -> str:
    header = header or "PRIVATE KEY"
    prefix = {"EC PRIVATE KEY": "MHcCAQEEI", "RSA PRIVATE KEY": "MIIEowIBAAKCAQEA",
              "PRIVATE KEY": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "OPENSSH PRIVATE KEY": "b3BlbnNzaC1rZXktdjEAAAAA"}
    lines = {"EC PRIVATE KEY": 3, "RSA PRIVATE KEY": 25, "OPENSSH PRIVATE KEY": 7}.get(header, 26)
    body = prefix.get(header, "MII") + random_string(rng, ALPHABETS["base64"], 64 * lines - 30)
    body += "=" * ((4 - len(body) % 4) % 4)
    return f"-----BEGIN {header}-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64)) + \
        f"\n-----END {header}-----"


def _pem_cut(rng: random.Random, header: Optional[str]) -> str:
    """A PEM block cut off after a few body lines (a paste or a size limit ate the rest)."""
    lines = _pem(rng, header).split("\n")
    return "\n".join(lines[:rng.randint(3, 6)])


def _telegram(rng: random.Random, _arg: Optional[str]) -> str:
    return f"{rng.randint(10**8, 10**10 - 1)}:AA{random_string(rng, ALPHABETS['b64url'], 33)}"


def _passphrase(rng: random.Random, _arg: Optional[str]) -> str:
    words = ["Falcon", "river", "Orbit", "maple", "Quartz", "tiger", "Nova", "cedar", "Harbor", "lunar"]
    return rng.choice(words) + rng.choice(["-", "_", ""]) + rng.choice(words) + str(rng.randint(10, 9999)) + \
        rng.choice(["!", "#", ""])


def _eth_address(rng: random.Random, _arg: Optional[str]) -> str:
    return "0x" + random_string(rng, "0123456789abcdefABCDEF", 40)


def _hardhat_key(_rng: random.Random, arg: Optional[str]) -> str:
    """The public hardhat/anvil accounts, derived from their documented mnemonic (bench/quality_values.py)."""
    import quality_values

    return quality_values.hardhat_private_keys()[int(arg or 0)]


def _public_vector(_rng: random.Random, arg: Optional[str]) -> str:
    import quality_values

    return {"bip39": quality_values.public_bip39_vector, "hardhat_mnemonic": quality_values.hardhat_mnemonic,
            "bip32": quality_values.bip32_vector1_xprv, "wif": quality_values.bitcoin_wiki_wif,
            "binance_key": lambda: quality_values.binance_docs_example()[0],
            "binance_secret": lambda: quality_values.binance_docs_example()[1]}[arg or "bip39"]()


def _pubkey_hex(rng: random.Random, _arg: Optional[str]) -> str:
    return "04" + random_string(rng, ALPHABETS["hex"], 128)


def _counting(_rng: random.Random, _arg: Optional[str]) -> str:
    return "1234567890abcdef" * 4


def _base58_public(rng: random.Random, arg: Optional[str]) -> str:
    """A Solana public key (32 bytes) or, with arg 'btc', a Bitcoin P2PKH address: public, never secret."""
    import quality_values

    return quality_values.btc_address(rng) if arg == "btc" else quality_values.solana_pubkey(rng)


LOCAL_GENERATORS: Dict[str, Callable[[random.Random, Optional[str]], str]] = {
    "pem": _pem, "telegram": _telegram, "passphrase": _passphrase, "eth_address": _eth_address,
    "hardhat_key": _hardhat_key, "public_vector": _public_vector, "pubkey_hex": _pubkey_hex,
    "base58_public": _base58_public, "counting": _counting, "pem_cut": _pem_cut,
}
_SLOT = re.compile(r"\{([A-Za-z0-9_]+)(?::([^{}]*))?\}")


# `{~}` renders as nothing: it splits a credential word in a negative's template, so that this file's own lines
# do not look like what they describe when the repository scans itself (the rendered file is unchanged)
NOTHING = "{~}"


def fill(template: str, rng: random.Random) -> str:
    """Fill local generator slots, then every crypto_key_guard.examples slot."""
    def local(m: re.Match) -> str:
        gen = LOCAL_GENERATORS.get(m.group(1))
        return gen(rng, m.group(2)) if gen else m.group(0)
    return expand(_SLOT.sub(local, template), rng)


# --- transformations of a planted value as it is written ------------------------------------------------------
def _pieces(value: str, n: int = 3) -> List[str]:
    step = -(-len(value) // n)
    return [value[i:i + step] for i in range(0, len(value), step)]


def _pieces_of(value: str, width: int) -> List[str]:
    return [value[i:i + width] for i in range(0, len(value), width)]


def _words(value: str) -> List[str]:
    return value.split()


def _columns2(value: str) -> str:
    """A paper backup: two numbered columns (1..n/2 left, the rest right)."""
    words = _words(value)
    half = (len(words) + 1) // 2
    rows = []
    for i in range(half):
        left = f"{i + 1:>2}. {words[i]}"
        right = f"{i + half + 1:>2}. {words[i + half]}" if i + half < len(words) else ""
        rows.append(f"{left:<18}{right}".rstrip())
    return "\n".join(rows)


FILTERS: Dict[str, Callable[[str], str]] = {
    "b64": lambda v: base64.b64encode(v.encode()).decode(),
    "json": lambda v: json.dumps(v)[1:-1],                        # JSON-escaped, without the quotes
    "jslash": lambda v: v.replace("/", "\\/"),                    # PHP json_encode style \/
    "escaped_nl": lambda v: v.replace("\n", "\\n"),
    "upper": str.upper, "lower": str.lower,
    "title": lambda v: " ".join(w.capitalize() for w in _words(v)),
    "dashes": lambda v: "-".join(_words(v)),
    "underscores": lambda v: "_".join(_words(v)),
    "commas": lambda v: ", ".join(_words(v)),
    "lines": lambda v: "\n".join(_words(v)),
    "numbered_inline": lambda v: " ".join(f"{i}. {w}" for i, w in enumerate(_words(v), 1)),
    "numbered_paren": lambda v: "\n".join(f"{i}) {w}" for i, w in enumerate(_words(v), 1)),
    "numbered_lines": lambda v: "\n".join(f"{i}. {w}" for i, w in enumerate(_words(v), 1)),
    "columns2": _columns2,
    "mdtable": lambda v: "\n".join(f"| {i} | {w} |" for i, w in enumerate(_words(v), 1)),
    "mdtable_wide": lambda v: "\n".join("| " + " | ".join(_words(v)[i:i + 4]) + " |" for i in range(0, len(_words(v)), 4)),
    "quoted_words": lambda v: ", ".join(f'"{w}"' for w in _words(v)),
    # concatenated pieces across lines, as formatters wrap long literals
    "concat_py": lambda v: "\n    ".join(f'"{p}"' for p in _pieces(v)),
    "concat_plus": lambda v: " +\n    ".join(f"'{p}'" for p in _pieces(v)),
    "concat_plus_dq": lambda v: " +\n        ".join(f'"{p}"' for p in _pieces(v)),
    "pem_lines_plus": lambda v: " +\n    ".join(f"'{line}\\n'" for line in v.split("\n")),
    "indent2": lambda v: v.replace("\n", "\n  "), "indent4": lambda v: v.replace("\n", "\n    "),
    "indent6": lambda v: v.replace("\n", "\n      "), "indent8": lambda v: v.replace("\n", "\n        "),
    "b64_mime": lambda v: "\\n".join(_pieces_of(base64.b64encode(v.encode()).decode(), 60)),
    "strip0x": lambda v: v[2:] if v.startswith("0x") else v,
}


# --- layouts --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    id: str
    family: str          # positives: suffix-affix, credential-words, env-fallback, lists-maps, syntax:<x>, encoded,
    #                      notebook, signer, mnemonic-variant, plain; negatives: neg:<type>
    file: str            # the file name it is written in (extension and name matter)
    template: str
    seen: str            # the kind of project it was seen in

    @property
    def negative(self) -> bool:
        return self.family.startswith("neg:")

    @property
    def top_family(self) -> str:
        return self.family.split(":")[0] if self.family.startswith("syntax:") else self.family

    def kinds(self) -> List[str]:
        kinds = (m.group(1).split("|")[0].partition(":")[0] for m in _PLANT.finditer(self.template))
        return [kind for kind in kinds if kind in SHAPES]


_PLANT = re.compile(r"\[\[(.+?)\]\]", re.S)

P = Layout    # a positive layout: one or more [[Kind]] slots
N = Layout    # a negative layout: no slot; family neg:<type>


@dataclass
class Planted:
    kind: str
    value: str           # the value as written in the file (after filters)
    start: int = 0
    end: int = 0
    column: int = 0


def render(layout: Layout, rng: random.Random) -> Tuple[str, List[Planted]]:
    """The file's text and where each planted value sits in it."""
    planted: List[Planted] = []
    markers: List[str] = []

    def plant(m: re.Match) -> str:
        head, *filters = m.group(1).split("|")
        kind, _, shape = head.partition(":")
        if kind not in SHAPES:   # TOML's [[array.of.tables]], not a slot
            return m.group(0)
        value = fill(shape or SHAPES[kind], rng)
        for name in filters:
            value = FILTERS[name](value)
        planted.append(Planted(kind, value))
        markers.append(f"\x00{len(markers)}\x00")
        return markers[-1]

    text = fill(_PLANT.sub(plant, layout.template), rng).replace(NOTHING, "")
    for marker, p in zip(markers, planted):
        text = text.replace(marker, p.value, 1)
    if layout.file.endswith(".ipynb"):
        text = notebook(text)
    _locate(text, planted)
    return text, planted


def _locate(text: str, planted: List[Planted]) -> None:
    pos = 0
    for p in planted:
        for form in (p.value, json.dumps(p.value)[1:-1]):
            at = text.find(form, pos)
            if at < 0:
                at = text.find(form)
            if at >= 0:
                break
        else:
            raise ValueError(f"planted value not found in the rendered text ({p.kind})")
        p.start = text.count("\n", 0, at) + 1
        p.end = p.start + form.count("\n")
        p.column = at - (text.rfind("\n", 0, at) + 1) + 1 if p.start == p.end else 0
        pos = at + len(form)


def missing_values(planted: Sequence[Planted], found: Iterable[Tuple[int, int]]) -> List[Planted]:
    """The planted values no finding accounts for; found holds (line, column) of each finding. A finding that
    starts where a value starts is that value's; otherwise any unused finding within its lines (narrow first),
    as bench/quality.py matches them."""
    pool = sorted(found)
    used: set = set()
    owner: Dict[int, int] = {}
    for i, p in enumerate(planted):
        j = next((j for j, f in enumerate(pool) if j not in used and p.column and f == (p.start, p.column)), None)
        if j is not None:
            owner[i] = j
            used.add(j)
    missing = []
    for i, p in sorted(enumerate(planted), key=lambda ip: (ip[1].end - ip[1].start, ip[1].start)):
        if i in owner:
            continue
        j = next((j for j, f in enumerate(pool) if j not in used and p.start <= f[0] <= p.end), None)
        if j is None:
            missing.append(p)
        else:
            used.add(j)
    return missing


def notebook(text: str) -> str:
    """A notebook from '%% code' / '%% markdown' / '%% output <type>' sections (outputs follow their cell)."""
    cells: List[dict] = []
    for block in re.split(r"^%% ", text.strip("\n"), flags=re.M):
        if not block.strip():
            continue
        head, _, body = block.partition("\n")
        lines = body.rstrip("\n").split("\n")
        source = [line + "\n" for line in lines[:-1]] + lines[-1:]
        kind, *rest = head.split()
        if kind == "output":
            out_type = rest[0] if rest else "stream"
            if out_type == "stream":
                cells[-1]["outputs"].append({"name": "stdout", "output_type": "stream", "text": source})
            else:
                cells[-1]["outputs"].append({"data": {"text/plain": source}, "execution_count": len(cells),
                                             "metadata": {}, "output_type": "execute_result"})
        elif kind == "code":
            cells.append({"cell_type": "code", "execution_count": len(cells) + 1, "metadata": {}, "outputs": [],
                          "source": source})
        else:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": source})
    doc = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                       "name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=1) + "\n"


def layouts(family: Optional[str] = None, negative: Optional[bool] = None) -> List[Layout]:
    return [lay for lay in LAYOUTS if (family is None or lay.family == family or lay.top_family == family)
            and (negative is None or lay.negative == negative)]


# --- the corpus on disk, labelled as bench/quality_corpus.py labels its own (same Label and Corpus) --------------
# (only the containers are shared: no layout or value of the generated corpus is used here)
def family_of(layout_id: str) -> str:
    return _BY_ID[layout_id].family


def seed_for(layout_id: str, seed: int = 1) -> random.Random:
    """Each layout's values depend only on its id and the seed (adding a layout changes no other one)."""
    return random.Random(f"{seed}:{layout_id}")


def generate(root: Path | str, seed: int = 1, selected: Optional[Iterable[Layout]] = None) -> Corpus:
    """Write every layout (or the selected ones) under root/<id>/<file>; labels: one per planted value, and
    one per negative file whose kind is its negative type (neg:<type>)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root)
    for lay in selected if selected is not None else LAYOUTS:
        text, planted = render(lay, seed_for(lay.id, seed))
        rel = f"{lay.id}/{lay.file}"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        corpus.files += 1
        if lay.negative:
            corpus.labels.append(Label(rel, 1, text.count("\n") + 1, lay.family, False, lay.id))
        for p in planted:
            corpus.labels.append(Label(rel, p.start, p.end, p.kind, True, lay.id, p.column))
    return corpus


def by_family(corpus: Corpus, matched: dict) -> Dict[str, dict]:
    """Per family: planted values found, layouts with every value found; per negative type: files, findings,
    files flagged. From bench/quality.py's match() result."""
    missed = Counter((m["file"], m["line"]) for m in matched["misses"])
    rows: Dict[str, dict] = defaultdict(lambda: {"layouts": 0, "values": 0, "found": 0, "layouts_found": 0})
    per_layout: Dict[Tuple[str, str], List[bool]] = defaultdict(list)
    for lab in corpus.positives():
        hit = missed[(lab.file, lab.start)] == 0
        if not hit:
            missed[(lab.file, lab.start)] -= 1
        family = family_of(lab.layout)
        per_layout[(family, lab.layout)].append(hit)
        rows[family]["values"] += 1
        rows[family]["found"] += hit
    for (family, _lay), hits in per_layout.items():
        rows[family]["layouts"] += 1
        rows[family]["layouts_found"] += all(hits)
    for neg, fp in matched["fp"].items():
        rows[neg] = {"layouts": fp["files"], "findings": fp["findings"], "files_flagged": fp["files_flagged"]}
    return dict(rows)


def missed_layouts(corpus: Corpus, matched: dict) -> List[str]:
    """Ids of positive layouts with at least one planted value not found."""
    missed = {(m["file"], m["line"]) for m in matched["misses"]}
    return sorted({lab.layout for lab in corpus.positives() if (lab.file, lab.start) in missed})


def flagged_negatives(corpus: Corpus, matched: dict) -> List[str]:
    files = {f["file"] for f in matched["fp_list"]}
    return sorted({lab.layout for lab in corpus.labels if not lab.positive and lab.file in files})


def family_counts(items: Sequence[Layout] = ()) -> Dict[str, int]:
    return dict(Counter(lay.family for lay in (items or LAYOUTS)))


# ==============================================================================================================
# The layouts. Each was seen in public code (the `seen` note says where, by kind of project); templates are
# our own short rewrites of the structure, values are planted at run time.
# ==============================================================================================================
SUFFIX_AFFIX: List[Layout] = [
    P("sfx-env-prod", "suffix-affix", ".env", """\
BINANCE_API_KEY_PAPER=
BINANCE_API_SECRET_PAPER=
BINANCE_API_KEY_PROD=[[Binance/key]]
BINANCE_API_SECRET_PROD=[[Binance/secret]]
""", "futures bot .env with a paper and a prod key pair"),
    P("sfx-go-const-prod", "suffix-affix", "internal/config/keys.go", """\
package config

const (
\tBYBIT_BASE_URL_PROD   = "https://api.bybit.com"
\tBYBIT_API_KEY_PROD    = "[[Bybit/key]]"
\tBYBIT_SECRET_PROD     = "[[Bybit/secret]]"
\tBINANCE_API_KEY_PROD  = "[[Binance/key]]"
\tBINANCE_SECRET_PROD   = "[[Binance/secret]]"
)
""", "Go arbitrage bot: aligned const block of per-venue, per-environment keys"),
    P("sfx-kubectl-from-literal", "suffix-affix", "deploy/create-secrets.sh", """\
kubectl create secret generic rbs-secrets \\
  --from-literal=RBS_BINANCE_API_KEY_PROD='[[Binance/key]]' \\
  --from-literal=RBS_BINANCE_SECRET_KEY_PROD='[[Binance/secret]]' \\
  --from-literal=POSTGRES_DATABASE='rbsdb'
""", "Django trading service: deployment notes creating a Kubernetes secret from literals"),
    P("sfx-numbered-accounts", "suffix-affix", ".env", """\
# account 1
BINANCE_API_KEY_1=[[Binance/key]]
BINANCE_API_SECRET_1=[[Binance/secret]]
# account 2
BINANCE_API_KEY_2=[[Binance/key]]
BINANCE_API_SECRET_2=[[Binance/secret]]
""", "multi-account copy-trading bot .env"),
    P("sfx-kraken-live", "suffix-affix", "settings.py", """\
KRAKEN_API_KEY_LIVE = "[[Kraken/key]]"
KRAKEN_API_SECRET_LIVE = "[[Kraken/secret]]"
KRAKEN_API_KEY_DEMO = ""
""", "Kraken futures bot settings with live/demo pairs"),
    P("sfx-bybit-main", "suffix-affix", ".env.local", """\
BYBIT_API_KEY_MAIN=[[Bybit/key]]
BYBIT_API_SECRET_MAIN=[[Bybit/secret]]
BYBIT_API_KEY_SUB=
""", "Bybit main/sub-account grid bot"),
    P("sfx-private-key-mainnet", "suffix-affix", ".env", """\
PRIVATE_KEY_TESTNET=
PRIVATE_KEY_MAINNET=[[eth-private-key:0x{eth_key}]]
RPC_URL_MAINNET=https://eth.llamarpc.com
""", "hardhat project with a deployer key per network"),
    P("sfx-json-section-main", "suffix-affix", "accounts.json", """\
{
  "binance_main": {
    "api_key_main": "[[Binance/key]]",
    "api_secret_main": "[[Binance/secret]]"
  }
}
""", "multi-account JSON (issue 14's own example; the shape recurs in copy-trading bots)"),
    P("sfx-class-attr-main", "suffix-affix", "config.py", """\
class Settings:
    bot_token = ''
    okx_api_key_main = '[[OKX/key]]'
    okx_secret_key_main = '[[OKX/secret]]'
    okx_passphrase_main = '[[OKX/passphrase]]'
""", "OKX withdrawal/airdrop script: config class with _main suffixed fields"),
    P("sfx-venue-as-suffix", "suffix-affix", "coinex_keys.env", """\
API_KEY_COINEX=[[CoinEx/key]]
API_SECRET_COINEX=[[CoinEx/secret]]
""", "ML trading runner reading ~/.ssh/<venue>_keys.env with the venue as a suffix"),
    P("sfx-master-futures-test", "suffix-affix", "keys.py", """\
binance_master_api_key = "[[Binance/key]]"
binance_master_api_secret = "[[Binance/secret]]"
binance_futures_test_api_secret = "[[Binance/secret]]"
upbit_api_key = "[[Upbit/key]]"
""", "Korean multi-exchange bot: master/test/futures variants in one module"),
    P("sfx-prefix-testnet", "suffix-affix", ".env", """\
TEST_BYBIT_API_KEY=[[Bybit/key]]
TEST_BYBIT_API_SECRET=[[Bybit/secret]]
TEST_URL=https://api-testnet.bybit.com
""", "TypeScript liquidation bot .env (TEST_ prefix before the venue)"),
    P("sfx-jesse-market-infix", "suffix-affix", ".env", """\
BINANCE_PERPETUAL_FUTURES_API_KEY=[[Binance/key]]
BINANCE_PERPETUAL_FUTURES_API_SECRET=[[Binance/secret]]
""", "jesse live-trading .env (market type between venue and credential word)"),
    P("sfx-ccxt-id-prefix", "suffix-affix", ".env", """\
BINANCEUSDM_APIKEY=[[Binance/key]]
BINANCEUSDM_SECRET=[[Binance/secret]]
KRAKENFUTURES_APIKEY=[[Kraken/key]]
""", "ccxt-style <EXCHANGEID>_APIKEY names with a ccxt id that extends the venue word"),
    P("sfx-abbreviated-venue", "suffix-affix", ".env", """\
BN_API_KEY=[[Binance/key]]
BN_API_SECRET_KEY=[[Binance/secret]]
""", "Rails app with a Binance client reading BN_* variables"),
    P("sfx-split-venue-word", "suffix-affix", ".env", """\
BY_BIT_API_KEY=[[Bybit/key]]
BIT_API_SECRET=[[Bybit/secret]]
""", "TypeScript bot config reading BY_BIT_API_KEY / BIT_API_SECRET"),
    P("sfx-market-sections", "suffix-affix", "exchange_keys.py", """\
EXCHANGE_CONFIGS = {
    'binance_spot': {
        'api_key': '[[Binance/key]]',
        'secret': '[[Binance/secret]]',
        'market_type': 'spot',
    },
    'binance_perp': {
        'api_key': '[[Binance/key]]',
        'secret': '[[Binance/secret]]',
    },
}
""", "arbitrage bot: per-market sections whose names extend the venue"),
    P("sfx-person-suffix", "suffix-affix", "src/client.js", """\
const Binance = require('us-binance-api-node').default
const API_KEY_PHIL = '[[Binance/key]]'
const API_SECRET_PHIL = '[[Binance/secret]]'
const client = Binance({ apiKey: API_KEY_PHIL, apiSecret: API_SECRET_PHIL })
""", "Binance.US node bot with per-person key constants"),
    P("sfx-ro-apikey", "suffix-affix", "scripts/ftx-ro.env", """\
FTX_RO_APIKEY=[[FTX/key]]
FTX_RO_APISECRET=[[FTX/secret]]
""", "TypeScript trading tool: read-only key pair for a second venue"),
    P("sfx-infura-main", "suffix-affix", "settings.py", """\
INFURA_API_KEY_MAIN = "[[infura]]"
TWILIO_SID = "AC"
""", "Heroku-hosted alert app reading its config vars"),
    P("sfx-live-prefix", "suffix-affix", ".env", """\
LIVE_API_KEY=[[Binance/key]]
LIVE_SECRET_KEY=[[Binance/secret]]
EXCHANGE=binance
""", "Go signal bot README: LIVE_ prefixed keys, venue on another line"),
]

CREDENTIAL_WORDS: List[Layout] = [
    P("cw-bittrex-token", "credential-words", "bot.py", """\
bittrex_token = "[[Bittrex/key]]"
bittrex_secret = "[[Bittrex/secret]]"
""", "old Bittrex strategy worker"),
    P("cw-kucoin-token-camel", "credential-words", "src/kucoin.js", """\
let kucoinToken = '[[KuCoin/key]]';
let kucoinTokenTs = Date.now();
""", "KuCoin websocket helper (token naming)"),
    P("cw-coinbase-token", "credential-words", ".env", """\
COINBASE_TOKEN=[[Coinbase legacy/key]]
COINBASE_SECRET=[[Coinbase legacy/secret]]
""", "Coinbase portfolio tracker .env"),
    P("cw-okx-pass", "credential-words", "okx_bot.py", """\
okx_key = "[[OKX/key]]"
okx_secret = "[[OKX/secret]]"
okx_pass = "[[OKX/passphrase]]"
""", "OKX sniping script (short credential words)"),
    P("cw-venue-auth", "credential-words", "config.yaml", """\
bitfinex_auth: {key: "[[Bitfinex/key]]", secret: "[[Bitfinex/secret]]"}
""", "Bitfinex market maker config"),
    P("cw-venue-credentials-ts", "credential-words", "src/private/binance-api-credentials.ts", """\
export const binanceApiCredentials: BinanceApiCredentials = {
  apiKey: "[[Binance/key]]",
  secretKey: "[[Binance/secret]]",
}
""", "algo-trading framework sample: a typed credentials object"),
    P("cw-public-private-key", "credential-words", ".env", """\
BINANCE_PUBLIC_KEY=[[Binance/key]]
BINANCE_PRIVATE_KEY=[[Binance/secret]]
""", "Binance bot README: api key and secret named public/private key"),
    P("cw-node-binance-options", "credential-words", "services/client.js", """\
const Binance = require('node-binance-api')
const client = new Binance().options({
    APIKEY: '[[Binance/key]]',
    APISECRET: '[[Binance/secret]]'
})
""", "node-binance-api futures bot"),
    P("cw-access-key-htx", "credential-words", "huobi.ini", """\
[huobi]
access_key = [[HTX/key]]
secret_key = [[HTX/secret]]
""", "Huobi SDK users' INI (access_key naming)"),
    P("cw-app-key", "credential-words", "otl/settings.py", """\
class Settings(BaseSettings):
    binance_app_key: str = "[[Binance/key]]"
    binance_app_secret: str = "[[Binance/secret]]"
""", "trading library settings (app_key naming)"),
    P("cw-kraken-private-key", "credential-words", ".env", """\
KRAKEN_API_KEY=[[Kraken/key]]
KRAKEN_PRIVATE_KEY=[[Kraken/secret]]
""", "Kraken script README: Kraken calls the secret a 'private key'"),
    P("cw-signing-key", "credential-words", "settings.toml", """\
rpc_url = "https://arb1.arbitrum.io/rpc"
signing_key = "[[eth-private-key]]"
""", "Rust keeper bot settings (signing_key naming)"),
    P("cw-pvtkey", "credential-words", ".env", """\
PVTKEY=[[eth-private-key:0x{eth_key}]]
URL=https://rpc.sepolia.org
""", "NFT marketplace hardhat .env (PVTKEY naming)"),
    P("cw-nodekey", "credential-words", "docker/.env", """\
VAL1_NODEKEY=[[eth-private-key]]
VAL2_NODEKEY=[[eth-private-key]]
""", "private chain validators' node keys, reused as wallet keys by scripts"),
    P("cw-wallet-seed", "credential-words", ".env", """\
WALLET_SEED="[[bip39-mnemonic]]"
""", "wallet faucet .env (seed naming)"),
    P("cw-pk-short", "credential-words", "scripts/transfer.py", """\
acc0 = "{eth_address}"
acc0_pk = "[[eth-private-key:0x{eth_key}]]"
""", "web3.py transfer demo (acc0_pk naming)"),
    P("cw-tg-bot-token-short", "credential-words", "notify.py", """\
TG_TOKEN = "[[telegram-bot-token]]"
CHAT_ID = -1001234567
""", "arbitrage notifier (TG_TOKEN)"),
]

ENV_FALLBACK: List[Layout] = [
    P("fb-py-or", "env-fallback", "config.py", """\
import os
BINANCE_API_KEY = os.getenv("BINANCE_API_KEY") or "[[Binance/key]]"
BINANCE_API_SECRET = os.getenv("BINANCE_API_SECRET") or "[[Binance/secret]]"
""", "Python bot config falling back to literals"),
    P("fb-py-get-default-wrapped", "env-fallback", "config/staging.py", """\
import os

BINANCE_API_KEY = os.environ.get(
    "BINANCE_KEY", "[[Binance/key]]"
)
BINANCE_API_SECRET = os.environ.get(
    "BINANCE_SECRET", "[[Binance/secret]]"
)
""", "arbitrage bot staging config, black-formatted default on its own line"),
    P("fb-py-getenv-default", "env-fallback", "okx_client.py", """\
OKX_API_SECRET = os.getenv("OKX_API_SECRET", "[[OKX/secret]]")
OKX_PASSPHRASE = os.getenv("OKX_PASSPHRASE", "[[OKX/passphrase]]")
""", "OKX MCP server config"),
    P("fb-js-or", "env-fallback", "src/config.js", """\
module.exports = {
  apiKey: process.env.BYBIT_API_KEY || '[[Bybit/key]]',
  apiSecret: process.env.BYBIT_API_SECRET || '[[Bybit/secret]]',
};
""", "Bybit node bot config"),
    P("fb-js-nullish", "env-fallback", "src/kucoin.ts", """\
const secret = process.env.KUCOIN_API_SECRET ?? '[[KuCoin/secret]]';
const passphrase = process.env.KUCOIN_PASSPHRASE ?? '[[KuCoin/passphrase]]';
""", "KuCoin TypeScript client"),
    P("fb-ts-nonnull-or", "env-fallback", "src/config/config.ts", """\
export const Configs = {
  key: process.env.TEST_BYBIT_API_KEY! || "[[Bybit/key]]",
  secret: process.env.TEST_BYBIT_API_SECRET! || "[[Bybit/secret]]",
};
""", "liquidation bot config (non-null assertion before ||)"),
    P("fb-hardhat-multiline", "env-fallback", "hardhat.config.js", """\
module.exports = {
  networks: {
    hardhat: {
      accounts: [
        {
          privateKey:
            process.env.PRIVATE_KEY ||
            '[[eth-private-key:0x{eth_key}]]',
          balance: '10000000000000000000000',
        },
      ],
    },
  },
}
""", "oracle adapters monorepo hardhat config (fallback on its own line)"),
    P("fb-truffle-mnemonic", "env-fallback", "truffle-config.js", """\
const HDWalletProvider = require("truffle-hdwallet-provider")
const mnemonic = process.env.MNEMONIC || '[[bip39-mnemonic]]'
""", "truffle project config"),
    P("fb-shell-default", "env-fallback", "run.sh", """\
#!/bin/sh
export BINANCE_API_KEY="${BINANCE_API_KEY:-[[Binance/key]]}"
export BINANCE_API_SECRET="${BINANCE_API_SECRET:-[[Binance/secret]]}"
exec python3 bot.py
""", "bot start script with parameter-expansion defaults"),
    P("fb-compose-default", "env-fallback", "docker-compose.yml", """\
services:
  bot:
    image: bot:latest
    environment:
      - KRAKEN_API_KEY=${KRAKEN_API_KEY:-[[Kraken/key]]}
      - KRAKEN_API_SECRET=${KRAKEN_API_SECRET:-[[Kraken/secret]]}
""", "compose file with defaults in variable substitution"),
    P("fb-pydantic-field-default", "env-fallback", "app/settings.py", """\
class Settings(BaseSettings):
    env: str = Field(default="development", alias="ENV")
    binance_api_key: str | None = Field(default="[[Binance/key]]", alias="BINANCE_API_KEY")
    binance_api_secret: str | None = Field(default="[[Binance/secret]]", alias="BINANCE_API_SECRET")
""", "FastAPI trading backend settings"),
    P("fb-pydantic-secretstr-prefix", "env-fallback", "exchange_config.py", """\
class BinanceConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BINANCE_")

    api_key: SecretStr = SecretStr("[[Binance/key]]")
    api_secret: SecretStr = SecretStr("[[Binance/secret]]")
""", "trading framework: venue only in the class name and env_prefix"),
    P("fb-argparse-default", "env-fallback", "cli.py", """\
parser = argparse.ArgumentParser(description="binance futures bot")
parser.add_argument("--api-key", default="[[Binance/key]]")
parser.add_argument("--api-secret", default="[[Binance/secret]]")
""", "command-line bot with literal argparse defaults"),
    P("fb-click-default", "env-fallback", "kraken_cli.py", """\
@click.command()
@click.option("--key", envvar="KRAKEN_API_KEY", default="[[Kraken/key]]")
@click.option("--secret", envvar="KRAKEN_API_SECRET", default="[[Kraken/secret]]")
def main(key, secret):
    pass
""", "click CLI with envvar plus literal default"),
    P("fb-js-if-unset", "env-fallback", "hardhat.config.js", """\
let pkey = process.env.PRIVATE_KEY;
if (!pkey) {
  pkey = "[[eth-private-key:0x{eth_key}]]";
}
""", "hardhat-deploy project: literal assigned when the variable is unset"),
    P("fb-defaults-map", "env-fallback", "keys.py", """\
DEFAULT_API_KEYS = {
    "KRAKEN_API_KEY": "[[Kraken/key]]",
    "KRAKEN_API_SECRET": "[[Kraken/secret]]",
}


def resolve_api_key(name):
    return os.getenv(name) or DEFAULT_API_KEYS.get(name)
""", "market-data helper: bundled defaults keyed by env variable name"),
    P("fb-go-getenv-if-empty", "env-fallback", "main.go", """\
apiKey := os.Getenv("BINANCE_API_KEY")
if apiKey == "" {
\tapiKey = "[[Binance/key]]"
}
""", "Go Binance bot"),
    P("fb-rust-unwrap-or", "env-fallback", "src/wallet.rs", """\
let key = std::env::var("PRIVATE_KEY")
    .unwrap_or_else(|_| "[[eth-private-key]]".to_string());
""", "Rust MEV/keeper bot"),
    P("fb-ruby-fetch", "env-fallback", "config/initializers/kraken.rb", """\
KRAKEN_SECRET = ENV.fetch("KRAKEN_API_SECRET", "[[Kraken/secret]]")
""", "Rails portfolio app"),
    P("fb-java-getordefault", "env-fallback", "src/main/java/bot/Keys.java", """\
public static final String SECRET_KEY =
        System.getenv().getOrDefault("BINANCE_SECRET_KEY", "[[Binance/secret]]");
""", "Java Binance connector example adapted by users"),
    P("fb-php-elvis", "env-fallback", "config.php", """\
$apiKey = getenv('BINANCE_API_KEY') ?: '[[Binance/key]]';
$apiSecret = getenv('BINANCE_API_SECRET') ?: '[[Binance/secret]]';
""", "PHP Binance bot"),
    P("fb-csharp-coalesce", "env-fallback", "Binance/BinanceConfiguration.cs", """\
Secret = AppConfigLoader.Instance.AppSettings("BinanceSecret") ?? "[[Binance/secret]]",
Key = AppConfigLoader.Instance.AppSettings("BinanceKey") ?? "[[Binance/key]]",
""", ".NET Binance client configuration"),
    P("fb-helm-default", "env-fallback", "templates/secret.yaml", """\
stringData:
  BINANCE_API_KEY: {{ .Values.binance.apiKey | default "[[Binance/key]]" | quote }}
  BINANCE_API_SECRET: {{ .Values.binance.apiSecret | default "[[Binance/secret]]" | quote }}
""", "trading bot Helm chart"),
    P("fb-getenv-helper", "env-fallback", "mcp_okx/config.py", """\
OKX_API_KEY = getenv("OKX_API_KEY", "[[OKX/key]]")
OKX_API_SECRET = getenv("OKX_API_SECRET", "[[OKX/secret]]")
""", "OKX MCP package: a local getenv(key, default) helper"),
]

LISTS_MAPS: List[Layout] = [
    P("lm-py-private-keys", "lists-maps", "config.py", """\
PRIVATE_KEYS = [
    "[[eth-private-key:0x{eth_key}]]",
    "[[eth-private-key:0x{eth_key}]]",
    "[[eth-private-key:0x{eth_key}]]",
]
""", "airdrop farming script"),
    P("lm-yaml-private-keys", "lists-maps", "config.yaml", """\
rpc: https://rpc.ankr.com/eth
private_keys:
  - "[[eth-private-key:0x{eth_key}]]"
  - "[[eth-private-key:0x{eth_key}]]"
""", "multi-wallet bridge bot"),
    P("lm-env-comma", "lists-maps", ".env", """\
PRIVATE_KEYS=[[eth-private-key:0x{eth_key}]],[[eth-private-key:0x{eth_key}]]
""", "bot .env split on commas at start-up"),
    P("lm-env-alias-pairs", "lists-maps", ".env", """\
PRIVATE_KEYS=deployer:[[eth-private-key]];relayer:[[eth-private-key]]
""", "test harness reading alias:key pairs split on ';'"),
    P("lm-wallets-csv", "lists-maps", "wallets.csv", """\
address,private_key,balance
{eth_address},[[eth-private-key:0x{eth_key}]],0
{eth_address},[[eth-private-key:0x{eth_key}]],0
""", "wallet generator output read back by a batch sender"),
    P("lm-wallets-csv-solana", "lists-maps", "wallets.csv", """\
WALLET,PRIVATE KEY
{base58_public},[[solana-keypair:{solana_keypair:base58}]]
{base58_public},[[solana-keypair:{solana_keypair:base58}]]
""", "Solana wallet generator writing base58 keypairs"),
    P("lm-address-key-dict", "lists-maps", "wallets.py", """\
WALLETS = {
    "{eth_address}": "[[eth-private-key:0x{eth_key}]]",
    "{eth_address}": "[[eth-private-key:0x{eth_key}]]",
}
""", "batch transfer script: {address: key}"),
    P("lm-vanity-by-address", "lists-maps", "scripts/vanity.js", """\
const vanity = {
  "{eth_address}": {
    "privateKey": "[[eth-private-key:0x{eth_key}]]",
    "mnemonic": "[[bip39-mnemonic]]",
    "nonce": 1
  },
}
""", "protocol repo's vanity deployer addresses"),
    P("lm-accounts-objects", "lists-maps", "checkers/config.js", """\
export const ethereum = {
    accounts: [
        {
            address: "{eth_address}",
            privateKey: "[[eth-private-key]]",
        },
        {
            address: "{eth_address}",
            privateKey: "[[eth-private-key]]",
        },
    ],
};
""", "CTF checker config"),
    P("lm-prettier-wrapped-value", "lists-maps", "lib/ethereum-wallets.ts", """\
export const recipients = [
  {
    name: "Account 1",
    address: "{eth_address}",
    privateKey:
      "[[eth-private-key:0x{eth_key}]]",
  },
];
""", "gas batching demo; prettier puts the value on the line after its key"),
    P("lm-json-array-index", "lists-maps", "accounts.js", """\
var accounts =
[
\t{
\t\t"index": "1",
\t\t"address": "{eth_address}",
\t\t"privatekey": "[[eth-private-key]]"
\t}
]
""", "bulk wallet export converted to JSON"),
    P("lm-hardhat-accounts-template", "lists-maps", "hardhat.config.js", """\
    localganache: {
      url: `HTTP://127.0.0.1:7545`,
      accounts: [`0x[[eth-private-key]]`]
    }
""", "hardhat config with template-literal accounts"),
    P("lm-nested-wallet-key", "lists-maps", "config.yml", """\
wallet:
  address: "{eth_address}"
  key: "[[eth-private-key:0x{eth_key}]]"
""", "DEX sniping bot config"),
    P("lm-wallets-txt", "lists-maps", "data/wallets.txt", """\
[[eth-private-key:0x{eth_key}]]
[[eth-private-key:0x{eth_key}]]
[[eth-private-key:0x{eth_key}]]
""", "airdrop bots reading one key per line from data/wallets.txt"),
    P("lm-private-keys-json", "lists-maps", ".privateKeys.json", """\
[
  "[[eth-private-key:0x{eth_key}]]",
  "[[eth-private-key:0x{eth_key}]]"
]
""", "ethers scripts requiring a JSON array of keys"),
    P("lm-node-output", "lists-maps", "WALLETS.txt", """\
Account #0: {eth_address} (10000 ETH)
Private Key: [[eth-private-key:0x{eth_key}]]

Account #1: {eth_address} (10000 ETH)
Private Key: [[eth-private-key:0x{eth_key}]]
""", "local chain node's account listing saved for scripts"),
    P("lm-accounts-list-venue-value", "lists-maps", "accounts.py", """\
ACCOUNTS = [
    {"name": "main", "exchange": "bybit", "api_key": "[[Bybit/key]]", "api_secret": "[[Bybit/secret]]"},
    {"name": "hedge", "exchange": "okx", "api_key": "[[OKX/key]]", "api_secret": "[[OKX/secret]]",
     "password": "[[OKX/passphrase]]"},
]
""", "multi-account copy trader: venue as a value, not a name"),
    P("lm-env-name-map", "lists-maps", "fallback_keys.py", """\
FALLBACK_API_KEYS = {
    "BYBIT_API_KEY": "[[Bybit/key]]",
    "BYBIT_API_SECRET": "[[Bybit/secret]]",
}
""", "agent app's fallback key map keyed by variable names"),
    P("lm-yaml-accounts-list", "lists-maps", "accounts.yaml", """\
accounts:
  - exchange: kucoin
    api_key: "[[KuCoin/key]]"
    secret: "[[KuCoin/secret]]"
    passphrase: "[[KuCoin/passphrase]]"
""", "multi-venue grid bot accounts list"),
    P("lm-toml-array-tables", "lists-maps", "accounts.toml", """\
[[accounts]]
exchange = "okx"
key = "[[OKX/key]]"
secret = "[[OKX/secret]]"
passphrase = "[[OKX/passphrase]]"
""", "Rust market maker config"),
    P("lm-go-slice", "lists-maps", "keys.go", """\
var privateKeys = []string{
\t"[[eth-private-key]]",
\t"[[eth-private-key]]",
}
""", "Go load-test sender"),
    P("lm-semicolon-env", "lists-maps", ".env", """\
BOT_PRIVATE_KEYS="[[eth-private-key:0x{eth_key}]];[[eth-private-key:0x{eth_key}]]"
""", "keeper bot .env with several signers"),
]

SYNTAX: List[Layout] = [
    # Makefile
    P("sx-make-qmark", "syntax:makefile", "Makefile", """\
BINANCE_API_KEY ?= [[Binance/key]]
BINANCE_API_SECRET ?= [[Binance/secret]]

run:
\tdocker run --rm -e BINANCE_API_KEY=$(BINANCE_API_KEY) -e BINANCE_API_SECRET=$(BINANCE_API_SECRET) bot
""", "Dockerised bot Makefile with overridable defaults"),
    P("sx-make-plus-export", "syntax:makefile", "Makefile", """\
export KRAKEN_API_SECRET := [[Kraken/secret]]
DOCKER_ENV += -e KRAKEN_API_KEY=[[Kraken/key]]
""", "Makefile exporting keys to recipes"),
    P("sx-make-forge-private-key", "signer", "Makefile", """\
deploy:
\tforge script script/Deploy.s.sol --rpc-url $(RPC_URL) --broadcast --private-key [[eth-private-key:0x{eth_key}]]
""", "foundry project Makefile"),
    # YAML
    P("sx-yaml-literal-block", "syntax:yaml-block", "config.yml", """\
exchange:
  name: okx
  api_key: [[OKX/key]]
  secret: |
    [[OKX/secret]]
  password: >-
    [[OKX/passphrase]]
""", "bot config with block scalars for each value"),
    P("sx-yaml-pem-block", "syntax:yaml-block", "coinbase.yaml", """\
coinbase:
  api_key_name: "[[Coinbase CDP/key-name]]"
  api_private_key: |
    [[Coinbase CDP/pem|indent4]]
""", "Coinbase Advanced Trade bot config with the CDP PEM inline"),
    P("sx-yaml-private-key-folded", "syntax:yaml-block", "secrets.yaml", """\
deployer:
  private_key: >-
    [[eth-private-key:0x{eth_key}]]
""", "deploy pipeline secrets file"),
    P("sx-yaml-anchor", "syntax:yaml-anchor", "config.yaml", """\
defaults: &binance
  api_key: [[Binance/key]]
  api_secret: [[Binance/secret]]

prod:
  <<: *binance
  testnet: false
""", "YAML config sharing a key pair through an anchor"),
    P("sx-yaml-str-tag", "syntax:yaml-tag", "gate.yaml", """\
gate:
  key: !!str [[Gate.io/key]]
  secret: !!str [[Gate.io/secret]]
""", "YAML config forcing strings with !!str"),
    P("sx-yaml-kebab-stringdata", "syntax:yaml", "k8s/trading-secrets.yaml", """\
apiVersion: v1
kind: Secret
metadata:
  name: trading-secrets
type: Opaque
stringData:
  binance-api-key: "[[Binance/key]]"
  binance-api-secret: "[[Binance/secret]]"
""", "Kubernetes secret template with kebab-case keys"),
    P("sx-yaml-hummingbot", "syntax:yaml", "conf/connectors/kucoin.yml", """\
connector: kucoin
kucoin_api_key: [[KuCoin/key]]
kucoin_secret_key: [[KuCoin/secret]]
kucoin_passphrase: [[KuCoin/passphrase]]
""", "hummingbot connector config (older, unencrypted)"),
    # TOML
    P("sx-toml-triple", "syntax:toml", "config.toml", '''\
[coinbase]
key_name = "[[Coinbase CDP/key-name]]"
private_key = """
[[Coinbase CDP/pem]]
"""
''', "Rust trading bot config with a PEM in a multi-line string"),
    P("sx-toml-literal-triple", "syntax:toml", "Settings.toml", """\
[wallet]
private_key = '''[[eth-private-key:0x{eth_key}]]'''
""", "Rust keeper settings with a literal string"),
    P("sx-toml-inline-table", "syntax:toml", "exchanges.toml", """\
binance = { api_key = "[[Binance/key]]", secret = "[[Binance/secret]]" }
""", "Rust arbitrage config, inline tables per venue"),
    # XML
    P("sx-xml-elements", "syntax:xml", "config.xml", """\
<configuration>
  <exchange name="binance">
    <apiKey>[[Binance/key]]</apiKey>
    <secretKey>[[Binance/secret]]</secretKey>
  </exchange>
</configuration>
""", "Java trading app XML config"),
    P("sx-xml-appsettings", "syntax:xml", "App.config", """\
<?xml version="1.0" encoding="utf-8" ?>
<configuration>
  <appSettings>
    <add key="BinanceKey" value="[[Binance/key]]" />
    <add key="BinanceSecret" value="[[Binance/secret]]" />
  </appSettings>
</configuration>
""", ".NET Binance client reading appSettings"),
    P("sx-xml-jenkins-credentials", "syntax:xml", "credentials.xml", """\
<com.cloudbees.plugins.credentials.SystemCredentialsProvider plugin="credentials@1.23">
  <domainCredentialsMap class="hudson.util.CopyOnWriteMap$Hash">
    <entry>
      <java.util.concurrent.CopyOnWriteArrayList>
        <org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl plugin="plain-credentials@1.3">
          <scope>GLOBAL</scope>
          <id>kraken-api-secret</id>
          <description>Kraken API secret for the rebalancer</description>
          <secret>[[Kraken/secret]]</secret>
        </org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>
      </java.util.concurrent.CopyOnWriteArrayList>
    </entry>
  </domainCredentialsMap>
</com.cloudbees.plugins.credentials.SystemCredentialsProvider>
""", "Jenkins credentials.xml committed from a CI home directory"),
    P("sx-xml-properties-maven", "syntax:xml", "pom.xml", """\
<properties>
  <bybit.api.key>[[Bybit/key]]</bybit.api.key>
  <bybit.api.secret>[[Bybit/secret]]</bybit.api.secret>
</properties>
""", "Maven build passing keys as properties to integration tests"),
    # JSON escapes
    P("sx-json-slash-escape", "syntax:json-escape", "keys.json", """\
{"kraken": {"key": "[[Kraken/key|jslash]]", "secret": "[[Kraken/secret:{base64:40}/{base64:40}/{base64:4}==|jslash]]"}}
""", "PHP json_encode output (escapes '/')"),
    P("sx-json-cdp-key-file", "syntax:json-escape", "cdp_api_key.json", """\
{
   "name": "[[Coinbase CDP/key-name]]",
   "privateKey": "[[Coinbase CDP/pem|escaped_nl]]\\n"
}
""", "the key file Coinbase's developer platform downloads, committed by bots"),
    P("sx-json-unicode-escape", "syntax:json-escape", "settings.json", """\
{"okx": {"apiKey": "[[OKX/key]]", "secret": "[[OKX/secret]]", "password": "[[OKX/passphrase:Falcon\\u0021{digits:4}]]"}}
""", "JSON written by a serializer that escapes punctuation"),
    # CSV / TSV
    P("sx-csv-unquoted", "syntax:csv", "api_keys.csv", """\
exchange,api_key,api_secret
binance,[[Binance/key]],[[Binance/secret]]
bybit,[[Bybit/key]],[[Bybit/secret]]
""", "multi-exchange portfolio tracker import file"),
    P("sx-tsv", "syntax:csv", "keys.tsv", """\
exchange\tkey\tsecret
kraken\t[[Kraken/key]]\t[[Kraken/secret]]
""", "spreadsheet export of exchange keys"),
    # shell
    P("sx-shell-positional", "syntax:shell-args", "run_worker.sh", """\
python worker.py tree.json bittrex [[Bittrex/key]] [[Bittrex/secret]]
""", "strategy worker taking exchange, key and secret as positional arguments"),
    P("sx-shell-flags", "syntax:shell-args", "start.sh", """\
node trade.js --exchange kucoin --key [[KuCoin/key]] --secret [[KuCoin/secret]] --passphrase [[KuCoin/passphrase]]
""", "node bot started with credential flags"),
    P("sx-shell-kv-args", "syntax:shell-args", "README.md", """\
In `Parameters:` put
```
--options REDIS_SERVER_ADDRESS=192.168.1.90 TRADE_KEY=binance:trade BINANCE_API_KEY=[[Binance/key]] BINANCE_API_SECRET=[[Binance/secret]]
```
""", "trade executor README: IDE run parameters as KEY=value arguments"),
    P("sx-windows-setx", "syntax:shell-args", "setup.bat", """\
setx binance_api_key [[Binance/key]]
setx binance_secret_key [[Binance/secret]]
""", "Windows setup instructions of a Binance tool"),
    P("sx-powershell-env", "syntax:shell-args", "start.ps1", """\
$env:BYBIT_API_KEY = "[[Bybit/key]]"
$env:BYBIT_API_SECRET = "[[Bybit/secret]]"
python .\\main.py
""", "Windows start script of a Bybit bot"),
    P("sx-cast-private-key", "signer", "scripts/fund.sh", """\
cast send {eth_address} --value 1ether --rpc-url "$RPC" --private-key [[eth-private-key:0x{eth_key}]]
""", "foundry scripts funding test accounts"),
    P("sx-curl-header", "syntax:http-header", "docs/api.md", """\
```bash
curl -H "X-MBX-APIKEY: [[Binance/key]]" -X POST 'https://api.binance.com/api/v3/order?symbol=BTCUSDT'
```
""", "Binance API notes with the key header"),
    P("sx-requests-headers", "syntax:http-header", "okx_rest.py", """\
headers = {
    "OK-ACCESS-KEY": "[[OKX/key]]",
    "OK-ACCESS-PASSPHRASE": "[[OKX/passphrase]]",
    "Content-Type": "application/json",
}
""", "hand-rolled OKX REST client"),
    P("sx-url-apikey-in-query", "syntax:url", "fetch_balances.py", """\
URL = "https://api.etherscan.io/api?module=account&action=balance&address={eth_address}&apikey=[[etherscan]]"
""", "wallet tracker calling a block explorer"),
    # languages
    P("sx-go-short-decl", "syntax:go", "examples/order.go", """\
func main() {
\tapiKey := "[[Binance/key]]"
\tsecretKey := "[[Binance/secret]]"
\tbaseURL := "https://api.binance.com"
\tclient := binance_connector.NewClient(apiKey, secretKey, baseURL)
\t_ = client
}
""", "Binance Go connector example filled in by users"),
    P("sx-go-const-block", "syntax:go", "config.go", """\
package binance_toolbox

const (
\tAPI_KEY     = "[[Binance/key]]"
\tSECRET_KEY  = "[[Binance/secret]]"
\tBASE_URL    = "https://testnet.binance.vision"
)
""", "Binance Go toolbox config: generic names, venue only in the URL"),
    P("sx-go-var-block", "syntax:go", "market/client.go", """\
func GetBinanceClient() *binance.Client {
\tvar (
\t\tapiKey    = "[[Binance/key]]"
\t\tsecretKey = "[[Binance/secret]]"
\t)
\treturn binance.NewClient(apiKey, secretKey)
}
""", "go-binance README pattern"),
    P("sx-go-struct-literal", "syntax:go", "main.go", """\
client := binance.NewClient(https.Options{
\tApiKey:    "[[Binance/key]]",
\tApiSecret: "[[Binance/secret]]",
})
""", "Go Binance library quickstart"),
    P("sx-rust-let", "syntax:rust", "src/main.rs", """\
let api_key = "[[Bybit/key]]";
let api_secret = "[[Bybit/secret]]";
let client = BybitClient::new(api_key, api_secret);
""", "Rust Bybit account updater"),
    P("sx-rust-const", "syntax:rust", "src/config.rs", """\
pub const KRAKEN_API_KEY: &str = "[[Kraken/key]]";
pub const KRAKEN_API_SECRET: &str = "[[Kraken/secret]]";
""", "Rust Kraken bot constants"),
    P("sx-java-static-final", "syntax:java", "src/test/java/examples/PrivateConfig.java", """\
public final class PrivateConfig {
    public static final String API_KEY = "[[Binance/key]]";
    public static final String SECRET_KEY = "[[Binance/secret]]";
    public static final String BASE_URL = "https://testnet.binance.vision";
}
""", "Binance Java connector examples config filled in"),
    P("sx-java-properties", "syntax:java", "src/main/resources/application.properties", """\
binance.api.key=[[Binance/key]]
binance.api.secret=[[Binance/secret]]
""", "Spring Boot trading service properties"),
    P("sx-spring-yaml", "syntax:yaml", "src/main/resources/application.yml", """\
binance:
  apiKey: [[Binance/key]]
  apiSecret: [[Binance/secret]]
""", "Spring Kotlin bot injecting ${binance.apiKey}"),
    P("sx-csharp-const", "syntax:csharp", "TradingBotPrj/Settings.cs", """\
public class Settings
{
    public const string BaseEndpoint = "https://testnet.binance.vision";
    public const string ApiKey = "[[Binance/key]]";
    public const string SecretKey = "[[Binance/secret]]";
}
""", "C# Binance trading bot settings class"),
    P("sx-csharp-static-venue-suffix", "syntax:csharp", "Configuration/ApiConfiguration.cs", """\
public static class ApiConfiguration
{
    public static string ApiKeyKucoin = "[[KuCoin/key]]";
    public static string ApiSecretKucoin = "[[KuCoin/secret]]";
    public static string ApiPassKucoin = "[[KuCoin/passphrase]]";
}
""", "WinForms rate parser with per-venue static fields"),
    P("sx-csharp-auto-property", "syntax:csharp", "Configuration/BinanceSecrets.cs", """\
public sealed class BinanceSecrets
{
    public string ApiKey { get; set; } = "[[Binance/key]]";
    public string SecretKey { get; set; } = "[[Binance/secret]]";
}
""", ".NET trader: auto-property initialisers"),
    P("sx-appsettings-json", "syntax:csharp", "appsettings.json", """\
{
  "Logging": { "LogLevel": { "Default": "Information" } },
  "Binance": {
    "ApiKey": "[[Binance/key]]",
    "SecretKey": "[[Binance/secret]]",
    "UseTestnet": false
  }
}
""", "ASP.NET trading framework bound via IOptions"),
    P("sx-kotlin-const-val", "syntax:kotlin", "app/src/main/java/com/tracker/util/Constants.kt", """\
const val KUCOIN_BASE_URL = "https://openapi-v2.kucoin.com"

const val KUCOIN_API_KEY = "[[KuCoin/key]]"
const val KUCOIN_API_SECRET = "[[KuCoin/secret]]"

const val GATE_API_SECRET = "[[Gate.io/secret]]"
const val GATE_API_KEY = "[[Gate.io/key]]"
""", "Android portfolio tracker constants"),
    P("sx-kotlin-val", "syntax:kotlin", "src/main/kotlin/Bot.kt", """\
val client = BinanceClient(
    domain = "https://api.binance.com",
    apiKey = "[[Binance/key]]",
    apiSecret = "[[Binance/secret]]",
)
""", "Kotlin Binance client with named arguments"),
    P("sx-swift-nested-struct", "syntax:swift", "Quantization/Constants.swift", """\
struct Constants {
    struct Binance {
        static let baseURL = "https://api.binance.com"
        static var apiKey = "[[Binance/key]]"
        static var secretKey = "[[Binance/secret]]"
    }
}
""", "iOS quant app: venue only in the enclosing struct"),
    P("sx-swift-let", "syntax:swift", "Sources/Example/main.swift", """\
let apiKey = "[[Binance/key]]"
let secretKey = "[[Binance/secret]]"
let connection = BinanceConnection(apiKey: apiKey, secretKey: secretKey)
""", "Swift Binance package usage example"),
    P("sx-php-vars", "syntax:php", "order.php", """\
<?php
\t$apiKey = "[[Binance/key]]"; // Set your API Key
\t$secretKey = "[[Binance/secret]]"; // Set your Secret Key
\t$headers[] = "X-Mbx-Apikey: $apiKey";
""", "PHP curl order script"),
    P("sx-php-array", "syntax:php", "examples/wallet.php", """\
$client = new \\Binance\\Spot([
    'key'  => '[[Binance/key]]',
    'secret'  => '[[Binance/secret]]'
]);
""", "Binance PHP connector example filled in"),
    P("sx-php-define", "syntax:php", "config.php", """\
define('KRAKEN_API_KEY', '[[Kraken/key]]');
define('KRAKEN_API_SECRET', '[[Kraken/secret]]');
""", "PHP Kraken trading panel"),
    P("sx-ruby-hash", "syntax:ruby", "config/binance.rb", """\
Binance.config = {
  api_key: '[[Binance/key]]',
  secret_key: '[[Binance/secret]]',
}
""", "Ruby Binance wrapper README config"),
    P("sx-ruby-configure-block", "syntax:ruby", "Kraken/checkOrders.rb", """\
API_KEY = '[[Kraken/key]]'
API_SECRET = '[[Kraken/secret]]'
KrakenClient.configure do |config|
  config.api_key     = API_KEY
  config.api_secret  = API_SECRET
end
""", "Ruby Kraken playground script"),
    P("sx-ruby-kwargs", "syntax:ruby", "app/services/binance_client.rb", """\
client = BinanceClient.new(
    api_key: "[[Binance/key]]",
    api_secret: "[[Binance/secret]]"
)
""", "Ruby Binance client gem README"),
    P("sx-py-attr-assign", "syntax:python", "kraken_client.py", """\
kraken = krakenex.API()
kraken.key = "[[Kraken/key]]"
kraken.secret = "[[Kraken/secret]]"
""", "krakenex holdings backend"),
    P("sx-dart-const", "syntax:dart", "lib/config.dart", """\
const String binanceApiKey = '[[Binance/key]]';
const String binanceSecretKey = '[[Binance/secret]]';
""", "Flutter portfolio app"),
    P("sx-hcl-tfvars", "syntax:hcl", "terraform.tfvars", """\
binance_api_key    = "[[Binance/key]]"
binance_api_secret = "[[Binance/secret]]"
""", "Terraform-deployed trading bot variables"),
    P("sx-hcl-variable-default", "syntax:hcl", "terraform/vars.tf", """\
variable "binance_api_secret" {
  description = "The API secret for the Binance account."
  type        = string
  sensitive   = true
  default     = "[[Binance/secret]]"
}
""", "Terraform variables with a sensitive default"),
    P("sx-systemd-environment", "syntax:ini", "deploy/bot.service", """\
[Service]
Environment="BINANCE_API_KEY=[[Binance/key]]"
Environment="BINANCE_API_SECRET=[[Binance/secret]]"
ExecStart=/usr/bin/python3 /opt/bot/main.py
""", "systemd unit of a VPS-hosted bot"),
    P("sx-ini-colon", "syntax:ini", "bot.cfg", """\
[kraken]
key: [[Kraken/key]]
secret: [[Kraken/secret]]
""", "configparser file with ':' separators"),
    P("sx-gitlab-ci-variables", "syntax:yaml", ".gitlab-ci.yml", """\
variables:
  BYBIT_API_KEY: "[[Bybit/key]]"
  BYBIT_API_SECRET: "[[Bybit/secret]]"
test:
  script: pytest
""", "GitLab pipeline with keys in variables"),
    P("sx-gh-actions-env", "syntax:yaml", ".github/workflows/backtest.yml", """\
jobs:
  backtest:
    runs-on: ubuntu-latest
    env:
      BINANCE_API_KEY: [[Binance/key]]
      BINANCE_API_SECRET: [[Binance/secret]]
    steps:
      - run: python backtest.py
""", "GitHub workflow with keys inline in env"),
    P("sx-sql-insert", "syntax:sql", "db/seed.sql", """\
INSERT INTO api_keys (service_name, api_key, api_secret) VALUES
('binance', '[[Binance/key]]', '[[Binance/secret]]');
""", "schema files seeding an api_keys table per service"),
    # concatenation and padding
    P("sx-concat-implicit-py", "syntax:concat", "keys.py", """\
KRAKEN_API_SECRET = (
    [[Kraken/secret|concat_py]]
)
""", "Python module with a long literal split to satisfy the line length"),
    P("sx-concat-plus-js", "syntax:concat", "config.js", """\
const binanceSecret =
    [[Binance/secret|concat_plus]];
""", "JS config with a long literal split by +"),
    P("sx-concat-pem-lines", "syntax:concat", "src/authentication/config.js", """\
const config = {
    key: 'service',
    privateKey: [[private-key-pem|pem_lines_plus]],
}
""", "Node auth config building a PEM from quoted lines joined by +"),
    P("sx-concat-java", "syntax:concat", "src/main/java/bot/Keys.java", """\
private static final String POLONIEX_SECRET =
        [[Poloniex/secret|concat_plus_dq]];
""", "Java Poloniex client with a 128-hex secret split across lines"),
    P("sx-padded-quotes", "syntax:padded", "config.py", """\
BINANCE_API_KEY = "  [[Binance/key]]  "
BINANCE_API_SECRET = " [[Binance/secret]]"
""", "pasted keys with stray spaces inside the quotes (bots call .strip())"),
    P("sx-padded-env", "syntax:padded", ".env", """\
BYBIT_API_KEY = [[Bybit/key]]
BYBIT_API_SECRET =   [[Bybit/secret]]
""", ".env with spaces around '=' (python-dotenv accepts them)"),
]

ENCODED: List[Layout] = [
    P("enc-k8s-secret-data", "encoded", "k8s/binance-secret.yaml", """\
apiVersion: v1
kind: Secret
metadata:
  name: binance
type: Opaque
data:
  BINANCE_API_KEY: [[Binance/key|b64]]
  BINANCE_API_SECRET: [[Binance/secret|b64]]
""", "trading bot manifests: the kubectl --dry-run -o yaml output committed"),
    P("enc-k8s-secret-data-kebab", "encoded", "manifests/okx.yaml", """\
apiVersion: v1
kind: Secret
metadata:
  name: okx-credentials
data:
  api-key: [[OKX/key|b64]]
  api-secret: [[OKX/secret|b64]]
  passphrase: [[OKX/passphrase|b64]]
""", "market maker Helm output with generic data keys"),
    P("enc-k8s-secret-json", "encoded", "secret.json", """\
{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "bot"},
 "data": {"KUCOIN_API_SECRET": "[[KuCoin/secret|b64]]"}}
""", "JSON manifest generated by a deploy script"),
    P("enc-env-b64-suffix", "encoded", ".env", """\
PRIVATE_KEY_BASE64=[[eth-private-key:0x{eth_key}|b64]]
""", "signer service .env holding a base64 key"),
    P("enc-env-b64-pem", "encoded", ".env", """\
JWT_PRIVATE_KEY=[[private-key-pem:{pem:EC PRIVATE KEY}|b64]]
""", "API service .env with a base64-wrapped PEM (no newlines)"),
    P("enc-cdp-pem-b64", "encoded", ".env", """\
COINBASE_API_KEY_NAME=[[Coinbase CDP/key-name]]
COINBASE_API_SECRET=[[Coinbase CDP/pem|b64]]
""", "Coinbase bot .env: the CDP PEM base64-encoded to fit one line"),
    P("enc-kubeconfig-client-key", "encoded", "kubeconfig.yaml", """\
users:
- name: admin
  user:
    client-certificate-data: {base64:120}
    client-key-data: [[private-key-pem:{pem:EC PRIVATE KEY}|b64]]
""", "kubeconfig committed with a cluster's admin key"),
    P("enc-md-table-b64-pem", "encoded", "docs/env.md", """\
| variable | value |
|---|---|
| `VAPID_PUBLIC_KEY` | `B{b64url:86}` |
| `VAPID_PRIVATE_KEY` | `[[private-key-pem:{pem:EC PRIVATE KEY}|b64]]` |
""", "deployment notes listing env values in a Markdown table"),
    P("enc-whole-env-b64", "encoded", "env.b64", """\
[[Binance/secret:BINANCE_API_KEY={alnum:64}
BINANCE_API_SECRET={alnum:64}
|b64]]
""", "CI stores the whole .env base64-encoded (echo $ENV_FILE | base64 -d > .env), committed by mistake"),
    P("enc-b64-mime-escaped", "encoded", "spec/requests/events_spec.rb", """\
let(:fake_secrets) {
  {
    "url" => "https://example.com/events",
    "ios-secret" => "[[private-key-pem:{pem:EC PRIVATE KEY}|b64_mime]]",
  }
}
""", "Rails request spec: a base64 PEM with Ruby's \\n every 60 characters"),
]


NOTEBOOK: List[Layout] = [
    P("nb-output-exchange-secret", "notebook", "notebooks/binance.ipynb", """\
%% code
import ccxt, os
exchange = ccxt.binance({'apiKey': os.environ['BINANCE_API_KEY'], 'secret': os.environ['BINANCE_API_SECRET']})
exchange.secret
%% output execute_result
'[[Binance/secret]]'
""", "ccxt exploration notebook: the last expression shows the secret"),
    P("nb-output-environ", "notebook", "research.ipynb", """\
%% code
import os
os.environ['KRAKEN_API_SECRET']
%% output execute_result
'[[Kraken/secret]]'
""", "notebook checking an env variable is set"),
    P("nb-print-stream", "notebook", "test_keys.ipynb", """\
%% code
from dotenv import load_dotenv
load_dotenv()
api_key = os.getenv("BINANCE_API_KEY")
secret = os.getenv("BINANCE_SECRET_KEY")
print(api_key)
print(secret)
%% output stream
[[Binance/key]]
[[Binance/secret]]
""", "key check script turned notebook: printed values in the output"),
    P("nb-output-dotenv-values", "notebook", "setup.ipynb", """\
%% code
from dotenv import dotenv_values
dotenv_values()
%% output execute_result
OrderedDict([('BYBIT_API_KEY', '[[Bybit/key]]'), ('BYBIT_API_SECRET', '[[Bybit/secret]]')])
""", "notebook displaying the loaded .env"),
    P("nb-output-config-dict", "notebook", "okx.ipynb", """\
%% code
config = load_config('config-private.json')
config['exchange']
%% output execute_result
{'name': 'okx',
 'key': '[[OKX/key]]',
 'secret': '[[OKX/secret]]',
 'password': '[[OKX/passphrase]]'}
""", "freqtrade analysis notebook showing the loaded exchange section"),
    P("nb-input-positional-client", "notebook", "binance_tutorial.ipynb", """\
%% markdown
## Connect
%% code
from binance.client import Client
client = Client("[[Binance/key]]", "[[Binance/secret]]")
""", "python-binance tutorial notebook with positional keys"),
    P("nb-output-account-key", "notebook", "web3_basics.ipynb", """\
%% code
acct = Account.create()
acct.key.hex()
%% output execute_result
'[[eth-private-key:0x{eth_key}]]'
""", "web3.py tutorial notebook"),
    P("nb-output-mnemonic", "notebook", "wallet.ipynb", """\
%% code
mnemo = Mnemonic("english")
words = mnemo.generate(strength=128)
words
%% output execute_result
'[[bip39-mnemonic]]'
""", "HD wallet notebook showing a generated phrase"),
]

SIGNER: List[Layout] = [
    P("sg-rust-localwallet-chain", "signer", "src/main.rs", """\
    // Private key (replace with your actual private key)
    let wallet = "[[eth-private-key]]"
        .parse::<LocalWallet>()?
        .with_chain_id(chain_id.as_u64());
""", "ethers-rs transfer example adapted by users"),
    P("sg-rust-alloy-parse", "signer", "src/bin/sign.rs", """\
let signer = "[[eth-private-key]]"
    .parse::<PrivateKeySigner>()?;
""", "alloy signer README pattern"),
    P("sg-rust-const-str-parse", "signer", "src/constants.rs", """\
pub const EOA_PRIVATE_KEY: &str = "[[eth-private-key]]";

lazy_static! {
    pub static ref EOA_WALLET: LocalWallet = EOA_PRIVATE_KEY.parse().unwrap();
}
""", "Rust account-abstraction tests"),
    P("sg-rust-from-bytes", "signer", "src/main.rs", """\
fn main() {
    let key_hex = "[[eth-private-key]]";
    let key_bytes = hex::decode(key_hex).unwrap();
    let signer = PrivateKeySigner::from_bytes(&B256::from_slice(&key_bytes)).unwrap();
}
""", "alloy address check binary"),
    P("sg-rust-from-str", "signer", "src/keys.rs", """\
let wallet = LocalWallet::from_str("[[eth-private-key]]")?;
""", "ethers-rs bot"),
    P("sg-py-sign-positional", "signer", "supply_chain.py", """\
    # Sign the transaction with the MANUFACTURER's private key
    signed_tx = web3.eth.account.sign_transaction(tx, "[[eth-private-key:0x{eth_key}]]")
""", "supply-chain dApp demo"),
    P("sg-py-from-key", "signer", "tests/conftest.py", """\
@pytest.fixture
def seller_account():
    return Account.from_key("[[eth-private-key:0x{eth_key}]]")
""", "marketplace backend tests"),
    P("sg-js-ethers-wallet", "signer", "deploy.js", """\
const provider = new ethers.providers.JsonRpcProvider("https://mainnet.base.org");
const wallet = new ethers.Wallet("[[eth-private-key:0x{eth_key}]]", provider);
""", "contract deploy script"),
    P("sg-ts-viem-account", "signer", "src/account.ts", """\
const account = privateKeyToAccount('[[eth-private-key:0x{eth_key}]]')
""", "viem script"),
    P("sg-web3js-private-key-to-account", "signer", "send.ts", """\
const privateKey = '[[eth-private-key:0x{eth_key}]]';
let account = Web3Accounts.privateKeyToAccount(privateKey);
""", "web3.js transaction script"),
    P("sg-go-hex-to-ecdsa", "signer", "cmd/sender/main.go", """\
privateKey, err := crypto.HexToECDSA("[[eth-private-key]]")
if err != nil {
\tlog.Fatal(err)
}
""", "go-ethereum sender"),
    P("sg-kotlin-web3j", "signer", "src/main/kotlin/Wallet.kt", """\
val credentials = Credentials.create("[[eth-private-key:0x{eth_key}]]")
""", "web3j Android wallet"),
    P("sg-solana-from-secret-key", "signer", "scripts/mint.ts", """\
const payer = Keypair.fromSecretKey(Uint8Array.from([[solana-keypair]]));
""", "Solana mint script"),
    P("sg-solana-from-base58", "signer", "bot/wallet.py", """\
payer = Keypair.from_base58_string("[[solana-keypair:{solana_keypair:base58}]]")
""", "Solana sniping bot (solders)"),
    P("sg-bitcoin-wif", "signer", "btc_send.py", """\
from bit import PrivateKey
key = PrivateKey('[[wif]]')
""", "bit library send script"),
    P("sg-bip32-from-xprv", "signer", "derive.py", """\
root = BIP32.from_xprv("[[xprv]]")
""", "HD derivation script"),
    P("sg-hyperliquid-agent", "signer", "hl_bot.py", """\
wallet = Account.from_key("[[eth-private-key:0x{eth_key}]]")
exchange = Exchange(wallet, base_url="https://api.hyperliquid.xyz")
""", "Hyperliquid SDK notes"),
]

MNEMONIC: List[Layout] = [
    P("mn-upper", "mnemonic-variant", "backup.txt", """\
SEED PHRASE:
[[bip39-mnemonic|upper]]
""", "wallet backup notes written in capitals"),
    P("mn-title", "mnemonic-variant", "NOTES.md", """\
Recovery phrase: [[bip39-mnemonic|title]]
""", "personal notes in a repo, each word capitalised"),
    P("mn-numbered-inline", "mnemonic-variant", "wallet.md", """\
seed: [[bip39-mnemonic|numbered_inline]]
""", "wallet notes numbered on one line"),
    P("mn-numbered-lines", "mnemonic-variant", "seed.txt", """\
[[bip39-mnemonic|numbered_lines]]
""", "seed backup one numbered word a line"),
    P("mn-numbered-paren", "mnemonic-variant", "recovery.txt", """\
Wallet recovery words:
[[bip39-mnemonic|numbered_paren]]
""", "seed backup with '1)' numbering"),
    P("mn-two-columns", "mnemonic-variant", "paper-backup.txt", """\
[[bip39-mnemonic:{mnemonic:24}|columns2]]
""", "paper backup transcribed in two columns"),
    P("mn-md-table", "mnemonic-variant", "docs/wallet.md", """\
| # | word |
|---|------|
[[bip39-mnemonic|mdtable]]
""", "Markdown table of numbered words"),
    P("mn-md-table-wide", "mnemonic-variant", "README.md", """\
| 1-4 | 5-8 | 9-12 |
|---|---|---|
[[bip39-mnemonic|mdtable_wide]]
""", "Markdown grid of words"),
    P("mn-dashes", "mnemonic-variant", ".env", """\
MNEMONIC=[[bip39-mnemonic|dashes]]
""", "phrase joined by dashes to avoid quoting"),
    P("mn-underscores", "mnemonic-variant", "main.env", """\
MNEMONIC='[[bip39-mnemonic|underscores]]'
""", "hardhat course README asking for an underscore-separated phrase"),
    P("mn-array-lines", "mnemonic-variant", "src/consts.ts", """\
export const TEST_PHRASES = [
  [[bip39-mnemonic:{mnemonic:12,jsonlines}]],
];
""", "wallet extension UI constants, one word per line"),
    P("mn-json-words", "mnemonic-variant", "wallet.json", """\
{"mnemonic": [ [[bip39-mnemonic|quoted_words]] ], "path": "m/44'/60'/0'/0/0"}
""", "wallet export with the phrase as a word array"),
    P("mn-commas", "mnemonic-variant", "seed.md", """\
Seed: [[bip39-mnemonic|commas]]
""", "phrase written with commas"),
    P("mn-yaml-list", "mnemonic-variant", "wallet.yaml", """\
mnemonic:
  - [[bip39-mnemonic:{mnemonic:12,bullets}]]
""", "YAML word list"),
    P("mn-24-lines", "mnemonic-variant", "seed.txt", """\
[[bip39-mnemonic:{mnemonic:24}|lines]]
""", "24-word backup, one word per line, nothing else"),
    P("mn-commented-out", "mnemonic-variant", "hardhat.config.js", """\
// const MNEMONIC = '[[bip39-mnemonic]]'
const MNEMONIC = process.env.MNEMONIC
""", "oracle adapters hardhat config with an old phrase commented out"),
]

PLAIN: List[Layout] = [
    P("pl-py-config-class", "plain", "ConfigBinance/Config.py", """\
# 5. Copy & Paste here "API Key" and "Secret Key"
class Config:
    BINANCE_API_KEY = "[[Binance/key]]"
    BINANCE_API_SECRET = "[[Binance/secret]]"
""", "backtrader Binance integration: config class to paste keys into"),
    P("pl-ccxt-kraken", "plain", "bot.py", """\
exchange = ccxt.kraken({
    'apiKey': '[[Kraken/key]]',
    'secret': '[[Kraken/secret]]',
    'enableRateLimit': True,
})
""", "ccxt bots everywhere"),
    P("pl-freqtrade-private", "plain", "user_data/config-private.json", """\
{
    "exchange": {
        "name": "binance",
        "key": "[[Binance/key]]",
        "secret": "[[Binance/secret]]"
    },
    "telegram": {
        "enabled": true,
        "token": "[[telegram-bot-token]]",
        "chat_id": "123456789"
    }
}
""", "freqtrade config-private.json"),
    P("pl-env-kucoin", "plain", ".env", """\
KUCOIN_API_KEY=[[KuCoin/key]]
KUCOIN_API_SECRET=[[KuCoin/secret]]
KUCOIN_API_PASSPHRASE=[[KuCoin/passphrase]]
""", "KuCoin bot .env"),
    P("pl-js-ccxt-okx", "plain", "index.js", """\
const exchange = new ccxt.okx({
  apiKey: '[[OKX/key]]',
  secret: '[[OKX/secret]]',
  password: '[[OKX/passphrase]]',
});
""", "ccxt JS bots"),
    P("pl-python-binance-positional", "plain", "main.py", """\
from binance.client import Client
client = Client("[[Binance/key]]", "[[Binance/secret]]")
client.API_URL = 'https://testnet.binance.vision/api'
""", "python-binance tutorials"),
    P("pl-cryptotrade-yaml", "plain", ".cryptotrade.conf", """\
poloniex:
    api_key: [[Poloniex/key]]
    api_secret: [[Poloniex/secret]]
""", "cryptotrade tool configuration"),
    P("pl-octobot-kebab", "plain", "user/config.json", """\
{
  "exchanges": {
    "binance": {
      "api-key": "[[Binance/key]]",
      "api-secret": "[[Binance/secret]]",
      "api-password": ""
    }
  }
}
""", "OctoBot user config (kebab-case fields)"),
    P("pl-api-txt-two-lines", "plain", "api.txt", """\
[[Binance/key]]
[[Binance/secret]]
""", "Korean ccxt tutorials reading key and secret from the first two lines of api.txt"),
    P("pl-krakenex-key-file", "plain", "kraken.key", """\
[[Kraken/key]]
[[Kraken/secret]]
""", "krakenex load_key() file: key then secret"),
    P("pl-keys-dir-files", "plain", "keys/secret.key", """\
[[Binance/secret]]
""", "Nim Binance client reading keys/api.key and keys/secret.key"),
    P("pl-telegram-constant", "plain", "notifier.py", """\
TELEGRAM_TOKEN = "[[telegram-bot-token]]"
""", "trade notifier"),
    P("pl-infura-provider", "plain", "transaction.py", """\
w3 = Web3(Web3.HTTPProvider('https://sepolia.infura.io/v3/[[infura]]'))
private_key = '[[eth-private-key:0x{eth_key}]]'
""", "university web3 exercise"),
    P("pl-alchemy-hardhat-url", "plain", "hardhat.config.js", """\
const PRIVATE_KEY = '[[eth-private-key]]'
module.exports = {
  networks: {
    sepolia: {
      url: "https://eth-sepolia.g.alchemy.com/v2/[[alchemy]]",
      accounts: [`0x${PRIVATE_KEY}`],
    },
  },
};
""", "dApp hardhat config"),
    P("pl-etherscan-hardhat", "plain", "hardhat.config.ts", """\
  etherscan: {
    apiKey: "[[etherscan]]",
  },
""", "hardhat verify config"),
    P("pl-env-private-key", "plain", ".env", """\
PRIVATE_KEY=[[eth-private-key:0x{eth_key}]]
""", "every hardhat/foundry template's .env"),
    P("pl-pem-file", "plain", "keys/private.pem", """\
[[private-key-pem]]
""", "signing service keys directory"),
    P("pl-gemini-env", "plain", ".env", """\
GEMINI_API_KEY=[[Gemini/key]]
GEMINI_API_SECRET=[[Gemini/secret]]
""", "Gemini exchange bot"),
    P("pl-bitget-ts", "plain", "src/bitget.ts", """\
const client = new RestClientV2({
  apiKey: '[[Bitget/key]]',
  apiSecret: '[[Bitget/secret]]',
  apiPass: '[[Bitget/passphrase]]',
});
""", "bitget-api node SDK usage"),
    P("pl-mexc-py", "plain", "mexc_bot.py", """\
MEXC_API_KEY = "[[MEXC/key]]"
MEXC_SECRET_KEY = "[[MEXC/secret]]"
""", "MEXC listing sniper"),
    P("pl-gate-yaml", "plain", "gate.yml", """\
gateio:
  key: "[[Gate.io/key]]"
  secret: "[[Gate.io/secret]]"
""", "Gate.io grid bot"),
    P("pl-htx-env", "plain", ".env", """\
HUOBI_API_KEY=[[HTX/key]]
HUOBI_SECRET_KEY=[[HTX/secret]]
""", "Huobi bot .env"),
    P("pl-bitmex-py", "plain", "bitmex_bot.py", """\
client = bitmex.bitmex(test=False, api_key="[[BitMEX/key]]", api_secret="[[BitMEX/secret]]")
""", "BitMEX official client usage"),
    P("pl-bitfinex-js", "plain", "bfx.js", """\
const bfx = new BFX({
  apiKey: '[[Bitfinex/key]]',
  apiSecret: '[[Bitfinex/secret]]',
})
""", "bitfinex-api-node usage"),
    P("pl-coinbase-legacy-env", "plain", ".env", """\
CB_API_KEY=[[Coinbase legacy/key]]
CB_API_SECRET=[[Coinbase legacy/secret]]
CB_PASSPHRASE=[[Coinbase legacy/passphrase]]
""", "Coinbase Pro bot (CB_ abbreviation)"),
    P("pl-solana-id-json", "plain", "id.json", """\
[[solana-keypair]]
""", "solana-keygen output committed with a program"),
    P("pl-wif-py", "plain", "wallet.py", """\
BTC_PRIVATE_KEY = "[[wif]]"
""", "Bitcoin payout script"),
    P("pl-xprv-env", "plain", ".env", """\
XPRV=[[xprv]]
""", "HD wallet service .env"),
    P("pl-hardhat-mnemonic", "plain", "hardhat.config.js", """\
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      accounts: {
        mnemonic: '[[bip39-mnemonic]]'
      },
    },
  }
}
""", "SDK monorepo hardhat config"),
    P("pl-truffle-var", "plain", "truffle-config.js", """\
var HDWalletProvider = require("@truffle/hdwallet-provider");
var mnemonic = "[[bip39-mnemonic]]";
""", "truffle projects"),
    P("pl-bybit-kwargs", "plain", "bybit_trade.py", """\
session = HTTP(testnet=False, api_key="[[Bybit/key]]", api_secret="[[Bybit/secret]]")
""", "pybit unified trading usage"),
    P("pl-compose-env-map", "plain", "docker-compose.yml", """\
services:
  freqtrade:
    image: freqtradeorg/freqtrade:stable
    environment:
      FREQTRADE__EXCHANGE__KEY: "[[Binance/key]]"
      FREQTRADE__EXCHANGE__SECRET: "[[Binance/secret]]"
""", "freqtrade compose with env overrides"),
    P("pl-moralis-js", "plain", "src/moralis.js", """\
await Moralis.start({ apiKey: "[[moralis]]" });
""", "Moralis SDK quickstart filled in"),
    P("pl-quicknode-url", "plain", ".env", """\
RPC_URL=https://little-wild-snow.solana-mainnet.quiknode.pro/[[quicknode]]/
""", "Solana bot RPC endpoint"),
]

# --- negatives: what looks like a key and is not, as seen next to crypto code --------------------------------
NEGATIVES: List[Layout] = [
    # public constants
    N("ng-role-hash-env-example", "neg:public-constant", ".env.example", """\
MINTER_ROLE=0x{hex:64}
PAUSER_ROLE=0x{hex:64}
DEFAULT_ADMIN_ROLE=0x0000000000000000000000000000000000000000000000000000000000000000
""", "token deploy scripts' .env.example with keccak role ids"),
    N("ng-permit-typehash-sol", "neg:public-constant", "contracts/Token.sol", """\
    bytes32 public constant PERMIT_TYPEHASH = 0x{hex:64};
    bytes32 public immutable DOMAIN_SEPARATOR;
""", "ERC-2612 tokens"),
    N("ng-domain-separator-py", "neg:public-constant", "tests/constants.py", """\
DOMAIN_SEPARATOR = "0x{hex:64}"
PERMIT_TYPEHASH = "0x{hex:64}"
""", "contract test constants"),
    N("ng-init-code-hash", "neg:public-constant", "src/constants.ts", """\
export const INIT_CODE_HASH = '0x{hex:64}'
export const FACTORY_ADDRESS = '{eth_address}'
""", "DEX SDK constants"),
    N("ng-event-topic", "neg:public-constant", "indexer/topics.py", """\
TRANSFER_TOPIC = "0x{hex:64}"
SWAP_TOPIC = "0x{hex:64}"
""", "event indexer"),
    N("ng-roles-map-js", "neg:public-constant", "scripts/roles.js", """\
const ROLES = {
  PAUSER_ROLE: "0x{hex:64}",
  UPGRADER_ROLE: "0x{hex:64}",
};
""", "upgradeable contract scripts"),
    N("ng-create2-salt", "neg:public-constant", "script/Deploy.s.sol", """\
bytes32 constant SALT = 0x{hex:64};
""", "foundry CREATE2 deploy script"),
    N("ng-merkle-root-env", "neg:public-constant", ".env.example", """\
MERKLE_ROOT=0x{hex:64}
AIRDROP_TOKEN={eth_address}
""", "airdrop distributor config"),
    N("ng-genesis-hash", "neg:public-constant", "chains.json", """\
{"chainId": 1, "genesisHash": "0x{hex:64}", "name": "mainnet"}
""", "chain registry"),
    N("ng-eip712-typehash-ts", "neg:public-constant", "src/eip712.ts", """\
export const EIP712_DOMAIN_TYPEHASH = '0x{hex:64}'
""", "signing library"),
    # references to secrets held elsewhere
    N("ng-vault-ref-env", "neg:secret-ref", ".env", """\
BINANCE_API_K{~}EY=vault:secret/data/trading/binance#api_key
BINANCE_API_SEC{~}RET=vault:secret/data/trading/binance#api_secret
""", "bots run under vault-env / bank-vaults"),
    N("ng-aws-arn", "neg:secret-ref", "serverless.yml", """\
environment:
  BINANCE_SECRET_ARN: arn:aws:secretsmanager:eu-west-1:123456789012:secret:binance-api-AbCdEf
""", "serverless bot"),
    N("ng-gh-secrets", "neg:secret-ref", ".github/workflows/deploy.yml", """\
    env:
      BINANCE_API_KEY: ${{ secrets.BINANCE_API_KEY }}
      BINANCE_API_SECRET: ${{ secrets.BINANCE_API_SECRET }}
""", "GitHub workflows"),
    N("ng-1password-ref", "neg:secret-ref", ".env.tpl", """\
KRAKEN_API_KEY=op://Trading/Kraken/username
KRAKEN_API_SECRET=op://Trading/Kraken/credential
""", "op run templates"),
    N("ng-consul-template", "neg:secret-ref", "templates/env.ctmpl", """\
{{ with secret "secret/data/binance" }}
BINANCE_API_SECRET={{ .Data.data.api_secret }}
{{ end }}
""", "consul-template"),
    N("ng-helm-values-ref", "neg:secret-ref", "templates/deployment.yaml", """\
            - name: BINANCE_API_SECRET
              value: {{ .Values.binance.apiSecret | quote }}
""", "Helm charts"),
    N("ng-secret-key-ref", "neg:secret-ref", "k8s/deployment.yaml", """\
            - name: OKX_API_SECRET
              valueFrom:
                secretKeyRef:
                  name: okx-credentials
                  key: api-secret
""", "Kubernetes deployments"),
    N("ng-external-secrets-operator", "neg:secret-ref", "externalsecret.yaml", """\
  data:
    - secretKey: BYBIT_API_SECRET
      remoteRef:
        key: trading/bybit
        property: api_secret
""", "external-secrets operator"),
    N("ng-spring-placeholder", "neg:secret-ref", "BinanceListenKeyManager.kt", """\
class BinanceListenKeyManager(
    @Value("\\${binance.apiKey}")
    private val apiKey: String,
    @Value("\\${binance.apiSecret}")
    private val apiSecret: String
)
""", "Spring Kotlin trading service"),
    N("ng-terraform-var-ref", "neg:secret-ref", "main.tf", """\
  environment_variables = {
    BINANCE_API_KEY    = var.binance_api_key
    BINANCE_API_SECRET = var.binance_api_secret
  }
""", "Terraform-deployed function"),
    N("ng-azure-keyvault-ref", "neg:secret-ref", "appsettings.Production.json", """\
{"Binance": {"Secret{~}Key": "@Microsoft.KeyVault(SecretUri=https://trader.vault.azure.net/secrets/binance-secret/)"}}
""", "Azure app settings"),
    # encrypted values
    N("ng-sops", "neg:encrypted", "secrets.enc.yaml", """\
binance:
    api_secret: ENC[AES256_GCM,data:{base64:88},iv:{base64:43}=,tag:{base64:22}==,type:str]
sops:
    version: 3.8.1
""", "SOPS-encrypted bot secrets"),
    N("ng-ansible-vault", "neg:encrypted", "group_vars/all/vault.yml", """\
kraken_api_secret: !vault |
          $ANSIBLE_VAULT;1.1;AES256
          {hex:80}
          {hex:80}
          {hex:64}
""", "Ansible-deployed bots"),
    N("ng-sealed-secrets-object", "neg:encrypted", "sealed-secret.yaml", """\
kind: SealedSecret
spec:
  encryptedData:
    BINANCE_API_SECRET: AgB{base64:300}
""", "GitOps trading cluster"),
    # (an encrypted Ethereum keystore is not here: issue 16 makes it a finding, ethereum-keystore, whose advice
    # says why: its password can be attacked offline by anyone holding the file)
    N("ng-pgp-message", "neg:encrypted", "pillar/exchange.sls", """\
exchange:
  api_secret: |
    -----BEGIN PGP MESSAGE-----

    {base64:64}
    {base64:64}
    =AbCd
    -----END PGP MESSAGE-----
""", "Salt pillar with GPG-encrypted values"),
    # environment references and reads
    N("ng-compose-env-refs", "neg:env-ref", "docker-compose.yml", """\
    environment:
      - BINANCE_API_KEY=${BINANCE_API_KEY}
      - BINANCE_API_SECRET=${BINANCE_API_SECRET}
      - TELEGRAM_TOKEN=${TELEGRAM_TOKEN}
""", "compose files of trading bots"),
    N("ng-makefile-env-refs", "neg:env-ref", "Makefile", """\
run:
\tsudo docker run --rm -e BINANCE_API_KEY=${BINANCE_API_KEY} -e BINANCE_SECRET_KEY=$(BINANCE_SECRET_KEY) bot
""", "Makefiles passing env through"),
    N("ng-kubectl-env-refs", "neg:env-ref", "k8/add-binance-secret.sh", """\
kubectl create secret generic binance --from-literal=BINANCE_API_KEY="$BINANCE_API_KEY" --from-literal=BINANCE_API_SECRET="$BINANCE_API_SECRET" --namespace $1
""", "setup scripts"),
    N("ng-windows-env-ref", "neg:env-ref", "run.bat", """\
python bot.py --k{~}ey %BINANCE_API_KEY% --sec{~}ret %BINANCE_API_SECRET%
""", "Windows launchers"),
    N("ng-template-literal-ref", "neg:env-ref", "scripts/test-tx.js", """\
const wallet = new ethers.Wallet("0x${VAL1_NODEKEY}", provider);
const other = new ethers.Wallet("0x" + process.env.PRIVATE_KEY);
""", "private chain test scripts"),
    N("ng-py-env-reads", "neg:env-read", "config.py", """\
BINANCE_API_KEY = os.getenv("BINANCE_API_KEY")
BINANCE_API_SECRET = os.environ["BINANCE_API_SECRET"]
OKX_API_KEY = getenv("OKX_API_KEY", "-1")
paper_key = str(os.environ.get("BINANCE_API_KEY_PAPER", "") or "").strip()
""", "Python bots"),
    N("ng-js-env-reads", "neg:env-read", "src/config.ts", """\
export const CONFIGS = {
  bybitKey: process.env.BY_BIT_API_KEY as string,
  bybitSecret: process.env.BIT_API_SECRET!,
  key: process.env.TEST_BYBIT_API_KEY! || "",
  vite: import.meta.env.VITE_BINANCE_KEY,
};
""", "TypeScript bots"),
    N("ng-go-env-reads", "neg:env-read", "config/binance.go", """\
type Binance struct {
\tAPIKey    string `envconfig:"BINANCE_API_KEY"`
\tAPISecret string `envconfig:"BINANCE_API_SECRET"`
}
apiKey := os.Getenv("BINANCE_PUBLIC")
""", "Go bots"),
    N("ng-rust-env-read", "neg:env-read", "src/wallet.rs", """\
std::env::var("ETHEREUM_PRIVATE_KEY").expect("ETHEREUM_PRIVATE_KEY must be set")
""", "Rust bots"),
    N("ng-jvm-env-reads", "neg:env-read", "PrivateConfig.java", """\
    public static final String API_KEY = System.getenv("BINANCE_API_KEY");
    public static final String SECRET_KEY = System.getenv("BINANCE_SECRET_KEY");
""", "Java connector examples"),
    N("ng-ruby-php-csharp-reads", "neg:env-read", "env_reads.txt", """\
@client = Binance::Spot.new(key: ENV['BN_API_KEY'], secret: ENV['BN_API_SECRET_KEY'])
$secret = getenv('BINANCE_API_SECRET');
var secret = Environment.GetEnvironmentVariable("BINANCE_API_SECRET");
""", "Ruby/PHP/C# clients"),
    N("ng-foundry-env", "neg:env-read", "script/Deploy.s.sol", """\
        uint256 deployerPrivateKey = vm.envUint("PRIVATE_KEY");
        vm.startBroadcast(deployerPrivateKey);
""", "foundry scripts"),
    N("ng-argparse-env-default", "neg:env-read", "listener.py", """\
parser.add_argument('--api_key', type=str, nargs='?', default=os.environ.get("API_KEY"), help='Exchange api key')
parser.add_argument('--api_secret_key', type=str, nargs='?', default=os.environ.get("API_SECRET_KEY"))
""", "log listener CLI"),
    N("ng-pydantic-required", "neg:env-read", "settings.py", """\
    api_key: str = Field(..., alias="BINANCE_API_KEY")
    api_secret: str = Field(..., alias="BINANCE_API_SECRET")
    BINANCE_API_KEY: str | None = None
""", "pydantic settings without defaults"),
    N("ng-notebook-userdata", "neg:env-read", "colab.ipynb", """\
%% code
from google.colab import userdata
api_key = userdata.get('BINANCE_KEY')
""", "Colab notebooks reading secrets"),
    # placeholders
    N("ng-placeholder-spanish", "neg:placeholder", "src/env.ts", """\
export const BYBIT_API_KEY = process.env.BYBIT_API_KEY || 'TU_BYBIT_API_KEY';
export const BYBIT_API_SECRET = process.env.BYBIT_API_SECRET || 'TU_BYBIT_API_SECRET';
""", "Spanish-language bot"),
    N("ng-placeholder-hash", "neg:placeholder", "IConstants.java", """\
\tstatic final String apiK{~}ey = "#apiKeyHere";
\tstatic final String secretK{~}ey = "#secretKeyHere";
""", "Java exchange project"),
    N("ng-placeholder-0x", "neg:placeholder", "docs/usage.md", """\
signed_tx = w3.eth.account.sign_transaction(tx, "0xYourPrivateKey")
account = TempoAccount.from_key("0x<your-private-key>")
const ethersWallet = new ethers.Wallet("0x...");
""", "SDK docs"),
    N("ng-placeholder-swift", "neg:placeholder", "Binance.swift", """\
    private class ApiDetails {
        var token = "---"
        var secret = "---"
    }
let apiKey = "<Your API Key>"
""", "Swift bots"),
    N("ng-placeholder-xxx", "neg:placeholder", "ApiConstants.java", """\
    String FUTURES_API_KEY = "xxx";
    String FUTURES_SECRET_KEY = "xxx";
    String HEADER_API_K{~}EY = "X-MBX-APIKEY";
""", "Java Binance client"),
    N("ng-placeholder-named", "neg:placeholder", "checkOrders.rb", """\
API_KEY = 'api_key_kraken'
API_SECRET = 'api_secret_kraken'
""", "Ruby Kraken playground"),
    N("ng-placeholder-repeat", "neg:placeholder", "tests/test_signing.py", """\
REQUESTER_KEY = "0x" + "11" * 32
PROVIDER_KEY = "0x" + "22" * 32
WALLET = Account.from_key("0x" + "a1" * 32)
""", "pytest fixtures building keys by repetition"),
    N("ng-placeholder-repeat-js", "neg:placeholder", "hardhat.config.ts", """\
let PRIVATE_KEY = process.env.WORKER_PRIVATE_KEY;
if (!PRIVATE_KEY) {
  PRIVATE_KEY = "0x" + "0".repeat(64);
}
""", "worker hardhat config"),
    N("ng-placeholder-k8s", "neg:placeholder", "k8s/secrets.yaml", """\
stringData:
  binance-api-key: "YOUR_BINANCE_API_KEY"
  binance-api-secret: "YOUR_BINANCE_API_SECRET"
""", "Kubernetes secret template"),
    N("ng-placeholder-env-doc", "neg:placeholder", ".env.example", """\
BINANCE_API_KEY=your_testnet_api_key
BINANCE_API_SECRET=your_testnet_api_secret
BINANCE_API_KEY_PROD=your_production_api_key
BLOCKFROST_API_KEY_MAINNET=mainnetABC456...
""", "bot READMEs"),
    N("ng-placeholder-sentence", "neg:placeholder", "hardhat.config.js", """\
const PRIVATE_KEY = 'USE YOUR PRIVATE KEY HERE'
""", "dApp course"),
    N("ng-placeholder-counting", "neg:placeholder", "tests/fixtures.py", """\
TEST_KEY = "0x{counting}"
""", "fixtures with a counting pattern"),
    N("ng-placeholder-truncated-mnemonic", "neg:placeholder", "README.md", """\
var mnemonic = "mountains supernatural bird..."; // 12 word mnemonic
MNEMONIC='add underscore separated phrase'
""", "HD wallet provider README"),
    N("ng-placeholder-systemd", "neg:placeholder", "deploy/bot.service", """\
[Service]
Environment="BINANCE_API_KEY=your_new_key_here"
Environment="BINANCE_SECRET_KEY=TU_SECRET_KEY"
Environment="BINANCE_API_SECRET=…"
""", "systemd units in bot READMEs"),
    N("ng-placeholder-non-ascii", "neg:placeholder", "docs/setup.md", """\
```powershell
$env:BINANCE_API_KEY = "你的API_Key"
$env:BINANCE_SECRET_K{~}EY = "你的Secret_Key"
```
""", "Chinese-language bot docs"),
    N("ng-placeholder-angle", "neg:placeholder", "README.md", """\
$api = new Mvaessen\\BinanceApi\\Client('<api key>','<secret>');
BINANCE_API_KEY=<YOU_API_KEY_HERE>
""", "PHP/Go bot READMEs"),
    # hashes, digests and ids
    N("ng-tx-hash", "neg:hash", "tests/test_receipts.py", """\
TX_HASH = "0x{hex:64}"
BLOCK_HASH = "0x{hex:64}"
# https://etherscan.io/tx/0x{hex:64}
""", "web3 tests"),
    N("ng-rpc-response", "neg:hash", "fixtures/receipt.json", """\
{"jsonrpc": "2.0", "id": 1, "result": {"blockHash": "0x{hex:64}", "transactionHash": "0x{hex:64}", "from": "{eth_address}", "logs": []}}
""", "RPC fixtures"),
    N("ng-package-lock", "neg:hash", "package-lock.json", """\
    "node_modules/ccxt": {
      "version": "4.5.90",
      "resolved": "https://registry.npmjs.org/ccxt/-/ccxt-4.5.90.tgz",
      "integrity": "sha512-{base64:86}=="
    }
""", "npm lock files"),
    N("ng-poetry-lock", "neg:hash", "poetry.lock", """\
[[package]]
name = "ccxt"
version = "4.5.90"
files = [
    {file = "ccxt-4.5.90-py2.py3-none-any.whl", hash = "sha256:{hex:64}"},
]
""", "poetry lock files"),
    N("ng-requirements-hash", "neg:hash", "requirements.txt", """\
ccxt==4.5.90 \\
    --hash=sha256:{hex:64} \\
    --hash=sha256:{hex:64}
""", "pip-compile --generate-hashes"),
    N("ng-go-sum", "neg:hash", "go.sum", """\
github.com/adshao/go-binance/v2 v2.6.0 h1:{base64:43}=
github.com/adshao/go-binance/v2 v2.6.0/go.mod h1:{base64:43}=
""", "Go modules"),
    N("ng-cargo-lock", "neg:hash", "Cargo.lock", """\
[[package]]
name = "ethers"
version = "2.0.14"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{hex:64}"
""", "Rust lock files"),
    N("ng-image-digest", "neg:hash", "docker-compose.yml", """\
services:
  freqtrade:
    image: freqtradeorg/freqtrade@sha256:{hex:64}
""", "pinned images"),
    N("ng-signature-doc", "neg:hash", "docs/signing.md", """\
The request `symbol=LTCBTC&side=BUY&timestamp=1499827319559` signed gives
`signature=2{hex:63}`.
""", "request signing walkthroughs"),
    N("ng-order-ids", "neg:hash", "fixtures/orders.json", """\
[{"orderId": "{uuid}", "clientOrderId": "{alnum:32}", "exchange": "kucoin", "status": "filled"}]
""", "order fixtures"),
    N("ng-git-sha", "neg:hash", "package.json", """\
{"name": "bot", "gitHead": "{hex:40}"}
""", "published package manifests"),
    # public keys and addresses
    N("ng-addresses", "neg:public", "addresses.py", """\
USDT_ADDRESS = "{eth_address}"
ROUTER = "{eth_address}"
TOKEN_MINT = "{base58_public}"
TREASURY_BTC = "{base58_public:btc}"
""", "bot constants"),
    N("ng-xpub", "neg:public", "watch-only.env", """\
XPUB={xpub}
ZPUB={xpub:zpub}
""", "watch-only wallet service"),
    N("ng-public-key-hex", "neg:public", ".env", """\
SIGNER_PUBLIC_KEY=0x{pubkey_hex}
""", "signature verifier"),
    N("ng-solana-pubkeys", "neg:public", "programs.json", """\
{"programId": "{base58_public}", "authority": "{base58_public}"}
""", "Solana program registry"),
    # published test vectors and documented example keys
    N("ng-hardhat-key0", "neg:test-vector", "hardhat.config.js", """\
// Default Hardhat account #0 private key (publicly known test key)
const DEFAULT_PRIVATE_KEY = '0x{hardhat_key:0}';
const privateKey = process.env.PRIVATE_KEY || DEFAULT_PRIVATE_KEY;
""", "hardhat configs"),
    N("ng-anvil-keys-py", "neg:test-vector", "demo/transfer.py", """\
acc0_pk = "0x{hardhat_key:0}"
acc1_pk = "0x{hardhat_key:1}"
""", "local-chain demos"),
    N("ng-anvil-mnemonic", "neg:test-vector", "foundry.toml", """\
[profile.default]
mnemonic = "{public_vector:hardhat_mnemonic}"
""", "foundry configs"),
    N("ng-bip39-vector", "neg:test-vector", "tests/test_bip39.py", """\
VECTOR = "{public_vector:bip39}"
""", "BIP39 library tests"),
    N("ng-bip32-vector", "neg:test-vector", "tests/test_bip32.py", """\
MASTER = "{public_vector:bip32}"
""", "BIP32 library tests"),
    N("ng-wif-wiki", "neg:test-vector", "tests/test_wif.py", """\
WIF_EXAMPLE = "{public_vector:wif}"
""", "Bitcoin library tests"),
    N("ng-binance-docs-example", "neg:test-vector", "docs/hmac.md", """\
apiKey | {public_vector:binance_key}
secretKey | {public_vector:binance_secret}
""", "HMAC signing notes quoting Binance's documented example"),
]

# What else a bot's repository holds (issue 21.4): proxies, notification channels, CI tokens, other chains' keys,
# Authorization headers, JWTs, cut-off PEM blocks, OctoBot's encrypted config values.
BOT_EXTRAS: List[Layout] = [
    P("bx-freqtrade-https-proxy", "bot-extras", "user_data/config.json", """\
{
    "exchange": {
        "name": "htx",
        "key": "",
        "secret": "",
        "ccxt_config": {
            "httpsProxy": "http://u{digits:6}:[[proxy-url-password]]@203.0.113.{digits:2}:3128",
            "wsProxy": "http://u{digits:6}:[[proxy-url-password]]@203.0.113.{digits:2}:3128"
        }
    }
}
""", "freqtrade proxy guides: ccxt_config with an authenticated HTTP proxy for REST and websockets"),
    P("bx-ccxt-proxies-dict", "bot-extras", "arb/exchanges.py", """\
import ccxt

PROXIES = {
    'http': 'http://trader:[[proxy-url-password]]@proxy.example.net:8080',
    'https': 'http://trader:[[proxy-url-password]]@proxy.example.net:8080',
}
exchange = ccxt.okx({'proxies': PROXIES, 'enableRateLimit': True})
""", "ccxt arbitrage script: a requests-style proxies dict passed to the constructor"),
    P("bx-env-socks", "bot-extras", ".env", """\
EXCHANGE=binance
ALL_PROXY=socks5h://bot{digits:3}:[[proxy-url-password]]@198.51.100.{digits:2}:1080
""", "Telegram-controlled bot behind a SOCKS proxy, .env"),
    P("bx-proxy-authorization-basic", "bot-extras", "src/proxy.ts", """\
exchange.httpProxy = 'http://10.0.0.{digits:1}:3128';
exchange.headers = { ...exchange.headers, 'Proxy-Authorization': 'Basic [[http-basic-auth]]' };
""", "ccxt TypeScript helper setting proxy credentials as a header"),
    P("bx-rpc-basic-curl", "bot-extras", "scripts/balance.sh", """\
#!/usr/bin/env bash
curl -s --data-binary '{"jsonrpc":"1.0","method":"getbalance","params":[]}' \\
  -H 'content-type: text/plain;' -H 'Authorization: Basic [[http-basic-auth]]' http://127.0.0.1:8332/
""", "bitcoind RPC script of a market-making bot"),
    P("bx-bearer-exchange-client", "bot-extras", "clients/coinbase_rest.py", """\
BASE = "https://api.coinbase.com/api/v3/brokerage"
HEADERS = {"Authorization": "Bearer [[exchange-bearer-token]]", "Content-Type": "application/json"}
""", "Coinbase REST client with a hard-coded bearer token"),
    P("bx-jwt-env", "bot-extras", ".env", """\
API_BASE=https://api.example-exchange.io
API_JWT=[[jwt-credential]]
""", "copy-trading bot .env with a signed API token"),
    P("bx-jwt-ts-const", "bot-extras", "src/config.ts", """\
export const AUTH_TOKEN = "[[jwt-credential]]";
""", "TypeScript dashboard of a bot: session token committed as a constant"),
    P("bx-pem-cut-off", "bot-extras", "keys/exchange_rsa.pem", """\
[[pem-truncated]]
""", "RSA API key of an exchange pasted into a key file and cut off"),
    P("bx-octobot-config", "bot-extras", "user/config.json", """\
{
  "exchanges": {
    "kucoin": {
      "api-key": "[[octobot-fernet:{fernet:24}]]",
      "api-password": "[[octobot-fernet:{fernet:12}]]",
      "api-secret": "[[octobot-fernet:{fernet:36}]]",
      "web-socket": false
    }
  },
  "trader": {"enabled": true, "load-trade-history": true}
}
""", "OctoBot user/config.json committed with its (encrypted) exchange credentials"),
    P("bx-sui-env", "bot-extras", ".env", """\
SUI_NETWORK=mainnet
SUI_PRIVATE_KEY=[[sui-private-key]]
""", "Sui DEX bot .env"),
    P("bx-sui-ts-decode", "bot-extras", "src/signer.ts", """\
const { secretKey } = decodeSuiPrivateKey("[[sui-private-key]]");
const keypair = Ed25519Keypair.fromSecretKey(secretKey);
""", "Sui TypeScript signer"),
    P("bx-aptos-profile", "bot-extras", ".aptos/config.yaml", """\
---
profiles:
  default:
    network: Mainnet
    private_key: "[[aptos-private-key]]"
    public_key: "0x{hex:64}"
    account: {hex:64}
    rest_url: "https://fullnode.mainnet.aptoslabs.com"
""", "Aptos CLI profile committed with a bot"),
    P("bx-aptos-aip80-env", "bot-extras", ".env", """\
APTOS_PRIVATE_KEY=[[aptos-private-key:ed25519-priv-0x{hex:64}]]
""", "Aptos trading script .env (AIP-80 form)"),
    P("bx-terra-mnemonickey", "bot-extras", "terra_arb.py", """\
from terra_sdk.client.lcd import LCDClient
from terra_sdk.key.mnemonic import MnemonicKey

mk = MnemonicKey(mnemonic="[[cosmos-mnemonic]]")
""", "Terra arbitrage bot"),
    P("bx-cosmjs-wallet", "bot-extras", "src/wallet.js", """\
const wallet = await DirectSecp256k1HdWallet.fromMnemonic("[[cosmos-mnemonic]]", { prefix: "osmo" });
""", "Osmosis bot with cosmjs"),
    P("bx-pushover-js-consts", "bot-extras", "api/notify-test.js", """\
const PUSHOVER_TOKEN = '[[notification:a{lowalnum:29}]]'
const PUSHOVER_USER  = 'u{lowalnum:29}'
""", "BTC alert function testing its Pushover setup"),
    P("bx-pushover-requests", "bot-extras", "alerts.py", """\
import requests

requests.post("https://api.pushover.net/1/messages.json",
              data={"token": "[[notification:a{lowalnum:29}]]", "user": USER_KEY, "message": text})
""", "trading bot alerts through Pushover"),
    P("bx-twilio-client", "bot-extras", "sms.py", """\
from twilio.rest import Client

client = Client("AC{hex:32}", "[[notification:{hex:32}]]")
""", "price alert bot sending SMS"),
    P("bx-dingtalk-secret", "bot-extras", "config/notify.yaml", """\
dingtalk:
  webhook: https://oapi.dingtalk.com/robot/send?access_token=${DING_TOKEN}
  secret: [[notification:SEC{hex:64}]]
""", "quant bot notifying a DingTalk group (signed robot)"),
    P("bx-coveralls-yml", "bot-extras", ".coveralls.yml", """\
service_name: travis-pro
repo_token: [[coveralls]]
""", "open-source bot library with its Coveralls token"),
    P("bx-travis-coveralls", "bot-extras", ".travis.yml", """\
language: python
env:
  global:
    - COVERALLS_REPO_TOKEN=[[coveralls:{alnum:37}]]
""", "bot library's Travis configuration"),
    N("ng-proxy-template", "neg:placeholder", "config.example.json", """\
{"exchange": {"ccxt_config": {"aiohttp_proxy": "http://user:pass@proxy:port", "httpsProxy": "http://{{user}}:{{password}}@host:3128"}}}
""", "example configs of freqtrade forks"),
    N("ng-proxy-env-refs", "neg:env-ref", ".env.example", """\
HTTPS_PROXY=http://${PROXY_USER}:${PROXY_PASS}@${PROXY_HOST}:3128
""", "proxy setups reading the parts from the environment"),
    N("ng-basic-built", "neg:secret-ref", "client.py", """\
token = base64.b64encode(f"{user}:{password}".encode()).decode()
headers = {"Authorization": f"Basic {token}"}
""", "clients building Basic credentials at run time"),
    N("ng-supabase-anon", "neg:public-constant", ".env.local", """\
NEXT_PUBLIC_SUPABASE_URL=https://{lower:20}.supabase.co
NEXT_PUBLIC_SUPABASE_ANON_KEY={jwt:anon}
""", "bot dashboards on Supabase (the anon key is public by design)"),
    N("ng-jwt-tutorial", "neg:test-vector", "docs/auth.md", """\
Send the token in a header, e.g. `Authorization: Bearer {jwt:example}`.
""", "API docs quoting the tutorials' example token"),
    N("ng-octobot-placeholders", "neg:placeholder", "user/config.json", """\
{"exchanges": {"binance": {"api-key": "YOUR_BINANCE_API_KEY_ENCRYPTED", "api-secret": "YOUR_BINANCE_API_SECRET_ENCRYPTED"}}}
""", "OctoBot's documented manual configuration"),
    N("ng-public-pem-cut", "neg:public", "certs/exchange.pem", """\
-----BEGIN PUBLIC KEY-----
{base64:64}
{base64:64}
""", "exchanges' RSA public keys for response signatures, cut off"),
]


# Venues and services of the tables (issue 21), as their users' bots and SDK examples write them.
VENUES: List[Layout] = [
    P("vn-hl-sdk-config", "venues", "examples/config.json", """\
{
    "comment": "secret_key: the API wallet's private key; account_address: the main wallet",
    "secret_key": "[[venue=hyperliquid/privateKey]]",
    "account_address": "{eth_address}"
}
""", "Hyperliquid SDK example config copied into a bot, filled in (no venue name in the file)"),
    P("vn-hl-env", "venues", ".env", """\
HYPERLIQUID_PRIVATE_KEY=[[venue=hyperliquid/privateKey]]
HYPERLIQUID_TESTNET=false
HYPERLIQUID_ACCOUNT_ADDRESS={eth_address}
""", "Hyperliquid MCP server and bots: .env beside a config.json"),
    P("vn-hl-agent-kwargs", "venues", "hl/client.py", """\
from hyperliquid.exchange import Exchange
from hyperliquid.utils import constants

AGENT_SECRET_KEY = "[[venue=hyperliquid/privateKey]]"
exchange = Exchange(wallet, constants.MAINNET_API_URL, account_address=MAIN_ADDRESS)
""", "Hyperliquid grid bot: an agent (API wallet) key as a module constant"),
    P("vn-poly-clob-key", "venues", "polybot/key.py", """\
from py_clob_client.client import ClobClient

host: str = "https://clob.polymarket.com"
key: str = "[[venue=polymarket/privateKey]]"  # exported from the wallet
chain_id: int = 137
client = ClobClient(host, key=key, chain_id=chain_id, signature_type=1, funder=PROXY_ADDRESS)
""", "Polymarket CLOB quick-start scripts: the signer key under `key`, the host above it"),
    P("vn-poly-constants", "venues", "keys.py", """\
HOST = "https://clob.polymarket.com"
CHAIN_ID = 137
PRIVATE_KEY = "[[venue=polymarket/privateKey]]"
SIGNATURE_TYPE = 2
""", "Polymarket bots deriving their L2 credentials from the wallet key"),
    P("vn-poly-l2-env", "venues", ".env", """\
CLOB_API_URL=https://clob.polymarket.com
PK=[[venue=polymarket/privateKey]]
CLOB_API_KEY=[[venue=polymarket/apiKey]]
CLOB_SECRET=[[venue=polymarket/secret]]
CLOB_PASS_PHRASE=[[venue=polymarket/password]]
""", "py-clob-client examples' environment: signer key and the three L2 credentials"),
    P("vn-lighter-env", "venues", ".env", """\
LIGHTER_API_KEY_INDEX=3
LIGHTER_ACCOUNT_INDEX={digits:6}
LIGHTER_API_PRIVATE_KEY=[[venue=lighter/privateKey]]
""", "Lighter market makers: the API key's private key with its index and account index"),
    P("vn-lighter-signer", "venues", "lighter_bot.py", """\
client = SignerClient(
    url="https://mainnet.zklighter.elliot.ai",
    private_key="[[venue=lighter/privateKey]]",
    api_key_index=2,
    account_index=ACCOUNT_INDEX,
)
""", "Lighter SDK samples: SignerClient keyword arguments"),
    P("vn-dydx-v3-stark", "venues", "market_maker/market.py", """\
client = Client(
    host='https://api.dydx.exchange',
    web3=Web3(provider),
    stark_private_key='[[venue=dydx/starkPrivateKey]]',
)
""", "dYdX v3 market makers (closed venue; keys still in history)"),
    P("vn-dydx-ts-mnemonic", "venues", "src/constants.ts", """\
export const DYDX_ADDRESS = 'dydx1{lowalnum:38}';
export const DYDX_MNEMONIC = '[[venue=dydx/mnemonic]]';
""", "dYdX v4 TypeScript bots: the trading wallet's mnemonic beside its address"),
    P("vn-paradex-l2", "venues", "test_auth.py", """\
from paradex_py import Paradex

L2_ADDRESS = "0x{hex:63}"
L2_PRIVATE_KEY = "[[venue=paradex/starkPrivateKey]]"
paradex = Paradex(env='prod')
paradex.init_account(l1_address=L1_ADDRESS, l2_private_key=L2_PRIV{~}ATE_KEY)
""", "Paradex subkey scripts: the Starknet key as a constant"),
    P("vn-alpaca-constants", "venues", "apisetup.py", """\
import alpaca_trade_api as tradeapi

API_KEY = '[[venue=alpaca/apiKey]]'
API_SECRET = '[[venue=alpaca/secret]]'
BASE_URL = 'https://paper-api.alpaca.markets'
api = tradeapi.REST(API_KEY, API_SECRET, base_url=BASE_URL, api_version='v2')
""", "Alpaca bots: key pair as constants above the paper URL"),
    P("vn-alpaca-apca-env", "venues", ".env", """\
APCA_API_BASE_URL=https://paper-api.alpaca.markets
APCA_API_KEY_ID=[[venue=alpaca/apiKey]]
APCA_API_SECRET_KEY=[[venue=alpaca/secret]]
""", "Alpaca's own environment variable names"),
    P("vn-backpack-env", "venues", ".env", """\
BACKPACK_API_KEY=[[venue=backpack/apiKey]]
BACKPACK_API_SECRET=[[venue=backpack/secret]]
""", "Backpack exchange bots (Ed25519 keys, base64)"),
    P("vn-cmc-session", "venues", "crypto_tracker.py", """\
from requests import Session

key = '[[service=coinmarketcap/api_key]]'
url = 'https://pro-api.coinmarketcap.com/v1/cryptocurrency/quotes'
headers = {'Accepts': 'application/json', 'X-CMC_PRO_API_KEY': key}
""", "CoinMarketCap quick-start scripts: the key assigned above the URL, used in a header"),
    P("vn-cmc-header", "venues", "cmc.py", """\
class CoinMarketCap:
    base_url = "https://pro-api.coinmarketcap.com"

    def __init__(self):
        headers = {"Accepts": "application/json", "X-CMC_PRO_API_KEY": "[[service=coinmarketcap/api_key]]"}
""", "CoinMarketCap client classes: the key in the header literal"),
    P("vn-coingecko-fetch", "venues", "assets/js/index.js", """\
const options = {
    method: 'GET',
    headers: { accept: 'application/json', 'x-cg-demo-api-key': '[[service=coingecko/api_key]]' }
};
const requestUrl = 'https://api.coingecko.com/api/v3/coins/markets?vs_currency=usd';
""", "CoinGecko demo-key front ends"),
    P("vn-coingecko-config", "venues", "src/config/coingecko.js", """\
export const COINGECKO_CONFIG = {
  API_KEY: '[[service=coingecko/api_key]]',
  BASE_URL: 'https://api.coingecko.com/api/v3',
};
""", "CoinGecko config modules"),
    P("vn-cryptocompare-env", "venues", ".env", """\
CRYPTOCOMPARE_API_KEY=[[service=cryptocompare/api_key]]
""", "price bots using CryptoCompare (a market-data key, not Crypto.com's)"),
    N("ng-vn-hl-addresses", "neg:public", ".env", """\
HYPERLIQUID_ACCOUNT_ADDRESS={eth_address}
HYPERLIQUID_VAULT_ADDRESS={eth_address}
""", "Hyperliquid bots: main wallet and vault addresses"),
    N("ng-vn-lighter-indexes", "neg:public", ".env", """\
LIGHTER_ACCOUNT_INDEX={digits:6}
LIGHTER_API_KEY_INDEX=2
""", "Lighter bots: account and key indexes"),
    N("ng-vn-poly-funder", "neg:public", "config.py", """\
POLYMARKET_FUNDER = "{eth_address}"
POLYMARKET_PROXY_ADDRESS = "{eth_address}"
""", "Polymarket bots: the proxy wallet holding the funds"),
    N("ng-vn-env-reads", "neg:env-read", "settings.py", """\
CRYPTOCOMPARE_API_KEY = os.environ["CRYPTOCOMPARE_API_KEY"]
COINGECKO_API_KEY = os.getenv("COINGECKO_API_KEY")
PARADEX_L2_PRIVATE_KEY = os.getenv("PARADEX_L2_PRIVATE_KEY", "")
""", "bots reading venue and data keys from the environment"),
]

# --- seen in session 6's held-out red-team pass (search corpus: bots' run scripts, SDK READMEs, Java/C# clients) ----
SESSION6: List[Layout] = [
    P("s6-docker-run-env-flags", "syntax:shell-args", "run-in-docker.sh", """\
docker run -d --rm --name cryptobot -e TZ=UTC -e BINANCE_API_KEY=[[Binance/key]] -e BINANCE_API_SECRET=[[Binance/secret]] image:latest
""", "bot READMEs and run scripts passing the keys as docker run -e NAME=value"),
    P("s6-kubectl-literal-pair", "syntax:shell-args", "k8/setup/add-binance-secret.sh", """\
kubectl create secret generic binance --from-literal=BINANCE_API_KEY=[[Binance/key]] --from-literal=BINANCE_API_SECRET=[[Binance/secret]] --namespace $1
""", "k8s setup scripts creating an exchange secret from literals"),
    P("s6-pybit-mainnet-suffix", "suffix-affix", "strategy/config_strategy_api.py", """\
from pybit import usdt_perpetual

api_key_mainnet = "[[Bybit/key]]"
api_secret_mainnet = "[[Bybit/secret]]"
api_key = api_key_mainnet if mode == "live" else api_key_testnet
""", "pybit stat-arb bots: one key pair per network, chosen by a mode flag"),
    P("s6-tronpy-bytes-fromhex", "signer", "send_trx.py", """\
from tronpy.keys import PrivateKey

priv_key = PrivateKey(bytes.fromhex("[[eth-private-key]]"))
""", "tronpy transfer scripts (the README's own example shape)"),
    P("s6-okx-auth-positional", "plain", "okx/auth.py", """\
auth = OkxAuth('[[OKX/key]]', '[[OKX/secret]]', passphrase, False, False, '0')
""", "OKX REST wrappers constructed with the key and secret as literals"),
    P("s6-binance-java-factory", "syntax:java", "src/main/java/bot/Main.java", """\
BinanceApiClientFactory factory = BinanceApiClientFactory.newInstance("[[Binance/key]]", "[[Binance/secret]]");
BinanceApiRestClient client = factory.newRestClient();
""", "binance-java-api users: the factory takes key and secret"),
    P("s6-next-public-secret", "credential-words", ".env.local", """\
NEXT_PUBLIC_BINANCE_API_KEY=[[Binance/key]]
NEXT_PUBLIC_BINANCE_SECRET_KEY=[[Binance/secret]]
NEXT_PUBLIC_SIGNER_PRIVATE_KEY=[[eth-private-key:{eth_key:0x}]]
""", "Next.js front ends reading process.env.NEXT_PUBLIC_BINANCE_SECRET_KEY"),
    P("s6-solana-keypair-hex", "signer", "scripts/keypair.js", """\
const privateKeyHex = '[[solana-keypair:{solana_keypair:hex}]]';
const keypair = Keypair.fromSecretKey(new Uint8Array(Buffer.from(privateKeyHex, 'hex')));
""", "Solana conversion scripts keeping the 64-byte keypair as hex"),
    P("s6-postman-environment", "syntax:json-escape", "binance.postman_environment.json", """\
{
  "name": "Binance Spot",
  "values": [
    {
      "key": "binance-api-key",
      "value": "[[Binance/key]]",
      "enabled": true
    },
    {
      "key": "binance-api-secret",
      "value": "[[Binance/secret]]",
      "enabled": true
    }
  ]
}
""", "exchanges' Postman environment files with the current values filled in"),
    P("s6-arduino-define", "syntax:c", "variables.h", """\
#ifndef variables
#define variables

#define __API_KEY__ "[[Binance/key]]"
#define __API_SECRET__ "[[Binance/secret]]"

#define __PORT__ 443
#define __BINANCE_HOST_NAME__ "api.binance.com"
#endif
""", "Arduino/ESP32 Binance tickers and bots: the key pair as #define in a header"),
    N("s6-ng-header-name-constants", "neg:public-constant", "okx/consts.py", """\
CONTENT_TYPE = 'Content-Type'
OK_ACCESS_KEY = 'OK-ACCESS-KEY'
OK_ACCESS_SIGN = 'OK-ACCESS-SIGN'
OK_ACCESS_TIMESTAMP = 'OK-ACCESS-TIMESTAMP'
OK_ACCESS_PASSPHRASE = 'OK-ACCESS-PASSPHRASE'
""", "OKX REST SDK forks: header names as constants"),
    N("s6-ng-docker-env-pass-through", "neg:env-read", "run-in-docker.sh", """\
docker run -it --rm -e TELEGRAM_KEY -e REDIS_PASSWORD -e BINANCE_API_KEY -e BINANCE_API_SECRET -v $PWD/.env:/app/.env image ./service.ts
""", "bots passing the caller's environment through to the container"),
]

LAYOUTS: List[Layout] = (SUFFIX_AFFIX + CREDENTIAL_WORDS + ENV_FALLBACK + LISTS_MAPS + SYNTAX + ENCODED + NOTEBOOK
                         + SIGNER + MNEMONIC + PLAIN + VENUES + NEGATIVES + BOT_EXTRAS + SESSION6)
_BY_ID: Dict[str, Layout] = {lay.id: lay for lay in LAYOUTS}
