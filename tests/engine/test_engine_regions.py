"""The region scanner against the whole-file scanner it replaced.

Before regions, a rule's regex ran over the whole buffer whenever one of its keywords occurred anywhere in it
(rules without keywords always ran). Now each rule runs only around its keywords' occurrences, and keyword-less
rules from where a combined search first finds them. These tests hold the two to the same findings on big,
keyword-dense and keyword-sparse files, and check the parts (keyword positions, region matching, the keyword-less
gate, binary sniffing) against brute-force definitions. The documented limits of regions are tested as such.
Every key is generated here from a fixed seed.
"""
from __future__ import annotations

import base64
import io
import os
import random
import re

import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto_key_guard.engine import scanner as engine
from crypto_key_guard.engine.extract import names
from crypto_key_guard.engine.scanner import SNIFF_BYTES, KeywordIndex, Scanner, region_spans
from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.findings import Fingerprinter
from crypto_key_guard.engine.rules import Rule, default_rules

RULESET = default_rules()
UNKEYED = [r.id for r in RULESET.rules if not r.keywords and r.value is None]  # pattern rules: one combined gate
UNKEYED_NAMES = [r.id for r in RULESET.rules if not r.keywords and r.value is not None]  # around their value shape
EXAMPLES = [(rule.id, i, template) for rule in RULESET.rules for i, template in enumerate(rule.examples["match"])]


# -- the reference: the file-level scanner --------------------------------------------------------------------
def whole_file_scanner(**kwargs) -> Scanner:
    """A Scanner that runs each rule over the whole buffer when any of its keywords occurs anywhere in it (or it
    has none): the semantics before keyword regions. Everything else is the real scanner's code."""
    scanner = Scanner(RULESET, **kwargs)
    index = scanner._active()

    def plan(data: bytes, gated: bool = True):
        lowered = data.lower()
        return [(rule, None) for rule in index.active if not rule.keywords or any(k in lowered for k in rule.keywords)]
    index.plan = plan
    return scanner


def keyed(findings) -> list[tuple]:
    return [(f.rule, f.line, f.column, f.fingerprint) for f in findings]


def assert_same_findings(data: bytes, **kwargs) -> list[tuple]:
    expected = keyed(whole_file_scanner(**kwargs).scan_bytes(data))
    actual = keyed(Scanner(RULESET, **kwargs).scan_bytes(data))
    if actual != expected:
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        pytest.fail(f"region scan differs from whole-file scan: missing {missing[:5]}, extra {extra[:5]}")
    return expected


# -- filler: trading-bot code, dense with keywords, no secrets of its own ------------------------------------------
EXCHANGES = ["binance", "coinbase", "kraken", "okx", "bybit", "kucoin", "bitfinex", "gemini", "bitmex", "bitget",
             "gate", "htx", "huobi", "mexc", "poloniex", "deribit", "bitstamp", "bitvavo", "crypto.com", "cbpro"]
PROSE = ("the key secret token private passphrase wallet accounts signer keystore rotate never commit vault "
         "order book spread maker taker fee nonce signature request exchange api rate limit retry backoff "
         "deployer keypair mnemonic seed phrase broadcast infura alchemy etherscan moralis scan public "
         "pkey prv master account- bg_ mx0 x-mbx- ok-access kc-api cb-access /apikeys/ gdax okex").split()
CODE = [
    '    %(ex)s_api_key = os.environ["%(EX)s_API_KEY"]  # the key lives in the vault, not here',
    '    client = ccxt.%(ex)s({"apiKey": cfg.%(ex)s.key, "secret": cfg.%(ex)s.secret, "enableRateLimit": True})',
    '    token = await session.refresh_token(account="%(ex)s", ttl=%(n)d)',
    'def sign_%(ex)s_request(secret: bytes, payload: bytes) -> str:',
    '    signature = hmac.new(secret, payload, hashlib.sha256).hexdigest()',
    '    headers["X-MBX-APIKEY"] = self.key if self.key else None',
    '    price = book["bids"][%(n)d][0] * (1 + slippage)  # %(prose)s',
    '# %(prose)s',
    '    private_key = load_private_key(path=KEYSTORE / "%(ex)s.pem", passphrase=None)',
    '    wallet = Wallet.from_keystore(keystore_path, password=getpass())',
    '    rpc = f"https://mainnet.infura.io/v3/{INFURA_PROJECT_ID}"',
    '    etherscan = Etherscan(api_key=settings.ETHERSCAN_KEY)',
    '    pk = signer.public_key().hex()  # public half only',
    '    log.info("order %%s filled at %%s on %(ex)s", order_id, price)',
    '    for accounts in chunks(deployer_accounts, %(n)d):',
    '    "%(ex)s": {"key": "${%(EX)s_KEY}", "secret": "${%(EX)s_SECRET}", "passphrase": "${%(EX)s_PASSPHRASE}"},',
    '    order_id = "%(hex)s-%(n)d"',
    '    if not secret_key or len(secret_key) < MIN_KEY_LEN: raise ConfigError("%(ex)s secret missing")',
    '    return {"pkey": pkey_path, "keypair": keypair_file, "tokenType": "Bearer"}',
    '',
]


