"""Shapes, names and services other scanners' published test cases use that the tables did not spell out: a venue's
credential in a shape its documented formats do not accept (`<entry>-other-format`), a venue's name written as a
label before a bare credential word (`infura token = '…'`), Telegram bot ids of 5-16 digits and the older AA+32
secret half, SettleMint's prefixed tokens under any name, PEM blocks flattened onto one line or joined from one
literal per line, and a placeholder between PEM armour lines. Values are fakes generated at test time."""
from __future__ import annotations

import pytest

from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.scanner import Scanner

SCANNER = Scanner()


def rules_found(template: str, path: str = "", seed: str = "peer-shapes") -> list[str]:
    text = expand(template, seeded(seed))
    return sorted(f.rule for f in SCANNER.scan_bytes(text.encode("utf-8"), path))


# -- a venue's credential in a shape its documented formats do not accept ----------------------------------------
@pytest.mark.parametrize("template,rule", [
    # Bittrex documents 32 hex: 32 lower-case letters and digits under its name
    ('bittrexToken = "{lowalnum:32}"', "bittrex-other-format"),
    # Coinbase's documented shapes are 32 hex, 86 base64 and 16/32 alphanumerics: 64 base64url
    ('COINBASE_API_TOKEN := "{lowalnum:30}_{lowalnum:33}"', "coinbase-other-format"),
    # Infura documents 32 hex
    ("infura_project_secret: {lowalnum:32}", "infura-other-format"),
    # CoinAPI documents an upper-case UUID
    ('api:\n  coinapi_key: "{upalnum:36}"', "coinapi-other-format"),
    ('tatum_token = "{lowalnum:20}_{lowalnum:20}"', "tatum-other-format"),
])
def test_a_venue_named_credential_of_an_undocumented_shape_is_that_venues(template: str, rule: str) -> None:
    assert rules_found(template) == [rule]


def test_a_documented_shape_stays_with_its_own_rule() -> None:
    assert rules_found('BITTREX_API_KEY = "{hex:32}"') == ["bittrex-api-key"]
    assert rules_found('INFURA_PROJECT_ID = "{hex:32}"') == ["infura-credential"]
    # disabling the documented rule does not move its values to the other-format rule
    from crypto_key_guard.engine.rules import load_rules

    scanner = Scanner(load_rules(disabled=["binance-api-credential"]))
    text = expand('BINANCE_API_KEY = "{alnum:64}"', seeded("peer-shapes"))
    assert "binance-other-format" not in [f.rule for f in scanner.scan_bytes(text.encode())]


@pytest.mark.parametrize("template", [
    # a UUID in no documented shape is an id (jesse's stored-key ids), also with another venue named nearby
    "BYBIT_KEY = '{uuid}'\nTELEGRAM_KEY = '{uuid}'",
    # an address and an extended public key are public
    'hyperliquid_key = "0x{hex:40}"',
    'kraken_key = "{xpub}"',
    # a token word alone is a token (a contract, a mint), whatever venue the text names
    '# binance\nquoteToken = "{base58:44}"',
    # a word, not a random value
    'BINANCE_API_KEY_NAME = "binance-main-account"',
    'KRAKEN_SECRET = "{lower:24}"',
    # no venue at all
    'token = "{lowalnum:32}"',
])
def test_ids_addresses_words_and_unnamed_values_are_no_other_format_credential(template: str) -> None:
    assert not [r for r in rules_found(template) if r.endswith("-other-format")]


# -- a venue label before a bare credential word -------------------------------------------------------------------
@pytest.mark.parametrize("template,rule", [
    ("infura token = '{lowalnum:32}'", "infura-other-format"),
    # a service whose credentials name no token calls its key a token with its word in the name (or label)
    ("twelvedata token = '{lowalnum:32}'", "twelvedata-api-key"),
    ("nftport token = '{lowalnum:8}-{lowalnum:4}-{lowalnum:4}-{lowalnum:4}-{lowalnum:12}'", "nftport-api-key"),
    ('TATUM_TOKEN = "{lowalnum:36}"', "tatum-api-key"),
])
def test_a_venue_written_before_a_bare_credential_word_names_it(template: str, rule: str) -> None:
    assert rules_found(template) == [rule]


@pytest.mark.parametrize("template", [
    "export token='{lowalnum:32}'",
    'String token = "{lowalnum:32}";',
    # the venue on the line above is context, not a label: a bare token word needs its venue in the name
    "# infura\ntoken = '{lowalnum:32}'",
])
def test_a_word_that_names_no_venue_is_no_label(template: str) -> None:
    assert rules_found(template) == []


