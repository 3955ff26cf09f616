"""The venue and service data (patterns/venues.yaml, patterns/services.yaml) that recognition reads: schema,
uniqueness of ids and words, refs are URLs, shapes are RE2, venue and service words never collide unless declared,
formats agree with the hand-written exchange rules, and the generator reproduces the committed venue file."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import re2
import yaml

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ROOT / "patterns"
STATUSES = {"confirmed", "inferred"}
FORMAT_KINDS = {"pem", "mnemonic", "free"}
WORD = re.compile(r"[a-z0-9][a-z0-9._-]*")
URL = re.compile(r"https://[^\s'\"<>]+")


def load(name: str) -> Any:
    return yaml.safe_load((PATTERNS / name).read_text(encoding="utf-8"))


def squash(word: str) -> str:
    return re.sub(r"[._\- ]+", "", word.lower())


@pytest.fixture(scope="module")
def venues_file() -> dict[str, Any]:
    return load("venues.yaml")


@pytest.fixture(scope="module")
def venues(venues_file) -> list[dict[str, Any]]:
    return venues_file["venues"]


@pytest.fixture(scope="module")
def curated() -> dict[str, Any]:
    return load("curated/venues.yaml")


def walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every mapping entry in a parsed YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


def check_formats(formats: list[dict[str, Any]], where: str) -> None:
    for fmt in formats:
        assert fmt.get("status") in STATUSES, f"{where}: status must be confirmed or inferred: {fmt}"
        if "shape" in fmt:
            re2.compile(f"^(?:{fmt['shape']})$")  # raises on anything RE2 cannot run
            assert "(?P<" not in fmt["shape"], f"{where}: a shape is the value only, without named groups"
        else:
            assert fmt.get("kind") in FORMAT_KINDS, f"{where}: a format has a shape or a kind in {FORMAT_KINDS}"


# ------------------------------------------------------------------------------------------------ venues
def test_venue_file_header_records_ccxt_version_and_command(venues_file):
    text = (PATTERNS / "venues.yaml").read_text(encoding="utf-8")
    generator = venues_file["generator"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", generator["ccxt"])
    assert generator["command"].startswith("python scripts/generate_venues.py")
    assert f"ccxt {generator['ccxt']}" in text.split("\nversion:")[0]
    assert venues_file["version"] == 1


def test_every_venue_has_the_required_fields(venues_file, venues):
    fields = venues_file["credential_fields"]
    assert len(venues) >= 100
    for venue in venues:
        where = venue.get("id")
        for key in ("id", "name", "kind", "source", "words", "credentials", "urls", "api_management", "remediation"):
            assert key in venue, f"{where}: missing {key}"
        assert re.fullmatch(r"[a-z0-9]+", venue["id"]), where
        assert venue["kind"] in {"cex", "dex", "prediction"}, where
        assert venue["source"] in {"ccxt", "ccxt.prediction", "curated"}, where
        assert ("ccxt" in venue) == (venue["source"] != "curated"), where
        assert URL.fullmatch(venue["urls"]["www"]), where
        page = venue["api_management"]
        assert URL.fullmatch(page["url"]) and page["source"] in {"curated", "ccxt", "www"}, where
        assert page["status"] in STATUSES, where
        assert len(venue["remediation"]) > 40, where
        if not venue.get("wallet") and page["source"] != "www":
            assert page["url"] in venue["remediation"], f"{where}: the remediation names the key page"
        seen_fields = set()
        for credential in venue["credentials"]:
            field = credential["field"]
            assert field in fields and field not in seen_fields, f"{where}: {field}"
            seen_fields.add(field)
            assert credential["secret"] is fields[field]["secret"], f"{where}.{field}"
            for word in credential.get("words", []):
                assert WORD.fullmatch(word), f"{where}.{field}: {word!r}"
            check_formats(credential.get("formats", []), f"{where}.{field}")
        check_formats(venue.get("lookalikes", []), f"{where}.lookalikes")


def test_public_fields_are_never_secrets(venues_file):
    fields = venues_file["credential_fields"]
    assert fields["walletAddress"]["secret"] is False
    assert fields["accountId"]["secret"] is False
    assert all(fields[f]["secret"] for f in ("apiKey", "secret", "password", "privateKey", "mnemonic", "twofa"))


def test_venue_ids_and_words_are_unique_and_lower_case(venues):
    ids = [v["id"] for v in venues]
    assert len(ids) == len(set(ids))
    owner: dict[str, str] = {}
    for venue in venues:
        words = venue["words"]["alone"] + venue["words"]["with_credential"]
        assert venue["id"] in words, venue["id"]
        for word in words:
            assert WORD.fullmatch(word), f"{venue['id']}: {word!r} (lower case, no spaces)"
            assert owner.setdefault(squash(word), venue["id"]) == venue["id"], \
                f"{word!r} names both {owner[squash(word)]} and {venue['id']}"


def test_ambiguous_words_need_a_credential_word(venues_file, venues):
    ambiguous = venues_file["ambiguous_words"]
    distinctive = set(venues_file["distinctive_short_words"])
    strict = {w for v in venues for w in v["words"]["with_credential"]}
    alone = {w for v in venues for w in v["words"]["alone"]}
    assert set(ambiguous) <= strict, f"declared but never used: {set(ambiguous) - strict}"
    for word in alone:
        assert word not in ambiguous, word
        assert len(squash(word)) > 3 or word in distinctive, f"{word!r} is short: it needs a credential word"
    # the judgement calls the data must keep (ordinary words, generic terms, other products' names)
    for word in ("gate", "delta", "cex", "xt", "gemini", "hashkey", "derive", "lighter", "extended"):
        assert word in strict, word
    for word in ("binance", "kraken", "okx", "kucoin", "gateio", "gate.io", "huobi", "okex", "crypto.com"):
        assert word in alone, word


def test_aliases_ccxt_dropped_still_name_their_venue(venues):
    by_word = {squash(w): v["id"] for v in venues for w in v["words"]["alone"] + v["words"]["with_credential"]}
    expected = {"gateio": "gate", "gate.io": "gate", "huobi": "htx", "htx": "htx", "okex": "okx",
                "crypto.com": "cryptocom", "coinbasepro": "coinbaseexchange", "gdax": "coinbaseexchange",
                "coinbase": "coinbase", "coinbaseexchange": "coinbaseexchange", "woox": "woo"}
    for word, venue_id in expected.items():
        assert by_word.get(squash(word)) == venue_id, word


def test_curated_venues_are_in_ccxt_and_additional_ones_are_not(curated, venues):
    by_id = {v["id"]: v for v in venues}
    for venue_id in curated["venues"]:
        assert venue_id in by_id and by_id[venue_id]["source"] in {"ccxt", "ccxt.prediction"}, venue_id
    for venue_id in curated["additional_venues"]:
        assert by_id[venue_id]["source"] == "curated", venue_id
    try:
        import ccxt
    except ImportError:
        return
    listed = set(ccxt.exchanges)
    try:
        import ccxt.prediction as prediction
        listed |= set(prediction.exchanges)
    except ImportError:
        pass
    assert set(curated["venues"]) <= listed or ccxt.__version__ != load("venues.yaml")["generator"]["ccxt"]


def test_every_ref_and_url_is_an_https_url():
    for name in ("venues.yaml", "curated/venues.yaml", "services.yaml"):
        for path, key, value in walk(load(name)):
            if key in ("ref", "url", "www", "key_management"):
                assert isinstance(value, str) and URL.fullmatch(value), f"{name}{path}.{key}: {value!r}"
            if key == "doc":
                assert all(URL.fullmatch(u) for u in value), f"{name}{path}.doc"


def test_wallet_venues_document_their_private_keys(venues):
    by_id = {v["id"]: v for v in venues}
    for venue_id in ("hyperliquid", "dydx", "paradex", "polymarket", "apex", "lighter", "pacifica", "extended"):
        venue = by_id[venue_id]
        assert venue.get("wallet"), venue_id
        secret_formats = [f for c in venue["credentials"] if c["secret"] for f in c.get("formats", [])]
        assert secret_formats, f"{venue_id}: a wallet venue says what its key looks like"
    fields = {c["field"] for c in by_id["polymarket"]["credentials"]}
    assert {"apiKey", "secret", "password", "privateKey", "walletAddress"} <= fields
    assert "mnemonic" in {c["field"] for c in by_id["dydx"]["credentials"]}


def test_formats_agree_with_the_hand_written_exchange_rules(venues):
    """A shape the venue data gives for a family's key or secret is one the family's rules accept."""
    exchanges = load("exchanges.yaml")
    uuid = exchanges["fragments"]["xuuid"].replace("0-9a-fA-F", "0-9a-f")
    bodies: dict[str, str] = {}
    for rule in exchanges["rules"]:
        shape = rule.get("value") or rule.get("pattern") or rule["regex"]  # names rules give the value's shape
        bodies[rule["family"]] = bodies.get(rule["family"], "") + shape.replace("{{xuuid}}", uuid) + "\n"
    checked = 0
    for venue in venues:
        if venue.get("family") not in bodies:
            continue
        for credential in venue["credentials"]:
            if credential["field"] not in ("apiKey", "secret"):
                continue
            for fmt in credential.get("formats", []):
                if "shape" in fmt:
                    assert fmt["shape"].replace("0-9a-fA-F", "0-9a-f") in bodies[venue["family"]], \
                        f"{venue['id']}.{credential['field']}: {fmt['shape']} is not what the {venue['family']} rules match"
                    checked += 1
    assert checked >= 30


def test_the_generator_reproduces_the_committed_file(tmp_path, venues_file):
    ccxt = pytest.importorskip("ccxt")
    recorded = venues_file["generator"]["ccxt"]
    if ccxt.__version__ != recorded:
        pytest.skip(f"installed ccxt {ccxt.__version__} differs from the recorded {recorded}: re-run the generator")
    out = tmp_path / "venues.yaml"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_venues.py"), "--output", str(out)],
                   check=True, capture_output=True, text=True)
    assert out.read_text(encoding="utf-8") == (PATTERNS / "venues.yaml").read_text(encoding="utf-8")


def test_the_generator_refuses_a_word_two_venues_share(venues):
    """Adding an alias that already names another venue is an error, not a silent misattribution."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import generate_venues
    finally:
        sys.path.pop(0)
    # ccxt's metadata as the committed file recorded it: no ccxt import needed
    metadata = {
        v["id"]: {"id": v["id"], "name": v["name"], "dex": v["kind"] == "dex", "certified": v["ccxt"]["certified"],
                  "pro": v["ccxt"]["pro"], "parent": v["ccxt"]["parent"], "prediction": v["ccxt"]["prediction"],
                  "prediction_only": v["source"] == "ccxt.prediction",
                  "required": [c["field"] for c in v["credentials"] if c["ccxt"]],
                  "www": v["urls"]["www"], "doc": v["urls"]["doc"], "api_management": None}
        for v in venues if v["source"] != "curated"}
    curated = load("curated/venues.yaml")
    generate_venues.build("0.0.0", metadata, curated)  # the data as committed builds
    curated["venues"]["kraken"]["aliases"] = ["okex"]
    with pytest.raises(SystemExit, match="okex"):
        generate_venues.build("0.0.0", metadata, curated)