def filler_lines(rng: random.Random, size: int, prose: bool = True) -> list[str]:
    """Lines of bot code of about `size` bytes. prose=False: no long runs of lower-case words (no bip39-shaped
    text), so keyword-less rules find nothing in it."""
    lines: list[str] = []
    total = 0
    while total < size:
        ex = rng.choice(EXCHANGES)
        if prose:
            words = " ".join(rng.choice(PROSE) for _ in range(rng.randint(3, 40)))
        else:
            words = ", ".join(rng.choice(PROSE) for _ in range(rng.randint(1, 6)))
        line = rng.choice(CODE) % {"ex": ex, "EX": ex.upper().replace(".", "_"), "n": rng.randint(0, 999),
                                   "hex": "%08x" % rng.getrandbits(32), "prose": words}
        if prose and rng.random() < 0.03:  # a long prose comment paragraph
            line = "\n".join("# " + " ".join(rng.choice(PROSE) for _ in range(14)) for _ in range(rng.randint(5, 30)))
        lines.append(line)
        total += len(line) + 1
    return lines


def quiet_lines(rng: random.Random, size: int) -> list[str]:
    """Code without any keyword: the regions around an embedded snippet's keywords stay far apart."""
    lines: list[str] = []
    total = 0
    while total < size:
        line = rng.choice(["    x = compute(%d)", "    return round(price * %d, 8)", "# fill at %d", "#%d",
                           "    total += fills[%d]", "    await asyncio.sleep(%d / 1000)"]) % rng.randint(0, 999)
        lines.append(line)
        total += len(line) + 1
    return lines


def embed(rng: random.Random, lines: list[str], snippets: list[str], midline: float = 0.0) -> bytes:
    """The filler with each snippet inserted at a random place: between lines, or (with probability midline)
    inside a line."""
    lines = list(lines)
    for snippet in snippets:
        at = rng.randrange(len(lines) + 1)
        if midline and at < len(lines) and rng.random() < midline:
            line = lines[at]
            cut = rng.randrange(len(line) + 1)
            lines[at] = line[:cut] + snippet + line[cut:]
        else:
            lines.insert(at, snippet)
    return ("\n".join(lines) + "\n").encode("utf-8")


# -- 1. equivalence with the whole-file scan ----------------------------------------------------------------------
@pytest.mark.parametrize("part", range(4))
def test_every_match_example_inside_big_filler(part: int) -> None:
    rng = random.Random(f"regions-{part}")
    cases = EXAMPLES[part::4]
    snippets = [expand(template, seeded(f"{rid}-{i}-regions")) for rid, i, template in cases]
    lines = filler_lines(rng, 300_000)
    data = embed(rng, lines, snippets)
    assert len(data) > 300_000
    found = assert_same_findings(data)
    # the comparison is not between two empty lists: every example is found where it was put
    text = data.decode("utf-8")
    lines_found = {line for _, line, _, _ in found}
    for snippet in snippets:
        first = text[: text.index(snippet)].count("\n") + 1
        if not lines_found.intersection(range(first, first + snippet.count("\n") + 1)):
            # only an example its rule misses anywhere but on a file's last line may go unfound
            alone = Scanner(RULESET).scan_bytes(f"x = 1\n{snippet}\nx = 2\n".encode("utf-8"))
            assert not alone, f"an example was not found inside the filler: {snippet[:40]!r}"


