"""How names and values are read where issue 14's last gaps were: an owner word before the credential word
(CHAINSTACK_ENDPOINT_KEY), `token` tied to a venue named in the same name (bittrex_token), freqtrade's
FREQTRADE__EXCHANGE__KEY, a Polymarket signer key given to ClobClient as `key`, unquoted values holding dots, and
the variable of a typed declaration (`const gate: ExchangeCredentials = {`). Values are fakes generated at test
time from seeded templates."""
from __future__ import annotations

import pytest

from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.extract import enclosing_call, enclosing_names
from crypto_key_guard.engine.extract.names import dotted_reference
from crypto_key_guard.engine.scanner import Scanner

SCANNER = Scanner()


def rules_found(template: str, path: str = "", seed: str = "credential-names") -> list[str]:
    text = expand(template, seeded(seed))
    return [f.rule for f in SCANNER.scan_bytes(text.encode("utf-8"), path)]


# -- owner words: `endpoint` before the credential word ---------------------------------------------------------
@pytest.mark.parametrize("template", [
    "CHAINSTACK_ENDPOINT_KEY={hex:32}",
    '{"exchange":{"name":"chainstack","endpoint_key":"{hex:32}"},"dry_run":false}',
    "chainstack:\n  endpoint_key: {hex:32}",
])
def test_a_credential_named_after_its_endpoint_is_found(template: str) -> None:
    assert rules_found(template) == ["chainstack-endpoint-key"]


@pytest.mark.parametrize("template", [
    "API_KEY_ENDPOINT={hex:32}  # chainstack",
    "CHAINSTACK_KEY_ENDPOINT={hex:32}",
    'chainstack_endpoint_name = "{hex:32}"',
])
def test_endpoint_after_the_credential_word_or_beside_another_not_credential_word_is_not(template: str) -> None:
    assert rules_found(template) == []


# -- `token` names a venue's API key only with the venue in the same name ---------------------------------------
@pytest.mark.parametrize("template,rule", [
    ('bittrex_token = "{hex:32}"\nbittrex_secret = "{hex:32}"', ["bittrex-api-key", "bittrex-api-secret"]),
    ('COINEX_TOKEN = "{hex:32}"', ["coinex-api-key"]),
    ('const bittrexToken2 = "{hex:32}";', ["bittrex-api-key"]),
    # which deployment it is for may follow the token word
    ('COINEX_TOKEN_MAIN_2={hex:32}', ["coinex-api-key"]),
])
def test_token_with_the_venue_in_the_name_is_the_venues_key(template: str, rule: list[str]) -> None:
    assert rules_found(template) == rule


@pytest.mark.parametrize("template", [
    # a token contract in an exchange's own code (ccxt's opinion.py), alone or with the venue in the name
    "class opinion(Exchange):\n    def describe(self):\n        return {'id': 'opinion', 'name': 'Opinion',\n"
    "            'options': {\"quoteToken\": \"0x{hex:40}\"}}",
    'OPINION_TOKEN = "0x{hex:40}"',
    # the token word does not end the name: a mint, not a key
    'COINEX_TOKEN_MINT = "{base58:44}"',
    'BITTREX_TOKEN_ID = "{hex:32}"',
    # the venue only in the text around it
    '# bittrex\ntoken = "{hex:32}"',
])
def test_token_alone_or_not_ending_the_name_is_not_a_venue_key(template: str) -> None:
    assert rules_found(template) == []


# -- freqtrade's exchange section and its environment override -----------------------------------------------
@pytest.mark.parametrize("template,path", [
    ('services:\n  freqtrade:\n    environment:\n      FREQTRADE__EXCHANGE__KEY: "{alnum:64}"\n', "docker-compose.yml"),
    ("FREQTRADE__EXCHANGE__KEY={alnum:64}\n", ".env"),
    ('    environment:\n      - FREQTRADE__EXCHANGE__KEY={alnum:64}\n', "docker-compose.yml"),
    ('{"exchange": {"key": "{alnum:64}", "secret": "{alnum:64}"}}', "config.json"),
])
def test_freqtrade_exchange_key_without_a_venue_named(template: str, path: str) -> None:
    found = rules_found(template, path)
    assert len(found) == template.count("{alnum:64}")
    assert set(found) <= {"generic-credential-assignment", "generic-env-assignment", "generic-yaml-assignment"}