# -- Telegram bot tokens -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [
    'TELEGRAM_API_TOKEN = "{digits:5}:A{lowalnum:14}_{lowalnum:19}"',       # a 5-digit bot id
    'telegramToken := "{digits:16}:AA{b64url:33}"',                            # a 16-digit one
    "4{digits:9}:AA{b64url:32}",                                               # the older AA + 32 secret half
    'String telegramToken = "0{digits:7}:A{lowalnum:20}-{lowalnum:13}";',    # an id written with a leading 0
])
def test_telegram_tokens_of_every_published_id_length_are_found(template: str) -> None:
    assert rules_found(template) == ["telegram-bot-token"]


@pytest.mark.parametrize("template", [
    # 17 digits: no bot's id (and no 16-digit tail of it either)
    'x = "{digits:17}:AA{b64url:33}"',
    # a type name after a colon: no digit in it, where a random secret half has them
    '<xsd:element name="AgencyIdentificationCode" type="clm{digits:8}:AgencyIdentificationCodeContentType"/>',
])
def test_a_long_number_or_a_type_name_after_a_colon_is_no_telegram_token(template: str) -> None:
    assert "telegram-bot-token" not in rules_found(template)


# -- SettleMint's prefixed tokens ----------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [
    'System.setProperty("SETTLEMINTTOKEN_TOKEN", "sm_aat_{lowalnum:16}")',
    '{"config.ini": "PLATFORM_TOKEN=sm_sat_{alnum:16}\\nBACKUP_ENABLED=true"}',
])
def test_a_settlemint_token_is_found_by_its_prefix_under_any_name(template: str) -> None:
    assert rules_found(template) == ["settlemint-access-token-prefixed"]


# -- PEM blocks ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [
    "PRIVATE_KEY=-----BEGIN PRIVATE KEY-----{base64:64}{base64:24}-----END PRIVATE KEY-----",
    '"-----BEGIN RSA PRIVATE KEY-----" +\n"{base64:70}" +\n"{base64:70}" +\n"{base64:20}" +\n'
    '"-----END RSA PRIVATE KEY-----"',
])
def test_a_flattened_or_concatenated_pem_block_is_found(template: str) -> None:
    assert rules_found(template) == ["private-key-pem"]


@pytest.mark.parametrize("template", [
    'privKeyTemplate = "-----BEGIN EC PRIVATE KEY-----\\nmy-private-key\\n-----END EC PRIVATE KEY-----\\n"',
    "-----BEGIN OPENSSH PRIVATE KEY----------END OPENSSH PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----",
])
def test_a_pem_block_without_a_keys_worth_of_base64_is_no_key(template: str) -> None:
    assert rules_found(template) == []


def test_a_value_in_the_shape_of_the_venues_public_id_is_no_other_format_credential() -> None:
    # Pushover's user key is public and has its own shape; the app token beside it is the secret
    assert rules_found("pushover:\n  token: a{lowalnum:29}\n  user_key: u{lowalnum:29}\n") == ["pushover-app-token"]


def test_tokens_one_separator_apart_are_each_found() -> None:
    # the end of one token's match must not take what the next one's start needs
    assert rules_found("{digits:10}:AA{b64url:33}\n{digits:10}:AA{b64url:33}\n") == ["telegram-bot-token"] * 2
    assert rules_found("SM=sm_pat_{alnum:20},sm_aat_{alnum:20}") == ["settlemint-access-token-prefixed"] * 2


def test_a_venue_label_completes_only_a_bare_credential_word() -> None:
    assert "okx-passphrase" not in rules_found("okx DB_PASSWORD={alnum:12}")


# -- Polymarket's POLY_ prefix (its CLOB headers: POLY_API_KEY, POLY_PASSPHRASE) --------------------------------------
@pytest.mark.parametrize("template,rule", [
    ('POLY_API_KEY = "{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}"', "polymarket-api-key"),
    ('poly_secret: "{b64url:43}="', "polymarket-api-secret"),
    ('POLY_PASSPHRASE={hex:64}', "polymarket-passphrase"),
])
def test_polymarkets_own_prefix_names_its_credentials(template: str, rule: str) -> None:
    assert rules_found(template) == [rule]


def test_poly_in_the_text_around_a_value_ties_nothing() -> None:
    # an ambiguous word (also Polygon's): only inside the credential's own name
    assert not [r for r in rules_found('# poly\napi_key = "{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}"')
                if r.startswith("polymarket")]
    # nor inside a longer word: Polygon.io's key is not Polymarket's
    assert not [r for r in rules_found('POLYGON_API_KEY = "{alnum:32}"') if r.startswith("polymarket")]