# ------------------------------------------------------------------------------------------------ services
CATEGORIES = {"node-rpc", "explorer", "market-data", "analytics", "storage-nft", "notification", "ci", "chain-keys"}


@pytest.fixture(scope="module")
def services_file() -> dict[str, Any]:
    return load("services.yaml")


@pytest.fixture(scope="module")
def services(services_file) -> list[dict[str, Any]]:
    return services_file["services"]


def shipped_rule_ids() -> set[str]:
    ids = set()
    for path in PATTERNS.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        ids |= {rule["id"] for rule in (data or {}).get("rules", [])} if isinstance(data, dict) else set()
    return ids


def test_every_service_has_the_required_fields(services):
    rules = shipped_rule_ids()
    ids = [s["id"] for s in services]
    assert len(ids) == len(set(ids)) and len(ids) >= 50
    for service in services:
        where = service["id"]
        assert re.fullmatch(r"[a-z0-9-]+", where)
        assert service["category"] in CATEGORIES, where
        assert service["name"] and len(service["remediation"]) > 40, where
        assert URL.fullmatch(service["key_management"]), where
        assert service["credentials"] and any(c["secret"] for c in service["credentials"]), where
        for credential in service["credentials"]:
            assert re.fullmatch(r"[a-z0-9_]+", credential["field"]) and isinstance(credential["secret"], bool), where
            for word in credential.get("words", []):
                assert WORD.fullmatch(word), f"{where}: {word!r}"
            check_formats(credential.get("formats", []), f"{where}.{credential['field']}")
        check_formats(service.get("lookalikes", []), f"{where}.lookalikes")
        for endpoint in service.get("endpoints", []):
            assert re.fullmatch(r"(?:https?|wss)://[^\s]+", endpoint), f"{where}: {endpoint}"
        assert set(service.get("rules", [])) <= rules, f"{where}: unknown rule ids {set(service.get('rules', [])) - rules}"


