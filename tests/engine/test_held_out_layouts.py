"""Layouts a held-out red-team pass found missed (session 6): each is a class of layout seen in public trading bots,
SDK examples, CI files and docs, read generally (a flag whose argument is NAME=value, a call naming its value after
an object argument, an assignment to an environment object, a Spring placeholder's default, a decoding call inside
a signer call, ...), and the false alarm it found (a constant holding its own name). Values are fakes generated at
test time from seeded templates."""
from __future__ import annotations

import pytest

from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.recognise import spells_name
from crypto_key_guard.engine.scanner import Scanner

SCANNER = Scanner()


def rules_found(template: str, path: str = "", seed: str = "held-out") -> list[str]:
    text = expand(template, seeded(seed))
    return [f.rule for f in SCANNER.scan_bytes(text.encode("utf-8"), path)]


# -- command-line flags whose argument is NAME=value: the value ends at the next blank ----------------------------
@pytest.mark.parametrize("template,count", [
    ("docker run -d --name bot -e BINANCE_API_KEY={alnum:64} -e BINANCE_API_SECRET={alnum:64} bot:latest", 2),
    ("kubectl create secret generic binance --from-literal=BINANCE_API_KEY={alnum:64} "
     "--from-literal=BINANCE_API_SECRET={alnum:64}", 2),
    ("helm upgrade --install bot ./chart --set binance.apiSecret={alnum:64} --namespace bots", 1),
])
def test_flag_arguments_holding_name_value_are_read(template: str, count: int) -> None:
    assert rules_found(template, "deploy.sh") == ["binance-api-credential"] * count


def test_flag_arguments_find_both_venues() -> None:
    assert sorted(rules_found("docker run --env KUCOIN_API_SECRET={uuid} --env=BINANCE_API_KEY={alnum:64} image",
                              "run.sh")) == ["binance-api-credential", "kucoin-api-secret"]


@pytest.mark.parametrize("template", [
    "docker run -it --rm -e BINANCE_API_KEY -e BINANCE_API_SECRET -v $PWD/.env:/app/.env image",
    'kubectl create secret generic binance --from-literal=BINANCE_API_KEY="$BINANCE_API_KEY"',
    "docker run -e BINANCE_API_SECRET=${BINANCE_API_SECRET} image",
])
def test_flag_arguments_passing_the_environment_through_are_not(template: str) -> None:
    assert rules_found(template, "run.sh") == []


# -- a call naming its value after an object argument: setattr(obj, "X", "v"), getattr(obj, "X", "v") -------------
@pytest.mark.parametrize("template", [
    "setattr(settings, 'BINANCE_API_SECRET', '{alnum:64}')",
    'secret = getattr(config, "BINANCE_API_SECRET", "{alnum:64}")',
])
def test_a_call_naming_its_literal_after_an_object(template: str) -> None:
    assert rules_found(template, "keys.py") == ["binance-api-credential"]


@pytest.mark.parametrize("template", [
    "setattr(settings, 'BINANCE_API_SECRET', secret_from_vault)",
    'setattr(settings, "BINANCE_API_SECRET", value, "{alnum:64}")',
])
def test_setattr_without_a_literal_value_is_not(template: str) -> None:
    assert rules_found(template, "keys.py") == []


# -- assigning an environment object's attribute sets that variable --------------------------------------------------
@pytest.mark.parametrize("template", [
    "process.env.BINANCE_API_SECRET = '{alnum:64}';",
    'import.meta.env.BINANCE_API_KEY = "{alnum:64}"',
])
def test_an_assignment_to_process_env_is_a_value(template: str) -> None:
    assert rules_found(template, "test/setup.js") == ["binance-api-credential"]


@pytest.mark.parametrize("template", [
    "const secret = process.env.BINANCE_API_SECRET || '';",
    "if (process.env.BINANCE_API_SECRET === '{alnum:64}') {}",
])
def test_a_read_of_process_env_is_not(template: str) -> None:
    assert rules_found(template, "src/config.js") == []