def test_filler_alone_and_medium_confidence() -> None:
    rng = random.Random("filler-alone")
    data = embed(rng, filler_lines(rng, 400_000), [])
    assert_same_findings(data)
    snippets = [expand(t, seeded(f"{rid}-{i}-medium")) for rid, i, t in EXAMPLES[::3]]
    assert_same_findings(embed(rng, filler_lines(rng, 200_000), snippets), min_confidence="medium")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(0, 12), size=st.sampled_from([2_000, 12_000, 40_000]),
       midline=st.sampled_from([0.0, 0.5]), noise=st.integers(0, 30), sparse=st.booleans())
def test_random_mixes(seed: int, count: int, size: int, midline: float, noise: int, sparse: bool) -> None:
    """Examples, stray keywords in any case and filler of sizes around the regions' reach, mixed at random:
    snippets are also cut into lines, so a value may sit anywhere relative to a region's edges. Sparse filler
    has no keywords of its own: regions are then only the snippets' own."""
    rng = random.Random(seed)
    snippets = [expand(rng.choice(EXAMPLES)[2], rng) for _ in range(count)]
    keywords = sorted({k.decode() for r in RULESET.rules for k in r.keywords})
    for _ in range(noise):
        word = rng.choice(keywords)
        snippets.append("".join(c.upper() if rng.random() < 0.5 else c for c in word))
    lines = quiet_lines(rng, size) if sparse else filler_lines(rng, size)
    assert_same_findings(embed(rng, lines, snippets, midline))


def test_examples_next_to_each_other_share_context() -> None:
    """All examples of a rule back to back: values, names and contexts of neighbours overlap regions."""
    rng = random.Random("neighbours")
    for rule in RULESET.rules:
        snippets = [expand(t, rng) for t in rule.examples["match"] + rule.examples["no_match"]]
        pad = "\n".join(filler_lines(rng, 3_000))
        data = "\n".join([pad, *snippets, pad, *reversed(snippets), pad]).encode("utf-8")
        assert_same_findings(data)