def test_services_the_issue_names_are_all_there(services):
    ids = {s["id"] for s in services}
    for wanted in ("infura", "alchemy", "quicknode", "ankr", "getblock", "chainstack", "helius", "blockdaemon",
                   "blockcypher", "tatum", "blocknative", "dfuse", "purestake", "settlemint", "etherscan", "bscscan",
                   "solscan", "ethplorer", "coinmarketcap", "coingecko", "cryptocompare", "coinapi", "coinlayer",
                   "coinlib", "worldcoinindex", "bitcoinaverage", "glassnode", "kaiko", "messari", "nansen", "dune",
                   "polygon-io", "pinata", "web3storage", "nftport", "crossmint", "discord", "slack", "dingtalk",
                   "pushbullet", "ifttt", "pushover", "ntfy", "twilio", "coveralls", "sui", "aptos", "cosmos"):
        assert wanted in ids, wanted


def all_words(venues, services) -> dict[str, tuple[str, str]]:
    """squashed word -> (owner, written word) over venues and services; asserts no word has two owners."""
    owner: dict[str, tuple[str, str]] = {}
    for kind, items in (("venue", venues), ("service", services)):
        for item in items:
            for word in item["words"]["alone"] + item["words"]["with_credential"]:
                assert WORD.fullmatch(word), f"{item['id']}: {word!r}"
                key, who = squash(word), f"{kind} {item['id']}"
                assert owner.setdefault(key, (who, word))[0] == who, f"{word!r}: {owner[key][0]} and {who}"
    return owner