# -- typed declarations with a lifetime (Rust `&'static str`) ---------------------------------------------------------
def test_rust_static_with_a_lifetime() -> None:
    assert rules_found("static BYBIT_API_SECRET: &'static str = \"{alnum:36}\";", "src/keys.rs") == \
        ["bybit-api-secret"]


# -- Spring placeholders: ${name:default} gives its default ----------------------------------------------------------
@pytest.mark.parametrize("template", [
    '@Value("${binance.api.key:{alnum:64}}")\nprivate String apiKey;',
    "binance:\n  secret: ${BINANCE_SECRET:{alnum:64}}",
])
def test_a_spring_placeholder_default_is_a_value(template: str) -> None:
    assert rules_found(template, "BinanceConfig.java") == ["binance-api-credential"]


@pytest.mark.parametrize("template", [
    '@Value("${binance.api.key}")\nprivate String apiKey;',
    '@Value("${binance.api.key:}")\nprivate String apiKey;',
    '@Value("${server.port:8080}")\nprivate int port;  // binance',
])
def test_a_spring_placeholder_without_a_secret_default_is_not(template: str) -> None:
    assert rules_found(template, "BinanceConfig.java") == []


# -- a name/value object split over lines (Postman environments) ------------------------------------------------------
def test_postman_environment_entries_over_several_lines() -> None:
    template = ('{\n  "name": "OKX v5",\n  "values": [\n    {\n      "key": "okx-api-key",\n      "value": "{uuid}",\n'
                '      "type": "default",\n      "enabled": true\n    },\n    {\n      "key": "okx-secret-key",\n'
                '      "value": "{HEX:32}",\n      "type": "secret",\n      "enabled": true\n    }\n  ]\n}\n')
    assert rules_found(template, "okx.postman_environment.json") == ["okx-api-key", "okx-api-secret"]


def test_postman_entries_with_empty_values_are_not() -> None:
    template = '{"values": [\n  {"key": "apiKey",\n   "value": "", "enabled": true},\n  {"key": "secretKey", "value": ""}]}'
    assert rules_found(template, "env.postman_environment.json") == []


# -- NAME=value in Markdown inline code, fish's `set -gx NAME value` ---------------------------------------------------
def test_an_assignment_in_markdown_inline_code() -> None:
    assert rules_found("Set `BINANCE_API_SECRET={alnum:64}` in your shell first.", "README.md") == \
        ["binance-api-credential"]


@pytest.mark.parametrize("template", ["set -gx BINANCE_API_SECRET {alnum:64}", "set -x KRAKEN_API_KEY {base64:56}"])
def test_fish_set_exports(template: str) -> None:
    assert len(rules_found(template, "config.fish")) == 1


# -- a decoding call inside a signer or client call: the outer callee names the literal --------------------------------
@pytest.mark.parametrize("template", [
    'priv_key = PrivateKey(bytes.fromhex("{eth_key}"))',
    'signer = SigningKey(binascii.unhexlify("{eth_key}"), curve=SECP256k1)',
    "const wallet = new Wallet(Buffer.from('{eth_key}', 'hex'));",
])
def test_a_decoded_literal_is_named_by_the_call_it_is_passed_to(template: str) -> None:
    assert rules_found(template, "send.py") == ["ethereum-private-key"]


@pytest.mark.parametrize("template", [
    'digest = sha256(bytes.fromhex("{hex:64}"))',
    'print(bytes.fromhex("{eth_key}"))',
])
def test_a_decoded_literal_passed_elsewhere_is_not(template: str) -> None:
    assert rules_found(template, "util.py") == []


# -- `token` tied to a venue, followed by an affix word ---------------------------------------------------------------
@pytest.mark.parametrize("template,rule", [
    ("BITTREX_TOKEN_PROD={hex:32}", "bittrex-api-key"),
    ('coinex_token_live = "{hex:32}"', "coinex-api-key"),
])
def test_venue_token_with_an_affix_after_it(template: str, rule: str) -> None:
    assert rules_found(template, ".env") == [rule]


def test_venue_token_followed_by_another_word_is_not() -> None:
    assert rules_found('COINEX_TOKEN_MINT = "{base58:44}"', "mint.py") == []