def _within_reach(case: str, rng: random.Random) -> tuple[str, str]:
    """(rule, text): a match as far from its keyword as the rule allows, or as long as its span allows."""
    pad = lambda n: ("x" * 79 + "\n") * (n // 80) + "x" * (n % 80)  # noqa: E731 (no keyword in it)
    if case == "context-at-window-edge":  # 'kraken' exactly context_window (300) bytes before the value
        head = "# kraken\n"
        name = 'api_key = "'
        return "kraken-api-key", head + pad(300 - len(head) + 2 - len(name)) + name + expand('{base64:56}"', rng)
    if case == "context-after-at-window-edge":  # 'kraken' ending exactly context_after_window (300) after the
        value = expand("{base64:56}", rng)      # value (a names rule reads its entry from around the keyword)
        return "kraken-api-key", 'api_key = "' + value + '"' + pad(300 - 1 - len("kraken")) + "kraken"
    if case == "hardhat-accounts-far":  # the array's name 3970 bytes before the key (context_window 4000)
        filler = ",\n".join(f'    "0x{i:040x}"' for i in range(79))
        text = f"accounts: [\n{filler},\n    \"{expand('{eth_key:0x}', rng)}\",\n]"
        assert 3950 < text.index("0x", len(text) - 80) < 4000
        return "ethereum-private-key-hardhat-accounts", text
    if case == "blanks-450":
        return "generic-yaml-assignment", "api_secret:" + " " * 450 + expand("{alnum:40}", rng)
    if case == "jwt-400":
        return "moralis-api-key", 'MORALIS_API_KEY = "eyJ%s.eyJ%s.%s"' % (
            expand("{b64url:40}", rng), expand("{b64url:300}", rng), expand("{b64url:43}", rng))
    assert case == "pem-30k"  # BEGIN and END lines both hold the keyword: their regions merge
    return "private-key-pem", _pem(rng, "RSA PRIVATE KEY", 22_000)


@pytest.mark.parametrize("case", ["context-at-window-edge", "context-after-at-window-edge", "hardhat-accounts-far",
                                  "blanks-450", "jwt-400", "pem-30k"])
def test_match_at_the_edge_of_its_reach(case: str) -> None:
    rng = random.Random(case)
    rule, snippet = _within_reach(case, rng)
    data = "\n".join(quiet_lines(rng, 40_000) + [snippet] + quiet_lines(rng, 40_000)).encode()
    found = assert_same_findings(data)
    assert rule in {r for r, *_ in found}


# -- pairing: a key and secret recognised by their shapes, named only by generic fields ------------------------
PAIRS = {  # an exchange key and secret named only 'api_key' / 'private_key', paired by their shapes
    "kucoin": 'api_key = "{hex:24}"\nprivate_key = "{uuid}"',
    "okx": 'api_key = "{uuid}"\nprivate_key = "{HEX:32}"',
    "poloniex": 'api_key = "{upalnum:8}-{upalnum:8}-{upalnum:8}-{upalnum:8}"\nprivate_key = "{hex:128}"',
}


@pytest.mark.parametrize("exchange", sorted(PAIRS))
def test_pair_far_from_any_keyword(exchange: str) -> None:
    """The pairing rules list the field names of the pair (secret, private_key...) as keywords: found as before."""
    rng = random.Random(exchange)
    data = "# secret\n" + "\n".join(quiet_lines(rng, 3_000)) + "\n" + expand(PAIRS[exchange], rng) + "\n"
    found = assert_same_findings(data.encode())
    assert {r for r, *_ in found} >= {f"{exchange}-api-key", f"{exchange}-api-secret"}


def test_htx_pair_far_from_any_keyword() -> None:
    """An HTX pair is recognised by the two values' shape alone (pairing). The regex engine missed it with no HTX
    name and no 'secret' within reach (a documented limit); the entries are extracted around their own names
    (access_key is a credential keyword), and every active rule, HTX's included, is applied to them."""
    rng = random.Random("htx")
    pair = expand('access_key = "{alnum:8}-{alnum:8}-{alnum:8}-{alnum:5}"\ntoken = "{alnum:8}-{alnum:8}-{alnum:8}-'
                  '{alnum:5}"', rng)
    far = ("# secret\n" + "\n".join(quiet_lines(rng, 3_000)) + "\n" + pair + "\n").encode()
    assert {r for r, *_ in keyed(whole_file_scanner().scan_bytes(far))} == {"htx-api-credential"}
    assert {r for r, *_ in keyed(Scanner(RULESET).scan_bytes(far))} == {"htx-api-credential"}
    near = ("# secret\n" + pair + "\n").encode()
    assert {r for r, *_ in keyed(Scanner(RULESET).scan_bytes(near))} == {"htx-api-credential"}


def _beyond_span(case: str, rng: random.Random) -> str:
    if case == "pem-35k":
        return _pem(rng, "RSA PRIVATE KEY", 26_000)
    if case == "jwt-5k":
        return 'MORALIS_API_KEY = "eyJ%s.eyJ%s.%s"' % (expand("{b64url:40}", rng), expand("{b64url:5000}", rng),
                                                     expand("{b64url:43}", rng))
    # hex: a random alphanumeric value may spell a venue's keyword ('cEx'), whose region would then hold the value
    return "api_secret:" + " " * 700 + expand("{hex:40}", rng)


@pytest.mark.parametrize("case", ["pem-35k", "yaml-blanks"])
def test_match_longer_than_the_span_is_not_found(case: str) -> None:
    """Documented limit (README, Adding a pattern): text a pattern rule's match covers beyond its span (a PEM
    block of more than ~32 KiB), or 700 blanks between a name and its value, is out of the regions; a whole-file
    scan would find it."""
    rng = random.Random(case)
    data = "\n".join(quiet_lines(rng, 40_000) + [_beyond_span(case, rng)] + quiet_lines(rng, 40_000)).encode()
    assert whole_file_scanner().scan_bytes(data)
    assert not Scanner(RULESET).scan_bytes(data)


def test_a_names_rule_reads_its_value_past_the_region() -> None:
    """A names rule's entry is found where its name is; the value is read whole however long (a 5 KiB Moralis
    token, beyond any span: the regex engine missed it)."""
    rng = random.Random("jwt-5k")
    data = "\n".join(quiet_lines(rng, 40_000) + [_beyond_span("jwt-5k", rng)] + quiet_lines(rng, 40_000)).encode()
    assert "moralis-api-key" in {r for r, *_ in assert_same_findings(data)}


def test_a_long_moralis_token_within_its_span() -> None:
    rng = random.Random("jwt-1k")
    token = 'MORALIS_API_KEY = "eyJ%s.eyJ%s.%s"' % (expand("{b64url:40}", rng), expand("{b64url:1200}", rng),
                                                  expand("{b64url:43}", rng))
    data = "\n".join(quiet_lines(rng, 40_000) + [token] + quiet_lines(rng, 40_000)).encode()
    assert "moralis-api-key" in {r for r, *_ in assert_same_findings(data)}


# -- 2. PEM blocks longer than the default span --------------------------------------------------------------------
def _pem(rng: random.Random, label: str, der_bytes: int, sep: str = "\n") -> str:
    body = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(der_bytes))).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----{sep}" + sep.join(lines) + f"{sep}-----END {label}-----"