@pytest.mark.parametrize("template", [
    'EXCHANGE_KEY = "binance_futures"',
    'exchange_key_name = "{alnum:24}"',
    'STACKEXCHANGE_KEY = os.getenv("STACKEXCHANGE_KEY", "")',
    'FREQTRADE__EXCHANGE__KEY: ""',
])
def test_exchange_key_names_that_hold_no_key(template: str) -> None:
    assert rules_found(template) == []


# -- a Polymarket signer key handed to ClobClient as `key` -----------------------------------------------------
@pytest.mark.parametrize("template", [
    'host: str = "https://clob.polymarket.com"\nkey: str = "0x{hex:64}"\nchain_id: int = 137\n'
    "client = ClobClient(host, key=key, chain_id=chain_id, signature_type=1, funder=PROXY_ADDRESS)\n",
    'HOST = os.getenv("CLOB_HOST", "https://clob.polymarket.com")\n'
    'client = ClobClient(HOST, key="0x{hex:64}", chain_id=137)\n',
    'host = "https://clob.polymarket.com"\nsigner = "0x{hex:64}"\n'
    "client = ClobClient(host=host, chain_id=CHAIN_ID, signature_type=2, funder=FUNDER, key=signer)\n",
])
def test_clob_client_key_is_the_polymarket_signer_key(template: str) -> None:
    assert rules_found(template, "bot.py") == ["polymarket-private-key"]


@pytest.mark.parametrize("template", [
    'host = "https://clob.polymarket.com"\nkey = os.getenv("PK")\nclient = ClobClient(host, key=key, chain_id=137)\n',
    'host = "https://clob.polymarket.com"\nclient = ClobClient(host, key="0x{hex:40}", chain_id=137)\n',
    'host = "https://clob.polymarket.com"\nkey = "0x{hex:64}"\nbook = OrderBook(host, key=key)\n',
])
def test_clob_client_without_a_signer_key_literal(template: str) -> None:
    assert rules_found(template, "bot.py") == []


def test_enclosing_call_is_the_callee_of_the_arguments_on_the_line() -> None:
    data = b'client = ClobClient(HOST, key="0xabc", opts={"k": "v"})'
    assert enclosing_call(data, data.index(b'"0xabc"')) == "ClobClient"
    assert enclosing_call(data, data.index(b'"v"')) == ""  # inside a mapping, not an argument
    assert enclosing_call(b'key = "0xabc"', 6) == ""


# -- unquoted values holding dots --------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [
    "API_SECRET=k{hex:23}.{hex:12}\n",
    "export SERVICE_API_TOKEN={jwt}\n",
    "DATA_API_KEY=Qz{alnum:30}.{alnum:10}\n",
])
def test_unquoted_env_values_with_dots_are_read(template: str) -> None:
    assert rules_found(template, ".env")


@pytest.mark.parametrize("template", [
    "API_SECRET=settings.API_SECRET\n",
    "API_KEY=config.exchange.l2_key\n",
    "API_KEY=process.env.KEY\n",
    "WEB3_API_KEY=config.web3Provider.apiKey\n",
])
def test_unquoted_dotted_references_are_not_values(template: str) -> None:
    assert rules_found(template, ".env") == []


@pytest.mark.parametrize("text,reference", [
    ("settings.BINANCE_KEY", True), ("process.env.KEY", True), ("cfg.v2.l2_key", True), ("a.web3Provider", True),
    ("v8w.apiKey", True), ("e4K.secret", True),
    ("kd8f03a1.b77e0c", False), ("eyJhbGci.eyJzdWIi.c2l-n_Xk9", False), ("Qz7x.9fQ2", False), ("apiKey", False),
])
def test_dotted_reference(text: str, reference: bool) -> None:
    assert dotted_reference(text) is reference


# -- typed declarations name their mapping -----------------------------------------------------------------------
def test_a_typed_declaration_names_the_mapping_by_its_variable() -> None:
    text = expand('import { ExchangeCredentials } from "./types";\n\nexport const gate: ExchangeCredentials = {\n'
                  '  apiKey: "{hex:32}",\n  secret: "{hex:64}",\n};\n', seeded("typed"))
    data = text.encode("utf-8")
    assert enclosing_names(data, data.index(b"apiKey")) == ["gate"]
    assert sorted(f.rule for f in SCANNER.scan_bytes(data, "src/creds.ts")) == ["gate-api-key", "gate-api-secret"]
    py = b"x: Dict[str, str] = {\n    'a': 1,\n}\n"
    assert enclosing_names(py, py.index(b"'a'")) == ["x"]