# -- a constant whose value is its own name (header names in exchange SDKs) is no secret ------------------------------
@pytest.mark.parametrize("template", [
    "OK_ACCESS_KEY = 'OK-ACCESS-KEY'\nOK_ACCESS_SIGN = 'OK-ACCESS-SIGN'\nOK_ACCESS_PASSPHRASE = 'OK-ACCESS-PASSPHRASE'",
    'KC_API_PASSPHRASE = "KC-API-PASSPHRASE"\nBITGET_ACCESS_KEY = "ACCESS-KEY"',
])
def test_constants_holding_their_own_name_are_not_secrets(template: str) -> None:
    assert rules_found(template, "consts.py") == []


@pytest.mark.parametrize("value,name,spelled", [
    ("OK-ACCESS-KEY", "OK_ACCESS_KEY", True),
    ("apiKey", "apiKey", True),
    ("ACCESS-KEY", "BITGET_ACCESS_KEY", True),
    ("Falcon-river", "OKX_PASSPHRASE", False),
    ("OK-ACCESS-KEY-2024", "OK_ACCESS_KEY", False),
    ("secret", "API_SECRET", False),
])
def test_spells_name(value: str, name: str, spelled: bool) -> None:
    assert spells_name(value, name) is spelled


# -- a client constructor named after its venue: its literal arguments are that venue's key and secret ------------
@pytest.mark.parametrize("template,rules", [
    ('session = BybitClient("{alnum:18}", "{alnum:36}")', ["bybit-api-key", "bybit-api-secret"]),
    ("auth = OkxAuth('{uuid}', '{HEX:32}', passphrase, False)", ["okx-api-key", "okx-api-secret"]),
    ('BinanceApiRestClient c = BinanceApiClientFactory.newInstance("{alnum:64}", "{alnum:64}").newRestClient();',
     ["binance-api-credential", "binance-api-credential"]),
    ('var ws = new WebSocketApi(url, key, new BinanceHmac("{alnum:64}"));', ["binance-api-credential"]),
    ('api = krakenex.API("{base64:56}", "{base64:86}==")', ["kraken-api-key", "kraken-api-secret"]),
])
def test_a_venue_named_client_names_its_literals(template: str, rules: list[str]) -> None:
    assert rules_found(template, "client.py") == rules


@pytest.mark.parametrize("template", [
    # a passphrase is free text: by position alone a URL or a label would pass for one
    "client = KucoinClient('https://api.kucoin.com')",
    'session = BybitClient("https://api.bybit.com", "BTCUSDT", timeout=10)',
    'client = HttpClient("{alnum:36}")  # bybit',
])
def test_other_client_literals_are_not(template: str) -> None:
    assert rules_found(template, "client.py") == []


# -- front-end build tools' prefixes: NEXT_PUBLIC_ says where the value goes, not that it is public ---------------
@pytest.mark.parametrize("template,rules", [
    ("NEXT_PUBLIC_PRIVATE_KEY={eth_key:0x}", ["ethereum-private-key"]),
    ("EXPO_PUBLIC_WALLET_PRIVATE_KEY={eth_key}", ["ethereum-private-key"]),
    ("NUXT_PUBLIC_SIGNER_PRIVATE_KEY={eth_key:0x}", ["ethereum-private-key"]),
])
def test_framework_prefixes_do_not_make_a_key_public(template: str, rules: list[str]) -> None:
    assert rules_found(template, ".env.local") == rules


@pytest.mark.parametrize("template", [
    "NEXT_PUBLIC_KEY={eth_key}",
    "NEXT_PUBLIC_CONTRACT_ADDRESS=0x{hex:40}\nNEXT_PUBLIC_WALLETCONNECT_PROJECT_ID={hex:32}",
])
def test_framework_prefixed_public_values_are_not(template: str) -> None:
    assert rules_found(template, ".env.local") == []


# -- a two-column table of names and values (pandas .set_index('Type'), Markdown Field | Value tables) -------------
@pytest.mark.parametrize("template,path", [
    ("Type,Value\nAPI_key,{alnum:64}\nSecret_key,{alnum:64}\n", "binance/binance_api_keys.txt"),
    ("| Field | Value |\n|---|---|\n| Binance API Key | {alnum:64} |\n| Binance Secret Key | {alnum:64} |\n",
     "docs/binance.md"),
])
def test_name_value_tables(template: str, path: str) -> None:
    assert len(rules_found(template, path)) == 2