@pytest.mark.parametrize("der_bytes,sep", [(4_700, "\n"), (4_700, "\\n"), (9_300, "\n"), (2_400, "\r\n")],
                         ids=["rsa8192", "rsa8192-escaped", "rsa16384", "rsa4096-crlf"])
def test_long_pem_block_is_found_whole(der_bytes: int, sep: str) -> None:
    rng = random.Random(f"pem-{der_bytes}-{sep!r}")
    pem = _pem(rng, "RSA PRIVATE KEY", der_bytes, sep)
    assert len(pem) > 3 * 1024
    data = embed(rng, filler_lines(rng, 200_000), [f'PRIVATE_KEY = "{pem}"'])
    found = assert_same_findings(data)
    assert [rule for rule, *_ in found if rule.startswith("private-key")] == ["private-key-pem"]
    assert Fingerprinter()("private-key-pem", pem) in {fp for *_, fp in found}  # the whole block, not a piece


@pytest.mark.parametrize("where", ["before", "after"])
def test_long_pem_block_with_coinbase_context(where: str) -> None:
    rng = random.Random(f"cdp-{where}")
    pem = _pem(rng, "EC PRIVATE KEY", 4_700, "\\n")
    name = f"organizations/{expand('{uuid}', rng)}/apiKeys/{expand('{uuid}', rng)}"
    snippet = (f'{{"name": "{name}", "privateKey": "{pem}\\n"}}' if where == "before"
               else f'{{"privateKey": "{pem}\\n", "name": "{name}"}}')
    data = embed(rng, filler_lines(rng, 200_000), [snippet])
    found = assert_same_findings(data)
    assert Fingerprinter()("coinbase-cdp-private-key", pem) in {fp for *_, fp in found}


# -- 3. keyword positions -------------------------------------------------------------------------------------------
def _rule(keywords: list[bytes]) -> Rule:
    return Rule(id="t", description="t", regex=None, group=1, keywords=tuple(keywords), source="test")


SHIPPED_INDEX = KeywordIndex(RULESET.rules)
# prefixes of each other, overlapping, regex-special and non-ASCII keywords
CUSTOM_INDEX = KeywordIndex([_rule([b"k", b"ke", b"key", b"keys", b"ey", b"pk", b"pkey", b"aa", b"aaa"]),
                             _rule([b"a.b", b"/x/", b"[k]", "clé".encode(), b"x-"])])


def brute_positions(index: KeywordIndex, data: bytes) -> dict[int, list[int]]:
    """Every occurrence; a word-start keyword's only where a word of names.py's split starts (xt not in next)."""
    lowered = data.lower()
    word_starts = {m.start() for m in _WORDS.finditer(data)}
    found: dict[int, list[int]] = {}
    for i, k in enumerate(index.keywords):
        at = lowered.find(k)
        while at >= 0:
            if i not in index._word_start or at in word_starts:
                found.setdefault(i, []).append(at)
            at = lowered.find(k, at + 1)
    return found


_WORDS = re.compile(names._SPLIT.pattern.encode())


