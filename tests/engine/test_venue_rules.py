"""Every venue and service in patterns/venues.yaml and services.yaml is recognised by name, as its own (issue 21).

The rules come from the tables (engine/venue_rules.py); their examples are run by test_rule_examples.py like any
rule's. Here: what the expansion promises across rules — coverage, precedence, the ambiguous-word semantics, which
owner a value goes to when names collide, and each on-chain venue's credential with its own fix. Values are fakes
generated at test time."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.rules import default_rules, load_yaml, builtin_patterns_dir, venue_coverage
from crypto_key_guard.engine.scanner import Scanner

RULESET = default_rules()
SCANNER = Scanner(RULESET)
VENUES = load_yaml(builtin_patterns_dir() / "venues.yaml")
SERVICES = load_yaml(builtin_patterns_dir() / "services.yaml")
ROWS = venue_coverage()


def findings(template: str, seed: str = "venue-rules") -> list:
    text = expand(template, random.Random(seed))
    return SCANNER.scan_bytes(text.encode("utf-8"))


def rules_of(template: str, seed: str = "venue-rules") -> set[str]:
    return {f.rule for f in findings(template, seed)}


def test_every_secret_field_of_every_venue_and_service_is_recognised() -> None:
    assert len([r for r in ROWS if r["table"] == "venue"]) == len(VENUES["venues"])
    assert len([r for r in ROWS if r["table"] == "service"]) == len(SERVICES["services"])
    ids = {r.id for r in RULESET.rules}
    tables = {("venue", v["id"]): v for v in VENUES["venues"]} | {("service", s["id"]): s for s in SERVICES["services"]}
    for row in ROWS:
        entry = tables[(row["table"], row["id"])]
        secret = [c["field"] for c in entry["credentials"] if c.get("secret")]
        assert sorted(row["fields"]) == sorted(secret), row["id"]
        for field, rule_ids in row["fields"].items():
            assert rule_ids and set(rule_ids) <= ids, (row["id"], field, rule_ids)
        assert not set(row["not_reported"]) & set(row["fields"])


def test_public_fields_make_no_rule_and_no_finding() -> None:
    """uid, login, walletAddress and accountId tie a secret to its venue; alone they are never findings."""
    assert not [r.id for r in RULESET.rules if r.id.endswith(("-uid", "-login", "-wallet-address", "-account-id"))]
    assert not findings("exchange = ccxt.bitso({'uid': '{digits:8}', 'login': 'trader{digits:3}@example.org'})")
    assert not findings('POLYMARKET_FUNDER = "0x{hex:40}"\nHYPERLIQUID_ACCOUNT_ADDRESS = "0x{hex:40}"')


def test_generated_rules_name_the_venue_and_give_its_fix() -> None:
    for venue in VENUES["venues"]:
        for rule in RULESET.rules:
            if rule.id.startswith(venue["id"] + "-") and rule.source.endswith("venues.yaml"):
                assert rule.remediation.startswith(venue["remediation"].strip()), rule.id
                assert "https://" in rule.remediation, rule.id
                assert rule.description.startswith(venue["name"]), rule.id


@pytest.mark.parametrize("template,expected", [
    ('HYPERLIQUID_PRIVATE_KEY = "0x{hex:64}"', "hyperliquid-private-key"),
    ("from hyperliquid.exchange import Exchange\nconfig = {\"secret_key\": \"0x{hex:64}\", "
     "\"account_address\": \"0x{hex:40}\"}", "hyperliquid-private-key"),
    ('DYDX_MNEMONIC="{mnemonic:24}"', "dydx-mnemonic"),
    ('PARADEX_L2_PRIVATE_KEY=0x{hex:62}', "paradex-stark-private-key"),
    ('PARADEX_L1_PRIVATE_KEY=0x{hex:64}', "paradex-private-key"),
    ('POLYMARKET_PRIVATE_KEY=0x{hex:64}', "polymarket-private-key"),
    ('CLOB_API_KEY={uuid}\n# polymarket', "polymarket-api-key"),
    ('POLYMARKET_API_SECRET="{b64url:43}="', "polymarket-api-secret"),
    ('POLYMARKET_PASSPHRASE={hex:64}', "polymarket-passphrase"),
    ("apex:\n  omni_seeds: \"0x{hex:128}\"", "apex-stark-private-key"),
    ('LIGHTER_API_KEY_PRIVATE_KEY=0x{hex:80}', "lighter-private-key"),
    ("exchange = ccxt.aster({'privateKey': '0x{hex:64}'})", "aster-private-key"),
])
def test_on_chain_venues(template: str, expected: str) -> None:
    found = findings(template, expected)
    assert [f.rule for f in found] == [expected], template
    venue = expected.rsplit("-", 2)[0].split("-")[0]
    entry = next(v for v in VENUES["venues"] if v["id"] == venue)
    assert found[0].remediation.startswith(entry["remediation"].strip()) and "https://" in found[0].remediation
    assert found[0].extra.get("exchange") == entry["name"]


@pytest.mark.parametrize("template,owner,not_owner", [
    # a CryptoCompare key is never Crypto.com's; cryptoCom in camel case is
    ('CRYPTOCOMPARE_API_KEY = "{hex:64}"', "cryptocompare-api-key", "cryptocom-api-credential"),
    ('url = "https://min-api.cryptocompare.com/data/price?fsym=BTC&api_key={hex:64}"', "cryptocompare-api-key",
     "cryptocom-api-credential"),
    ('cryptoComApiKey = "{alnum:24}"', "cryptocom-api-credential", "cryptocompare-api-key"),
    # CoinAPI is not Coinbase
    ('COINAPI_KEY = "{HEX:8}-{HEX:4}-{HEX:4}-{HEX:4}-{HEX:12}"', "coinapi-api-key", "coinbase-api-key"),
    ('headers = {"X-CoinAPI-Key": "{HEX:8}-{HEX:4}-{HEX:4}-{HEX:4}-{HEX:12}"}', "coinapi-api-key", "coinbase-api-key"),
    # Binance US has its own fix page; Binance's rule stays for Binance
    ('BINANCEUS_API_KEY = "{alnum:64}"', "binanceus-api-key", "binance-api-credential"),
    # the Delta exchange under its ambiguous name, as the credential's own name
    ('DELTA_API_KEY = "{alnum:30}"', "delta-api-key", ""),
])
def test_one_owner_per_value(template: str, owner: str, not_owner: str) -> None:
    got = rules_of(template, owner)
    assert owner in got, (template, got)
    assert not_owner not in got


@pytest.mark.parametrize("template", [
    # an ambiguous word in the text around a value does not tie it (only the credential's own name path does)
    '# the gate opens at nine\napi_key = "{hex:32}"\napi_secret = "{hex:64}"',
    '# price delta over the window\napi_key = "{alnum:30}"',
    'GATEWAY_API_KEY = "{hex:32}"',
    # Google's Gemini AI key under GEMINI_API_KEY is not the Gemini exchange's
    'GEMINI_API_KEY = "AIza{b64url:35}"',
    # a value of no venue's name
    'ORDER_REF = "{alnum:40}"',
])
def test_ambiguous_words_and_lookalikes_do_not_tie(template: str) -> None:
    got = rules_of(template, template)
    venue_rules = {r.id for r in RULESET.rules if r.kind in ("exchange", "wallet")}
    assert not got & venue_rules, (template, got)


def test_ambiguous_word_ties_in_the_credential_name_path_and_exchange_field() -> None:
    assert "gate-api-key" in rules_of('{"gate": {"key": "{hex:32}"}}')
    assert "delta-api-key" in rules_of("exchange = ccxt.delta({'apiKey': '{alnum:30}'})")
    assert "delta-api-key" in rules_of('{"exchange": {"name": "delta", "key": "{alnum:30}"}}')


def test_handwritten_rules_keep_their_ids_and_win_for_their_family() -> None:
    """binance-api-credential, kraken-api-secret ... stay (users disable rules by id); no generated rule duplicates
    a family's key, secret or passphrase."""
    generated = {r.id for r in RULESET.rules if Path(r.source).name in ("venues.yaml", "services.yaml")}
    # (<venue>-other-format takes only values none of the family's documented shapes accepts, below them)
    for prefix in ("binance-", "kraken-", "okx-", "bybit-", "kucoin-", "coinbase-", "gate-"):
        assert not {g for g in generated if g.startswith(prefix)
                    and not g.endswith(("-private-key", "-mnemonic", "-other-format"))}
    assert rules_of('KRAKEN_API_SECRET = "{base64:86}=="') == {"kraken-api-secret"}
    assert rules_of('BINANCE_API_KEY = "{alnum:64}"') == {"binance-api-credential"}