def test_two_column_tables_of_other_data_are_not() -> None:
    assert rules_found("date,price\n2024-01-01,{digits:5}\napi,{alnum:64}\n", "binance/prices.csv") == []


# -- a Solana keypair written as 128 hex digits ---------------------------------------------------------------------
def test_solana_keypair_as_hex() -> None:
    template = ("const privateKeyHex = '{solana_keypair:hex}';\n"
                "const keypair = Keypair.fromSecretKey(Buffer.from(privateKeyHex, 'hex'));")
    assert rules_found(template, "keypair.js") == ["solana-private-key-hex"]


@pytest.mark.parametrize("template", ["const privateKeyHex = '{solana_keypair:bad,hex}';",
                                      'const signatureHex = "{solana_keypair:hex}";'])
def test_hex_that_is_no_keypair_or_not_named_as_one_is_not(template: str) -> None:
    assert rules_found(template, "keypair.js") == []


# -- the assignment syntaxes other scanners' sample generators write (gitleaks' issue 1222 list) ------------------
@pytest.mark.parametrize("template,path", [
    ("<kucoinToken>\n    {hex:24}\n</kucoinToken>", "config.xml"),
    ('var kucoinToken string = "{hex:24}"', "main.go"),
    ('const (\n\tkucoinToken string = "{hex:24}"\n)', "keys.go"),
    ('$kucoinToken .= "{hex:24}";', "config.php"),
    ('$kucoinToken ??= "{hex:24}";', "config.php"),
    ('kucoinToken ||= "{hex:24}"', "config.js"),
    ('KUCOIN_TOKEN :::= "{hex:24}"', "Makefile"),
    ("kucoinToken,{hex:24},", "keys.csv"),
    ('KUCOIN_API_KEY,"{hex:24}"', "keys.csv"),
])
def test_more_assignment_syntaxes(template: str, path: str) -> None:
    assert rules_found(template, path) == ["kucoin-api-key"]


@pytest.mark.parametrize("template,path", [
    ("var kucoinToken string\nkucoinToken = os.Getenv(\"KUCOIN_TOKEN\")", "main.go"),
    ("$kucoinToken .= $suffix;", "config.php"),
    ("api_key,api_secret,passphrase\nkucoin,{hex:24} is rotated,x\n", "keys.csv"),
    ("kucoinToken, the key you created in the KuCoin console", "README.md"),
    ("<kucoinToken>\n  <value>${KUCOIN_TOKEN}</value>\n</kucoinToken>", "config.xml"),
])
def test_more_assignment_syntaxes_without_a_literal(template: str, path: str) -> None:
    assert rules_found(template, path) == []


# -- .NET exchange clients: new ApiCredentials(key, secret), tied to the venue by the client around it ------------
@pytest.mark.parametrize("template,rules", [
    ("var client = new BinanceRestClient(options => {\n"
     "    options.ApiCredentials = new ApiCredentials(\"{alnum:64}\", \"{alnum:64}\");\n});",
     ["binance-api-credential", "binance-api-credential"]),
    ('var creds = new KucoinApiCredentials("{hex:24}", "{uuid}", passphrase);', ["kucoin-api-key", "kucoin-api-secret"]),
])
def test_api_credentials_constructors(template: str, rules: list[str]) -> None:
    assert rules_found(template, "Program.cs") == rules


def test_api_credentials_without_a_venue_around_are_not() -> None:
    assert rules_found('var creds = new ApiCredentials("{alnum:64}", "{alnum:36}");', "Program.cs") == []


# -- three literals: (section, option, value) or (file, name, value) ----------------------------------------------
@pytest.mark.parametrize("template", [
    'config.set("binance", "secret", "{alnum:64}")',
    'keyring.set_password("binance", "api_secret", "{alnum:64}")',
    'dotenv.set_key(".env", "BINANCE_API_SECRET", "{alnum:64}")',
])
def test_a_call_naming_its_third_literal(template: str) -> None:
    assert rules_found(template, "setup_keys.py") == ["binance-api-credential"]