def _fragments(index: KeywordIndex) -> st.SearchStrategy[bytes]:
    words = list(index.keywords)
    return st.one_of(
        st.sampled_from(words),
        st.sampled_from(words).map(lambda w: w.upper()),
        st.sampled_from(words).flatmap(lambda w: st.integers(0, len(w)).map(lambda n: w[:n] + w[n:].upper())),
        st.sampled_from(words).map(lambda w: w[1:]),
        st.sampled_from(["\u212a", "\u017f", "\u0131", "\u00c9", "\u00e9", "K", "Y"]).map(str.encode),
        st.binary(max_size=3),
    )


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_positions_equal_brute_force(data) -> None:
    for index in (SHIPPED_INDEX, CUSTOM_INDEX):
        text = b"".join(data.draw(st.lists(_fragments(index), max_size=40)))
        assert index.positions(text) == brute_positions(index, text)


def test_positions_overlapping_and_ascii_only() -> None:
    index = CUSTOM_INDEX
    ids = {k: i for i, k in enumerate(index.keywords)}
    got = index.positions(b"PKEYS aaaa")
    assert got[ids[b"pk"]] == [0] and got[ids[b"pkey"]] == [0]
    assert got[ids[b"k"]] == got[ids[b"ke"]] == got[ids[b"key"]] == got[ids[b"keys"]] == [1]
    assert got[ids[b"ey"]] == [2] and got[ids[b"aa"]] == [6, 7, 8] and got[ids[b"aaa"]] == [6, 7]
    # bytes.lower() folds ASCII only: the Kelvin sign, long s and dotless i are not k, s, i
    assert index.positions("\u212aey \u212aEYS".encode()) == {ids[b"ey"]: [3, 9]}
    assert SHIPPED_INDEX.positions("\u212aey \u017fecret to\u212aen \u212araken".encode()) == {}
    ascii_found = SHIPPED_INDEX.positions(b"Key Secret KRAKEN")
    assert {b"key", b"secret", b"kraken"} <= {SHIPPED_INDEX.keywords[i] for i in ascii_found}
    assert "clé".encode() not in {index.keywords[i] for i in index.positions("CLÉ".encode())}
    assert {index.keywords[i] for i in index.positions("Clé".encode())} == {"clé".encode()}


# -- 4. rules without keywords -------------------------------------------------------------------------------------
def _quiet_filler(rng: random.Random, size: int) -> str:
    return "\n".join(filler_lines(rng, size, prose=False)) + "\n"


QUIET = _quiet_filler(random.Random("quiet"), 1_500_000)


def test_filler_has_no_keywordless_match() -> None:
    data = QUIET.encode()
    for rid in UNKEYED:
        assert RULESET.by_id(rid).regex.search(data) is None, rid
    for rid in UNKEYED_NAMES:
        assert RULESET.by_id(rid).value.search(data) is None, rid


def _late_unkeyed_document(rng: random.Random) -> tuple[bytes, dict[str, str]]:
    """Megabytes of quiet filler, then one value of each keyword-less rule, each after the previous one, with a
    second telegram token at the very end (its rule already started)."""
    planted = {
        "telegram-bot-token": f"{rng.randint(10**8, 10**9)}:{expand('{b64url:35}', rng)}",
        "bip39-mnemonic": expand("{mnemonic:12}", rng),
        "bip39-mnemonic-lines": expand("{mnemonic:12,lines}", rng),
        "bitcoin-wif-private-key": expand("{wif}", rng),
        "solana-keypair": expand("{solana_keypair}", rng),
        "ethereum-private-key-env": expand("{eth_key}", rng),
        "telegram-bot-token#2": f"{rng.randint(10**8, 10**9)}:{expand('{b64url:35}', rng)}",
    }
    lines = {
        "telegram-bot-token": 'BOT = "%s"',
        "bip39-mnemonic": 'seed = "%s"',
        "bip39-mnemonic-lines": "%s",
        "bitcoin-wif-private-key": 'wif = "%s"',
        "solana-keypair": "%s",
        "ethereum-private-key-env": "DEPLOYER=%s",
        "telegram-bot-token#2": "notify: %s",
    }
    parts = [QUIET]
    for rid, value in planted.items():
        parts += [lines[rid] % value + "\n", _quiet_filler(rng, 150_000)]
    return "".join(parts).encode(), planted