def test_one_finding_per_value() -> None:
    text = "exchange = ccxt.bitso({\n    'apiKey': '{alnum:24}',\n    'secret': '{hex:40}',\n})"
    found = findings(text)
    assert sorted(f.rule for f in found) == ["bitso-api-key", "bitso-api-secret"]


def test_secret_field_outranks_key_field_on_one_name() -> None:
    assert rules_of('BITSO_API_SECRET_KEY = "{hex:40}"') == {"bitso-api-secret"}


def test_disabling_a_generated_rule_by_id() -> None:
    from crypto_key_guard.engine.rules import load_rules

    rules = load_rules(disabled=["bitso-api-key"])
    assert "bitso-api-key" not in {r.id for r in rules.rules}
    assert "bitso-api-secret" in {r.id for r in rules.rules}


def test_readme_adding_a_venue_is_a_data_change_only(tmp_path) -> None:
    """The README's example: one entry in the curated file, the generator, and the venue has rules that pass their
    own examples and find its keys (the generator runs on the installed ccxt's metadata)."""
    import importlib.util
    import re
    from pathlib import Path

    import yaml

    from crypto_key_guard.engine import venue_rules
    from crypto_key_guard.engine.rules import load_rules
    from crypto_key_guard.engine.selftest import verify_examples

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```yaml\n# patterns/curated/venues.yaml\n(.*?)```", readme, re.S).group(1)
    spec = importlib.util.spec_from_file_location("generate_venues", root / "scripts" / "generate_venues.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    curated = yaml.safe_load((root / "patterns" / "curated" / "venues.yaml").read_text(encoding="utf-8"))
    curated["additional_venues"].update(yaml.safe_load(snippet)["additional_venues"])
    version, metadata = generator.load_ccxt()
    table = generator.build(version, metadata, curated)
    acme = next(v for v in table["venues"] if v["id"] == "acme")
    assert {c["field"] for c in acme["credentials"]} == {"apiKey", "secret", "password"}
    generated, _ = venue_rules.expand({**table, "venues": [acme]}, None,
                                      load_yaml(builtin_patterns_dir() / "venue-rules.yaml")["venue_rules"], [])
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "rules": generated}), encoding="utf-8")
    # with the shared words and placeholders of common.yaml, as beside the shipped rules; their examples pass
    rules = load_rules([builtin_patterns_dir() / "common.yaml", path], include_builtin=False,
                       check_examples=verify_examples)
    assert sorted(r.id for r in rules.rules) == ["acme-api-key", "acme-api-secret", "acme-other-format",
                                                 "acme-passphrase"]
    key = next(r for r in rules.rules if r.id == "acme-api-key")
    assert key.pattern == "ak_[0-9a-f]{32}" and "acme.example/account/api" in key.remediation
    found = Scanner(rules).scan_bytes(expand('ACMEX_API_KEY = "ak_{hex:32}"', random.Random(1)).encode())
    assert [f.rule for f in found] == ["acme-api-key"]


def test_coverage_tables_in_readme_and_docs_are_current() -> None:
    """README.md's summary and docs/venues.md's full table are written from the same data as `rules --coverage`."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, str(root / "scripts" / "coverage_table.py"), "--check"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    readme = (root / "README.md").read_text(encoding="utf-8")
    for row in ROWS:  # every venue and service is listed by name
        assert row["name"] in readme, row["name"]