@pytest.mark.parametrize("template", [
    'secret = keyring.get_password("binance", "api_secret")',
    'config.set("binance", "secret", os.environ["BINANCE_SECRET"])',
    'dotenv.set_key(".env", "BINANCE_API_SECRET", "")',
])
def test_three_argument_calls_without_a_literal_value_are_not(template: str) -> None:
    assert rules_found(template, "setup_keys.py") == []


# -- setters given a literal: the credential is in the setter's name ----------------------------------------------
@pytest.mark.parametrize("template,rules,path", [
    ('config.setApiKey("{uuid}");\nconfig.setSecretKey("{HEX:32}");\nconfig.setPassphrase("{alnum:14}");',
     ["okx-api-key", "okx-api-secret", "okx-passphrase"], "OkxExample.java"),
    ('s := kucoin.NewApiService(\n\tkucoin.ApiKeyOption("{hex:24}"),\n\tkucoin.ApiSecretOption("{uuid}"),\n)',
     ["kucoin-api-key", "kucoin-api-secret"], "main.go"),
    ('client.set_secret("{alnum:64}")  # binance', ["binance-api-credential"], "bot.py"),
])
def test_setters_name_their_literal(template: str, rules: list[str], path: str) -> None:
    assert rules_found(template, path) == rules


@pytest.mark.parametrize("template", [
    'okx = config.getSecretKey("{HEX:32}")',
    'digest = hashApiKey("{uuid}")  # okx',
    'config.setApiKey(System.getenv("OKX_API_KEY"));',
    'settings.setSecretName("okx-secret-key");',
])
def test_other_calls_naming_a_credential_are_not_setters(template: str) -> None:
    assert rules_found(template, "Config.java") == []


# -- a bare value before the next flow-mapping key or a command's flag --------------------------------------------
@pytest.mark.parametrize("template,count", [
    ("exchanges:\n  binance: {apiKey: {alnum:64}, secret: {alnum:64}}", 2),
    ("heroku config:set BINANCE_API_KEY={alnum:64} BINANCE_API_SECRET={alnum:64} -a my-bot", 2),
])
def test_bare_values_before_a_flow_key_or_a_flag(template: str, count: int) -> None:
    assert rules_found(template, "deploy.yaml") == ["binance-api-credential"] * count


def test_a_yaml_value_followed_by_more_words_is_not() -> None:
    assert rules_found("binance:\n  secret: {alnum:64}, rotated monthly by ops", "notes.yaml") == []


# -- the key of an HMAC signer, tied to the venue by the text around it --------------------------------------------
@pytest.mark.parametrize("template,path", [
    ('# binance signed request\nsig = hmac.new(b"{alnum:64}", query.encode(), hashlib.sha256).hexdigest()', "sign.py"),
    ("// binance\nconst sig = crypto.createHmac('sha256', '{alnum:64}').update(query).digest('hex');", "sign.js"),
    ('// binance\nmac := hmac.New(sha256.New, []byte("{alnum:64}"))', "sign.go"),
    ('// binance\nSecretKeySpec spec = new SecretKeySpec("{alnum:64}".getBytes(), "HmacSHA256");', "Sign.java"),
])
def test_an_hmac_key_is_the_venues_secret(template: str, path: str) -> None:
    assert rules_found(template, path) == ["binance-api-credential"]


@pytest.mark.parametrize("template", [
    'sig = hmac.new(b"{alnum:64}", msg, hashlib.sha256).hexdigest()',
    '# binance\nassert hmac.new(b"key", b"msg", hashlib.sha256).hexdigest() == "{hex:64}"',
    "# binance\nsig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()",
])
def test_other_hmac_calls_are_not(template: str) -> None:
    assert rules_found(template, "sign.py") == []


# -- escaped whitespace around a value (pasted with the newline of the file it was read from) ----------------------
@pytest.mark.parametrize("template", ["BINANCE_API_KEY = '{alnum:64}\\n'", 'binance_secret = "\\t{alnum:64}\\r\\n"'])
def test_escaped_whitespace_around_a_value(template: str) -> None:
    assert rules_found(template, "config.py") == ["binance-api-credential"]