def test_keywordless_rules_found_late_in_a_big_file() -> None:
    rng = random.Random("late")
    data, planted = _late_unkeyed_document(rng)
    assert len(data) > 2_000_000
    found = assert_same_findings(data)
    for rid, value in planted.items():  # where two mnemonic rules overlap, either may report the value
        assert any(Fingerprinter()(rule, value) == fp for rule, *_, fp in found), rid
    # the keyword-less rules start at their first match, all of them after the quiet megabytes
    starts = Scanner(RULESET)._active()._unkeyed_starts(data)
    assert {rid.split("#")[0] for rid in planted} - set(UNKEYED_NAMES) <= set(starts) <= set(UNKEYED)
    assert min(starts.values()) >= len(QUIET)


def test_keywordless_rules_all_run_when_they_cannot_be_combined(monkeypatch) -> None:
    rng = random.Random("late")
    data, _ = _late_unkeyed_document(rng)
    normal = keyed(Scanner(RULESET).scan_bytes(data))
    monkeypatch.setattr(engine, "_any_of", lambda patterns: None)
    scanner = Scanner(RULESET)
    index = scanner._active()
    plan = {rule.id: regions for rule, regions in index.plan(b"nothing here")}
    assert {rid: plan.get(rid) for rid in UNKEYED} == {rid: [(0, 12)] for rid in UNKEYED}
    assert keyed(scanner.scan_bytes(data)) == normal
    assert normal == keyed(whole_file_scanner().scan_bytes(data))


# -- 5. region matching: the google-re2 fast path against the public API ------------------------------------------
class PublicOnly:
    """A compiled regex seen through its public API only (what region_spans falls back to)."""

    def __init__(self, regex) -> None:
        self._regex = regex

    def search(self, text, pos, endpos):
        return self._regex.search(text, pos, endpos)


PATTERNS = [rb"\bab\b", rb"^a", rb"(?m)^ab$", rb"b$", rb"b*", rb"", rb"(a)|(b)", rb"(?P<secret>a+)(?:[^a]|$)",
            rb"a*?", rb"(?m)^(?:a|\n)*$", rb"\Bb"]


def _spans(regex, data, regions, group, overlapping):
    return list(region_spans(regex, data, regions, group, overlapping))


def test_fast_path_is_the_one_under_test() -> None:
    compiled = re2.compile(b"a")
    assert engine._UNANCHORED is not None and hasattr(compiled._regexp, "Match")


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), text=st.text("ab \n", max_size=40).map(str.encode),
       cuts=st.lists(st.integers(0, 40), max_size=6), overlapping=st.booleans(), data=st.data())
def test_region_spans_fast_path_equals_public_api(pattern, text, cuts, overlapping, data) -> None:
    regex = re2.compile(pattern)
    group = data.draw(st.integers(0, regex.groups))
    cuts = sorted(min(c, len(text)) for c in cuts)
    regions = list(zip(cuts[0::2], cuts[1::2]))  # may be empty, touch each other or the buffer's edges
    assert _spans(regex, text, regions, group, overlapping) == _spans(PublicOnly(regex), text, regions, group,
                                                                      overlapping)
    # over the whole buffer, non-overlapping: the spans finditer gives (the scan before regions)
    whole = _spans(regex, text, [(0, len(text))], group, False)
    expected = []
    for m in regex.finditer(text):
        if not expected or m.span() != expected[-1][0]:  # finditer repeats an empty match after a skip
            expected.append((m.span(), m.span(group)))
    assert whole == [g for _, g in expected]


def test_region_edges_see_the_text_around_them() -> None:
    data = b"xab abx\nab"
    compiled = re2.compile(rb"\bab\b")
    # a region starting or ending inside a word: \b is decided by the bytes outside the region
    assert _spans(compiled, data, [(1, 3)], 0, False) == []
    assert _spans(compiled, data, [(4, 6)], 0, False) == []
    assert _spans(compiled, data, [(8, 10)], 0, False) == [(8, 10)]
    # ^ and $ without (?m) are the buffer's ends, never a region's
    assert _spans(re2.compile(rb"^ab"), data, [(1, 10)], 0, False) == []
    assert _spans(re2.compile(rb"ab$"), data, [(0, 3)], 0, False) == []
    assert _spans(re2.compile(rb"(?m)^ab$"), data, [(0, 10)], 0, False) == [(8, 10)]
    # empty matches advance one byte; overlapping restarts one byte after each start
    assert _spans(re2.compile(rb"b*"), b"abb", [(0, 3)], 0, False) == [(0, 0), (1, 3), (3, 3)]
    assert _spans(re2.compile(rb"aa"), b"aaaa", [(0, 4)], 0, True) == [(0, 2), (1, 3), (2, 4)]
    assert _spans(re2.compile(rb"aa"), b"aaaa", [(0, 3)], 0, True) == [(0, 2), (1, 3)]