def test_no_service_word_collides_with_a_venue_word_unless_declared(venues, services, services_file):
    owner = all_words(venues, services)
    declared = {(squash(c["word"]), squash(c["other"])) for c in services_file["collisions"]}
    for service in services:
        for word in service["words"]["alone"] + service["words"]["with_credential"]:
            key = squash(word)
            assert len(key) > 3 or word in service["words"]["with_credential"], f"{word!r} is short"
            for other, (who, _) in owner.items():
                if who == f"service {service['id']}" or other == key:
                    continue
                if key.startswith(other) or other.startswith(key):
                    pair = (key, other) if len(key) > len(other) else (other, key)
                    assert pair in declared, f"{word!r} ({service['id']}) and {other!r} ({who}): declare in collisions"


def tokens(name: str) -> list[str]:
    """A name path split as recognition splits it: separators, camelCase, digits stay with their word."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t.lower() for t in re.split(r"[^A-Za-z0-9]+", spaced) if t]


def owner_of(name: str, owner: dict[str, tuple[str, str]]) -> str | None:
    """The reference reading of docs/venues.md: whole tokens, adjacent tokens joined, longest word first."""
    parts = tokens(name)
    best: tuple[int, str] | None = None
    for start in range(len(parts)):
        for end in range(len(parts), start, -1):
            joined = "".join(parts[start:end])
            if joined in owner and (best is None or len(joined) > best[0]):
                best = (len(joined), owner[joined][0])
    return best[1] if best else None


@pytest.mark.parametrize("name, expected", [
    ("CRYPTOCOMPARE_API_KEY", "service cryptocompare"),
    ("cryptoCompareApiKey", "service cryptocompare"),
    ("CRYPTOCOM_API_KEY", "venue cryptocom"),
    ("cryptoComApiKey", "venue cryptocom"),
    ("crypto_com_secret", "venue cryptocom"),
    ("POLYGONSCAN_API_KEY", "service polygonscan"),
    ("POLYGON_API_KEY", "service polygon-io"),
    ("GATEIO_API_KEY", "venue gate"),
    ("GATE_IO_SECRET", "venue gate"),
    ("HUOBI_SECRET_KEY", "venue htx"),
    ("OKEX_PASSPHRASE", "venue okx"),
    ("COINBASE_PRO_SECRET", "venue coinbaseexchange"),
    ("COINBASE_API_SECRET", "venue coinbase"),
    ("BINANCE_US_API_KEY", "venue binanceus"),
    ("ETHERSCAN_API_KEY", "service etherscan"),
    ("OPTIMISTIC_ETHERSCAN_API_KEY", "service etherscan"),
    ("HYPERLIQUID_SECRET_KEY", "venue hyperliquid"),
    ("API_KEY", None),
])
def test_names_resolve_to_one_owner(venues, services, name, expected):
    assert owner_of(name, all_words(venues, services)) == expected