def test_escapes_inside_a_value_are_kept() -> None:
    assert rules_found("BINANCE_API_KEY = '{alnum:30}\\n{alnum:33}\\n'", "config.py") == []


# -- more languages: C/C++ #define, @"v" / $'v' strings, R's <-, Kotlin's `to`, Scala's ->, VB's As ------------------
@pytest.mark.parametrize("template,path", [
    ('#define BINANCE_API_SECRET "{alnum:64}"', "secrets.h"),
    ('#define __API_SECRET__ "{alnum:64}"  // binance', "variables.h"),
    ('NSString *const kBinanceAPISecret = @"{alnum:64}";', "Keys.m"),
    ('string binanceSecret = @"{alnum:64}";', "Keys.cs"),
    ("export BINANCE_API_SECRET=$'{alnum:64}'", "env.sh"),
    ('BINANCE_API_SECRET <- "{alnum:64}"', "keys.R"),
    ('val creds = mapOf("binanceSecret" to "{alnum:64}")', "Keys.kt"),
    ('val keys = Map("binance.secret" -> "{alnum:64}")', "Keys.scala"),
    ('Dim BinanceApiSecret As String = "{alnum:64}"', "Module1.vb"),
])
def test_more_languages(template: str, path: str) -> None:
    assert rules_found(template, path) == ["binance-api-credential"]


@pytest.mark.parametrize("template,path", [
    ("#define BINANCE_API_KEY_LENGTH 64\n#define BINANCE_HOST \"api.binance.com\"", "config.h"),
    ("binance_secret <- Sys.getenv(\"BINANCE_SECRET\")", "keys.R"),
    ("Set BINANCE_API_SECRET to your secret from the Binance console.", "README.md"),
    ("fn binance_secret(&self) -> &str { &self.secret }", "keys.rs"),
])
def test_more_languages_without_a_literal(template: str, path: str) -> None:
    assert rules_found(template, path) == []


# -- the key in a service's endpoint URL, from services.yaml's `endpoints` forms --------------------------------------
@pytest.mark.parametrize("template,rule", [
    ('const RPC = "https://rpc.ankr.com/eth/{hex:64}";', "ankr-endpoint-url"),
    ("ANKR_WS=wss://rpc.ankr.com/bsc/ws/{hex:64}", "ankr-endpoint-url"),
    ('provider = Web3.HTTPProvider("https://go.getblock.io/{hex:32}/")', "getblock-endpoint-url"),
    ("RPC_URL=https://solana-mainnet.core.chainstack.com/{hex:32}", "chainstack-endpoint-url"),
    ("RPC_URL=https://nd-123-456-789.p2pify.com/{hex:32}", "chainstack-endpoint-url"),
])
def test_a_key_in_an_endpoint_url(template: str, rule: str) -> None:
    assert rules_found(template, "rpc.env") == [rule]


@pytest.mark.parametrize("template", [
    'const RPC = "https://rpc.ankr.com/eth";',
    "RPC_URL=https://rpc.ankr.com/eth/${ANKR_API_KEY}",
    "https://go.getblock.io/docs/{hex:12}",
])
def test_endpoint_urls_without_a_key_are_not(template: str) -> None:
    assert rules_found(template, "rpc.env") == []


# -- a setter after a call (a builder), and a PHP namespaced client -------------------------------------------------
@pytest.mark.parametrize("template,rules,path", [
    ('client := bybit.NewClient().WithAuth("{alnum:18}", "{alnum:36}")', ["bybit-api-key", "bybit-api-secret"],
     "main.go"),
    ('$api = new Binance\\API("{alnum:64}", "{alnum:64}");', ["binance-api-credential"] * 2, "index.php"),
])
def test_builder_setters_and_namespaced_clients(template: str, rules: list[str], path: str) -> None:
    assert rules_found(template, path) == rules


def test_a_namespaced_client_without_a_venue_is_not() -> None:
    assert rules_found('$api = new Vendor\\Http\\API("{alnum:64}", "{alnum:36}");', "index.php") == []