def test_shipped_rules_fast_path_equals_public_api() -> None:
    rng = random.Random("shipped-spans")
    snippets = [expand(t, rng) for _, _, t in EXAMPLES]
    data = embed(rng, filler_lines(rng, 60_000), snippets, midline=0.3)
    index = Scanner(RULESET)._active()
    total = 0
    for rule, regions in index.plan(data):
        if rule.regex is None:  # a names rule: no regex runs on the regions, its entries are extracted there
            continue
        regions = regions or [(0, len(data))]
        compiled = rule.regex.compiled()
        group = rule.regex.secret_group
        fast = _spans(rule.regex, data, regions, group, False)
        assert fast == _spans(PublicOnly(compiled), data, regions, group, False), rule.id
        total += len(fast)
    assert total > len([1 for rid, _, _ in EXAMPLES if RULESET.by_id(rid).regex is not None])  # pattern rules


# -- 6. binary files are sniffed, never read --------------------------------------------------------------------
class CountingReader(io.RawIOBase):
    def __init__(self, raw: io.BufferedReader, seekable: bool = True) -> None:
        self.raw, self.bytes_read, self._seekable = raw, 0, seekable

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.bytes_read += len(chunk)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def close(self) -> None:
        self.raw.close()
        super().close()


@pytest.mark.parametrize("size", [SNIFF_BYTES - 1, SNIFF_BYTES, 3 << 20])
def test_binary_file_read_no_further_than_the_sniff(tmp_path, size: int) -> None:
    rng = random.Random(size)
    content = b"\x89PNG\r\n\x1a\n\0\0" + bytes(rng.getrandbits(8) for _ in range(min(size, 1 << 16) - 10))
    path = tmp_path / "blob.bin"
    path.write_bytes(content + b"\0" * (size - len(content)))
    with open(path, "rb") as raw:
        stream = CountingReader(raw)
        assert Scanner(RULESET).scan_stream(stream, "blob.bin") == ([], "binary")
        assert stream.bytes_read <= SNIFF_BYTES
        assert stream.tell() == size
    # the scan loop reports the file's size as its byte count
    opened: list[CountingReader] = []

    def opener():
        opened.append(CountingReader(open(path, "rb")))
        return opened[-1]
    assert engine._scan_one(Scanner(RULESET), "blob.bin", opener) == ([], "binary", size, None)
    assert opened[0].bytes_read <= SNIFF_BYTES
    # a stream that cannot seek is still only sniffed
    with open(path, "rb") as raw:
        stream = CountingReader(raw, seekable=False)
        assert Scanner(RULESET).scan_stream(stream, "blob.bin") == ([], "binary")
        assert stream.bytes_read <= SNIFF_BYTES


def test_value_gate_reads_key_regions_only_near_a_value_of_the_shape(rng: random.Random) -> None:
    """ethereum-private-key is keyed on `key`: its regions are read only where a run of hex (a key, or a piece of
    one joined from literals) or a base64 text long enough to hold one is near; a notebook keeps them all."""
    index = Scanner(RULESET)._active()
    plain = b"def sign(self, key):\n    return self.private_key.sign(key)\n" * 3
    # no gated rule runs there, whichever comes first in the plan (a gate left empty must not turn the next off)
    gated = {index.active[n].id for n in index._value_gates}
    assert {"ethereum-private-key", "solana-private-key-base58"} <= gated
    assert not gated & {r.id for r in index.runnable(plain)}
    key = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    piece = b'PRIVATE_KEY = ("0x%s"\n    "%s")\n' % (key[:22].encode(), key[22:].encode())
    encoded = b"data:\n  private_key: " + base64.b64encode(("0x" + key).encode()) + b"\n"
    for text in (plain + piece, plain + encoded):
        assert "ethereum-private-key" in {r.id for r in index.runnable(text)}
    assert "ethereum-private-key" in {r.id for r, _ in index.plan(plain, gated=False)}
    assert Scanner(RULESET).scan_bytes(plain + encoded, "secret.yaml")
