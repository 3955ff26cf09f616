"""Extraction (step one of the engine): every layout family gives the (name, value) entries it holds.

Values are fake and generated at test time; the assertions are on names, values, spans and layouts.
"""
from __future__ import annotations

import random
import time

import pytest

from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.extract import enclosing_names, extract
from crypto_key_guard.engine.extract.decode import decode_value, whole_document
from crypto_key_guard.engine.extract.names import suffix_runs, tokens, words_of
from crypto_key_guard.engine.extract.notebook import notebook_outputs


def entries(text: str) -> list[tuple[str, str, str]]:
    data = text.encode("utf-8")
    found = extract(data, [(0, len(data))], lambda column: "key" in column.lower())
    for e in found:  # the span holds the value (joined, decoded and JSON-unescaped values aside)
        assert 0 <= e.start <= e.end <= len(data)
    return [(e.name or f"({e.callee})", e.value, e.layout) for e in found]


def names_for(text: str, value: str) -> set[str]:
    """The names given to value (an entry's own name and the env variable read beside it)."""
    data = text.encode("utf-8")
    found = extract(data, [(0, len(data))], lambda column: "key" in column.lower())
    return {n for e in found if e.value == value for n in (e.name or f"({e.callee})", e.alt) if n}


V = "Fake8vR2kLm9Tx4Wp7"  # a stand-in value; its shape does not matter to extraction


# -- one case per layout family: (text, name the value must be given) ---------------------------------------
LAYOUTS = {
    "python": (f'BINANCE_API_KEY = "{V}"', "BINANCE_API_KEY"),
    "python-annotated": (f'api_key: str = "{V}"', "api_key"),
    "js-object": (f'const cfg = {{ apiKey: "{V}" }};', "apiKey"),
    "ts-typed": (f'const API_KEY: string = "{V}";', "API_KEY"),
    "go": (f'apiKey := "{V}"', "apiKey"),
    "go-struct": (f'cfg := Config{{APIKey: "{V}"}}', "APIKey"),
    "rust-let": (f'let api_secret: &str = "{V}";', "api_secret"),
    "java": (f'private static final String API_SECRET = "{V}";', "API_SECRET"),
    "csharp": (f'public const string ApiSecret = "{V}";', "ApiSecret"),
    "kotlin": (f'val apiSecret: String = "{V}"', "apiSecret"),
    "swift": (f'let apiSecret = "{V}"', "apiSecret"),
    "php-var": (f"$apiSecret = '{V}';", "apiSecret"),
    "php-array": (f"'api_secret' => '{V}',", "api_secret"),
    "ruby-symbol": (f":api_secret => '{V}'", "api_secret"),
    "ruby-hash": (f"api_secret: '{V}'", "api_secret"),
    "shell-export": (f'export OKX_SECRET="{V}"', "OKX_SECRET"),
    "dotenv": (f"OKX_SECRET={V}", "OKX_SECRET"),
    "dockerfile-env": (f"ENV OKX_SECRET {V}", "OKX_SECRET"),
    "dockerfile-env-eq": (f"ENV OKX_SECRET={V}", "OKX_SECRET"),
    "ini": (f"[okx]\nsecret = {V}\n", "secret"),
    "toml": (f'[okx]\nsecret = "{V}"\n', "secret"),
    "toml-multiline": (f'secret = """{V}"""', "secret"),
    "yaml": (f"okx:\n  secret: {V}\n", "secret"),
    "yaml-quoted": (f"secret: '{V}'", "secret"),
    "yaml-block": (f"secret: |\n  {V}\nnext: 1\n", "secret"),
    "yaml-folded": (f"secret: >-\n  {V}\n", "secret"),
    "yaml-tag": (f"secret: !!str {V}", "secret"),
    "yaml-anchor": (f"secret: &main {V}", "secret"),
    "k8s-env": (f"env:\n  - name: OKX_SECRET\n    value: \"{V}\"\n", "OKX_SECRET"),
    "ecs-json": (f'{{"name": "OKX_SECRET", "value": "{V}"}}', "OKX_SECRET"),
    "json": (f'{{"secret": "{V}"}}', "secret"),
    "notebook-source": (f'    "OKX_SECRET = \\"{V}\\"\\n",', "OKX_SECRET"),
    "xml-element": (f"<apiKey>{V}</apiKey>", "apiKey"),
    "xml-attribute": (f'<add key="x" apiKey="{V}" />', "apiKey"),
    "jenkins": (f"<secret>{V}</secret>", "secret"),
    "makefile-cond": (f"API_KEY ?= {V}", "API_KEY"),
    "makefile-append": (f"API_KEY += {V}", "API_KEY"),
    "makefile-simple": (f"API_KEY := {V}", "API_KEY"),
    "cli-space": (f"bot --api-key {V} --dry-run", "api-key"),
    "cli-equals": (f"bot --secret={V}", "secret"),
    "url-query": (f"https://api.example.com/v1?apikey={V}&x=1", "apikey"),
    "http-header": (f"X-MBX-APIKEY: {V}", "X-MBX-APIKEY"),
    "curl-header": (f'curl -H "X-MBX-APIKEY: {V}" https://x', "X-MBX-APIKEY"),
    "python-kwarg": (f'client = Client(api_key="{V}")', "api_key"),
    "pydantic-default": (f'api_key: str = Field(default="{V}")', "api_key"),
    "argparse-default": (f'parser.add_argument("--api-key", default="{V}")', "--api-key"),
    "click-default": (f'@click.option("--api-secret", default="{V}")', "--api-secret"),
    "env-fallback-or": (f'api_key = os.getenv("BINANCE_KEY") or "{V}"', "api_key"),
    "env-fallback-arg": (f'api_key = os.getenv("BINANCE_KEY", "{V}")', "api_key"),
    "env-fallback-environ-get": (f'api_key = os.environ.get("BINANCE_KEY", "{V}")', "BINANCE_KEY"),
    "js-fallback-or": (f'const key = process.env.BINANCE_KEY || "{V}";', "key"),
    "js-fallback-nullish": (f'const key = process.env.BINANCE_KEY ?? "{V}";', "key"),
    "shell-default": (f"KEY=${{BINANCE_KEY:-{V}}}", "BINANCE_KEY"),
    "setdefault": (f'os.environ.setdefault("BINANCE_KEY", "{V}")', "BINANCE_KEY"),
    "concat-plus": (f'API_KEY = "{V[:8]}" + \\\n    "{V[8:]}"', "API_KEY"),
    "concat-implicit": (f'API_KEY = (\n    "{V[:8]}"\n    "{V[8:]}"\n)', "API_KEY"),
    "padded": (f'API_KEY = "  {V}  "', "API_KEY"),
    "csv": (f"address,private_key\n0xabc,{V}\n", "private_key"),
    "tsv": (f"address\tprivate_key\n0xabc\t{V}\n", "private_key"),
    "markdown-table": (f"| address | private_key |\n|---|---|\n| 0xabc | {V} |\n", "private_key"),
    "list-python": (f'PRIVATE_KEYS = ["{V}", "other-value-1"]', "PRIVATE_KEYS"),
    "list-yaml": (f"private_keys:\n  - {V}\n  - other\n", "private_keys"),
    "list-env": (f"PRIVATE_KEYS={V},{V[::-1]}", "PRIVATE_KEYS"),
    "userinfo": (f"proxy = 'http://trader:{V}@proxy.example.com:8080'", "password"),
}


@pytest.mark.parametrize("case", sorted(LAYOUTS))
def test_layout_family_gives_the_value_its_name(case: str) -> None:
    text, name = LAYOUTS[case]
    assert name in names_for(text, V), entries(text)


@pytest.mark.parametrize("text,callee", [
    (f'client = Client("{V}", "{V[::-1]}")', "Client"),
    (f'signed = w3.eth.account.sign_transaction(tx, "{V}")', "w3.eth.account.sign_transaction"),
    (f'const wallet = new ethers.Wallet("{V}", provider);', "ethers.Wallet"),
    (f'let w: LocalWallet = "{V}".parse::<LocalWallet>().unwrap();', "LocalWallet"),
])
def test_positional_arguments_are_named_by_their_callee(text: str, callee: str) -> None:
    assert f"({callee})" in names_for(text, V)


@pytest.mark.parametrize("text", [
    'api_key = os.getenv("BINANCE_KEY")',
    'api_key = os.environ["BINANCE_KEY"]',
    "const key = process.env.BINANCE_KEY;",
    "KEY=${BINANCE_KEY}",
    "KEY=$BINANCE_KEY",
    "api_key: *default_key",
    "api_key: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n",
    'if api_key == "abc": pass',
])
def test_env_reads_references_and_comparisons_give_no_value(text: str) -> None:
    assert all(v not in ("BINANCE_KEY", "abc") and not v.startswith("$") for _, v, _ in entries(text)), entries(text)
    assert not [e for e in entries(text) if e[0] in ("api_key", "key", "KEY")]


def test_concatenation_joins_pieces_and_padding_is_trimmed() -> None:
    assert names_for(f'K = "{V[:5]}" "{V[5:]}"', V) == {"K"}
    assert names_for(f'K = "{V[:5]}" +\n  "{V[5:]}"', V) == {"K"}
    assert names_for(f'K = " {V} "', V) == {"K"}


def test_json_escapes_are_kept_for_recognition_to_undo() -> None:
    found = entries('{"secret": "ab\\/cd' + V + '"}')
    assert found and found[0][1] == "ab\\/cd" + V  # the span is the written text; recognise() unescapes \/


def test_yaml_block_scalar_value_and_span() -> None:
    text = f"key: |\n  {V}\n  {V[::-1]}\nnext: x\n"
    data = text.encode()
    (entry,) = [e for e in extract(data, [(0, len(data))]) if e.name == "key"]
    assert entry.value == f"{V}\n{V[::-1]}"
    assert data[entry.start:entry.end].decode().split() == [V, V[::-1]]


def test_csv_rows_need_the_header_and_stop_at_a_different_shape() -> None:
    text = f"address,private_key\n0x1,{V}\n0x2,{V[::-1]}\nsome prose, with a comma, and more\n"
    assert [v for n, v, _ in entries(text) if n == "private_key"] == [V, V[::-1]]
    assert not [e for e in entries(f"hello,world\n1,{V}\n") if e[1] == V]  # no credential column


@pytest.mark.parametrize("text,value_at,expected", [
    ('exchanges:\n  binance:\n    main:\n      secret: VALUE\n', "VALUE", ["main", "binance", "exchanges"]),
    ('cfg = {"binance_main": {"api_key_main": "VALUE"}}', "VALUE", ["binance_main", "cfg"]),
    ('[kraken]\nfoo = 1\nsecret = "VALUE"\n', "VALUE", ["kraken"]),
    ('ex = ccxt.okx({\n  "apiKey": "VALUE",\n})', "VALUE", ["ccxt.okx", "ex"]),
    ('{\n  "wallet": {\n    "key": "VALUE"\n  }\n}', "VALUE", ["wallet"]),
])
def test_enclosing_names(text: str, value_at: str, expected: list[str]) -> None:
    data = text.encode()
    assert enclosing_names(data, data.index(value_at.encode())) == expected


@pytest.mark.parametrize("name,words", [
    ("BINANCE_API_KEY_PROD", ("binance", "api", "key", "prod")),
    ("kucoinToken", ("kucoin", "token")),
    ("X-MBX-APIKEY", ("x", "mbx", "apikey")),
    ("exchanges.binance.secret", ("exchanges", "binance", "secret")),
    ("APIKey", ("api", "key")),
    ("okx-pass", ("okx", "pass")),
    ("API_SECRET_1", ("api", "secret", "1")),
])
def test_names_become_words(name: str, words: tuple) -> None:
    assert tokens(name) == words


def test_words_match_whole_tokens_or_joined_runs() -> None:
    runs = words_of("BINANCE_API_KEY_PROD")[1]
    assert {"binance", "apikey", "key", "binanceapikey"} <= runs
    assert "gate" not in words_of("GATEWAY_API_KEY")[1]
    assert "gateio" in words_of("gate_io_key")[1]
    assert "fromkey" in suffix_runs("Account.from_key")
    assert "privatekeysigner" in suffix_runs("PrivateKeySigner::from_str", frozenset({"from", "str"}))
    assert "wallet" not in suffix_runs("getWalletBalance")


def test_decoding_is_bounded_to_text() -> None:
    import base64

    rng = random.Random(1)
    env = f"BINANCE_API_SECRET={expand('{alnum:64}', rng)}\n"
    assert decode_value(base64.b64encode(env.encode()).decode()) == (env, "base64")
    assert decode_value(expand("{alnum:64}", rng)) is None  # random key material decodes to binary: left alone
    assert decode_value("abc%2Bdef%3D") == ("abc+def=", "percent")
    doc = base64.b64encode(env.encode()) + b"\n"
    assert whole_document(doc) == (0, len(doc) - 1, env.encode())
    assert whole_document(b"not base64 at all, just prose\n") is None


def _best_time(run, repeats: int = 3) -> float:
    """The fastest of a few runs: load from other work on a shared machine only ever adds time, so the minimum is
    what a growth ratio should compare (one slow sample made these checks flaky under load)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def test_extraction_is_linear_on_huge_minified_input() -> None:
    """A 2 MB minified line full of names and operators: time grows with size, not with its square."""
    unit = b'a.apiKey="x";b={secret:"y",k:[1,2,3]},c=f(d,"z");'
    timings = []
    for copies in (4_000, 16_000):
        data = unit * copies
        assert len(extract(data, [(0, len(data))])) >= copies
        timings.append(_best_time(lambda: extract(data, [(0, len(data))])))
    assert timings[1] < timings[0] * 8  # 4x the input: well under 16x the time


@pytest.mark.parametrize("run", [b"a", b"A_b.", b"x-1"])
def test_calls_are_linear_on_identifier_runs_with_the_stdlib_matcher(monkeypatch, run: bytes) -> None:
    """A long identifier-like run (a minified bundle, 'aaaa...!'): the callee before `(` is read backwards, never
    matched by a leading unbounded run, so the backtracking fallback is not retried from every byte."""
    from crypto_key_guard.engine import extract as extraction
    from crypto_key_guard.engine import regex

    monkeypatch.setattr(regex, "BACKEND", "re")
    monkeypatch.setattr(extraction, "_COMPILED", {})  # the searches compiled again, by the stdlib matcher
    timings = []
    for size in (20_000, 80_000):
        data = run * (size // len(run)) + b"!"
        timings.append(_best_time(lambda: extract(data, [(0, len(data))])))
    assert timings[1] < timings[0] * 8 + 0.05  # 4x the input: well under 16x the time


@pytest.mark.parametrize("gap,found", [(0, True), (100, True), (398, True), (450, False)])
def test_a_section_header_names_the_entries_below_it_within_400_lines(gap: int, found: bool) -> None:
    data = b"[other]\nx = 1\n[binance]\n" + b"note = 1\n" * gap + b"secret = value\n"
    names = enclosing_names(data, data.index(b"secret ="))
    assert (names == ["binance"]) is found and "other" not in names


# -- syntaxes, fallbacks, signers and encodings seen in public code (issue 14): several ways each is written, and
# look-alikes that hold no secret. Whole-engine checks: extraction gives the entry, recognition the finding.
def _fake(template: str, seed: str) -> tuple[str, dict[str, str]]:
    """template with {slots} filled by seeded fakes; also the slots' values by name ({K} -> the same value)."""
    rng = random.Random(seed)
    values = {"KEY": expand("{eth_key:0x}", rng), "HEXKEY": expand("{eth_key}", rng),
              "ALNUM": expand("{alnum:64}", rng), "B64": expand("{base64:86}==", rng),
              "BYBIT": expand("{alnum:36}", rng), "OVER": "0x" + expand("{secp_overflow}", rng)}
    values["B64U"] = values["B64"].replace("+", "\\u002B").replace("/", "\\u002F")  # JSON escapes
    text = template
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text, values


def _rules_found(text: str, path: str) -> set[str]:
    from crypto_key_guard.engine.scanner import Scanner

    findings, _ = Scanner().scan_content(text.encode("utf-8"), path)
    return {f.rule for f in findings}


@pytest.mark.parametrize("template,path,rule", [
    # Rust: the literal parsed into a signer, the chain wrapped by rustfmt
    ('let wallet = "{KEY}"\n    .parse::<LocalWallet>()?\n    .with_chain_id(1u64);', "main.rs", "ethereum-private-key"),
    ('let signer = "{HEXKEY}"\n        .parse::<PrivateKeySigner>()\n        .expect("key");', "sign.rs",
     "ethereum-private-key"),
    ('let signer = "{KEY}".parse::<alloy::signers::local::PrivateKeySigner>()?;', "a.rs", "ethereum-private-key"),
    # web3j
    ('val credentials = Credentials.create("{KEY}")', "Wallet.kt", "ethereum-private-key"),
    ('Credentials credentials = Credentials.create("{HEXKEY}");', "Main.java", "ethereum-private-key"),
    # literal fallbacks after an env read
    ('let key = std::env::var("PRIVATE_KEY")\n    .unwrap_or_else(|_| "{HEXKEY}".to_string());', "w.rs",
     "ethereum-private-key"),
    ('let pk = env::var("SIGNER_PRIVATE_KEY").unwrap_or("{KEY}".into());', "w.rs", "ethereum-private-key"),
    ('String key = Optional.ofNullable(System.getenv("PRIVATE_KEY")).orElse("{KEY}");', "K.java",
     "ethereum-private-key"),
    ('  secret: process.env.BYBIT_API_SECRET! || "{BYBIT}",', "config.ts", "bybit-api-secret"),
    ('const secret = process.env.BYBIT_API_SECRET! ?? "{BYBIT}";', "config.ts", "bybit-api-secret"),
    ('  BINANCE_API_SECRET: {{ .Values.binance.apiSecret | default "{ALNUM}" | quote }}', "secret.yaml",
     "binance-api-credential"),
    ('  BINANCE_API_SECRET: {{ default "{ALNUM}" .Values.binanceSecret }}', "secret.yaml", "binance-api-credential"),
    ("  binance_api_secret: '{{ .Values.secret | default \"{ALNUM}\" }}'", "values.yaml", "binance-api-credential"),
    # HCL input variable with a default
    ('variable "binance_api_secret" {\n  type      = string\n  sensitive = true\n  default   = "{ALNUM}"\n}\n',
     "vars.tf", "binance-api-credential"),
    ('variable "deployer_private_key" {\n  default = "{HEXKEY}"\n}\n', "main.tf", "ethereum-private-key"),
    # C# auto-property initialisers
    ('public class BinanceSecrets\n{\n    public string ApiSecret { get; set; } = "{ALNUM}";\n}', "S.cs",
     "binance-api-credential"),
    ('    public string BinanceSecret { get; init; } = "{ALNUM}";', "S.cs", "binance-api-credential"),
    ('    public static string PrivateKey { get; private set; } = "{KEY}";', "W.cs", "ethereum-private-key"),
    # JSON \u escapes (serializers escaping punctuation)
    ('{"kraken": {"secret": "{B64U}"}}', "settings.json", "kraken-api-secret"),
])
def test_observed_syntaxes_are_found(template: str, path: str, rule: str) -> None:
    text, _ = _fake(template, template)
    assert rule in _rules_found(text, path), text


@pytest.mark.parametrize("template,path", [
    ('let wallet = "{OVER}"\n    .parse::<LocalWallet>()?;', "main.rs"),
    ('let wallet = std::env::var("PRIVATE_KEY")?\n    .parse::<LocalWallet>()?;', "main.rs"),
    ('val credentials = Credentials.create(privateKey)', "Wallet.kt"),
    ('val credentials = Credentials.create(System.getenv("PRIVATE_KEY"))', "Wallet.kt"),
    ('let key = std::env::var("PRIVATE_KEY").unwrap_or_default();', "w.rs"),
    ('let key = std::env::var("PRIVATE_KEY").unwrap_or_else(|_| panic!("PRIVATE_KEY is not set"));', "w.rs"),
    ('let key = std::env::var("PRIVATE_KEY").unwrap_or(String::new());', "w.rs"),
    ('  secret: process.env.BYBIT_API_SECRET!,', "config.ts"),
    ('  secret: process.env.BYBIT_API_SECRET! || "",', "config.ts"),
    ('  secret: process.env.BYBIT_API_SECRET! || "your-bybit-api-secret",', "config.ts"),
    ('  BINANCE_API_SECRET: {{ .Values.binance.apiSecret | quote }}', "secret.yaml"),
    ('  BINANCE_API_SECRET: {{ .Values.binance.apiSecret | default "" | quote }}', "secret.yaml"),
    ('  BINANCE_API_SECRET: {{ .Values.binance.apiSecret | default .Values.global.secret }}', "secret.yaml"),
    ('  BINANCE_API_SECRET: {{ default "changeme" .Values.binanceSecret }}', "secret.yaml"),
    ('variable "binance_api_secret" {\n  type    = string\n  default = ""\n}\n', "vars.tf"),
    ('variable "binance_api_secret" {\n  default = null\n}\n', "vars.tf"),
    ('variable "binance_api_secret" {\n  type = string\n}\n# default = "${var.x}"\n', "vars.tf"),
    ('    public string ApiSecret { get; set; } = string.Empty;', "S.cs"),
    ('    public string ApiSecret { get; set; } = Environment.GetEnvironmentVariable("BINANCE_API_SECRET");',
     "S.cs"),
    ('    public string BinanceApiSecret { get; set; } = "<your binance secret>";', "S.cs"),
    ('{"binance": {"secret": "\\u003cYOUR_BINANCE_SECRET\\u003e"}}', "settings.json"),
])
def test_observed_syntax_look_alikes_are_not_found(template: str, path: str) -> None:
    text, _ = _fake(template, template)
    assert not _rules_found(text, path), text


def _pem_body(seed: str, header: str = "EC PRIVATE KEY") -> str:
    rng = random.Random(seed)
    body = "MHcCAQEEI" + expand("{base64:183}", rng)
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {header}-----", *lines, f"-----END {header}-----"])


@pytest.mark.parametrize("style", ["js-plus", "java-plus", "python-implicit", "b64-mime-ruby", "b64-mime-json"])
def test_pem_joined_from_pieces_or_base64_with_escaped_newlines(style: str) -> None:
    import base64

    pem = _pem_body(style)
    lines = pem.split("\n")
    b64 = base64.b64encode(pem.encode()).decode()
    mime = "\\n".join(b64[i:i + 60] for i in range(0, len(b64), 60))
    text, path = {
        "js-plus": ("const config = {\n  privateKey: " + " +\n    ".join(f"'{ln}\\n'" for ln in lines) + ",\n};\n",
                    "config.js"),
        "java-plus": ('private static final String PRIVATE_KEY =\n        ' +
                      " +\n        ".join(f'"{ln}\\n"' for ln in lines) + ";\n", "Keys.java"),
        "python-implicit": ("SIGNING_KEY = (\n" + "".join(f'    "{ln}\\n"\n' for ln in lines) + ")\n", "keys.py"),
        "b64-mime-ruby": ('let(:secrets) { { "ios-secret" => "' + mime + '" } }\n', "spec.rb"),
        "b64-mime-json": ('{"private_key_b64": "' + mime + '"}\n', "app.json"),
    }[style]
    assert "private-key-pem" in _rules_found(text, path), text


@pytest.mark.parametrize("text", [
    "pem = '-----BEGIN PRIVATE KEY-----\\n' + key + '\\n-----END PRIVATE KEY-----'",
    "PRIVATE_KEY = (\n    '-----BEGIN PRIVATE KEY-----\\n'\n    '{key}\\n'\n    '-----END PRIVATE KEY-----'\n)",
])
def test_pem_templates_around_a_variable_are_not_found(text: str) -> None:
    assert not _rules_found(text, "auth.js")


def test_public_key_base64_with_escaped_newlines_is_not_found() -> None:
    import base64

    pem = _pem_body("pub", "PUBLIC KEY")
    b64 = base64.b64encode(pem.encode()).decode()
    mime = "\\n".join(b64[i:i + 60] for i in range(0, len(b64), 60))
    assert not _rules_found('{"public_key_b64": "' + mime + '", "secret": "' + mime + '"}', "app.json")


def _notebook(*cells: tuple[str, list[dict]]) -> str:
    """A notebook of code cells (source, outputs), written as Jupyter writes it (outputs before source)."""
    import json

    return json.dumps({"cells": [{"cell_type": "code", "execution_count": n, "metadata": {}, "outputs": outputs,
                                  "source": source.splitlines(keepends=True)}
                                 for n, (source, outputs) in enumerate(cells, 1)],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def _result(text: str) -> dict:
    return {"data": {"text/plain": [text]}, "execution_count": 1, "metadata": {}, "output_type": "execute_result"}


def _stream(*lines: str) -> dict:
    return {"name": "stdout", "output_type": "stream", "text": [ln + "\n" for ln in lines]}


@pytest.mark.parametrize("case", ["ccxt-attribute", "environ", "account-key", "print-getenv", "print-environ",
                                  "earlier-cell", "display-double-quotes"])
def test_notebook_outputs_are_named_by_their_input(case: str) -> None:
    _, v = _fake("", case)
    secret, key, eth = v["ALNUM"], v["ALNUM"][::-1], v["KEY"]
    text, rule = {
        "ccxt-attribute": (_notebook(("import ccxt, os\nexchange = ccxt.binance({'apiKey': os.environ['K']})\n"
                                      "exchange.secret", [_result(f"'{secret}'")])), "binance-api-credential"),
        "environ": (_notebook(("import os\nos.environ['BINANCE_API_SECRET']", [_result(f"'{secret}'")])),
                    "binance-api-credential"),
        "account-key": (_notebook(("acct = Account.create()\nacct.key.hex()", [_result(f"'{eth}'")])),
                        "ethereum-private-key"),
        "print-getenv": (_notebook(('api_key = os.getenv("BINANCE_API_KEY")\nsecret = os.getenv("BINANCE_SECRET")\n'
                                    "print(api_key)\nprint(secret)", [_stream(key, secret)])),
                         "binance-api-credential"),
        "print-environ": (_notebook(("print(os.environ['BINANCE_API_SECRET'])", [_stream(secret)])),
                          "binance-api-credential"),
        "earlier-cell": (_notebook(("exchange = ccxt.binance(config)", []), ("exchange.secret;",
                                                                              [_result(f"'{secret}'")])),
                         "binance-api-credential"),
        "display-double-quotes": (_notebook(("os.environ['BINANCE_API_SECRET']", [_result(f'"{secret}"')])),
                                  "binance-api-credential"),
    }[case]
    assert rule in _rules_found(text, "research.ipynb"), text
    data = text.encode()
    (entry,) = [e for e in notebook_outputs(data) if e.value in (secret, eth)]
    assert data[entry.start:entry.end].decode() == entry.value


@pytest.mark.parametrize("case", ["placeholder", "empty", "not-a-credential-name", "tx-hash", "loop-prints",
                                  "statement", "table", "not-a-notebook-path"])
def test_notebook_outputs_without_a_secret_or_a_credential_input_are_not_found(case: str) -> None:
    _, v = _fake("", case)
    secret, hexkey = v["ALNUM"], v["HEXKEY"]
    text = {
        "placeholder": _notebook(("os.environ['BINANCE_API_SECRET']", [_result("'your-binance-api-secret'")])),
        "empty": _notebook(("exchange = ccxt.binance()\nexchange.secret", [_result("''")])),
        "not-a-credential-name": _notebook(("exchange = ccxt.binance()\nexchange.id", [_result(f"'{secret}'")])),
        "tx-hash": _notebook(("tx_hash = w3.eth.send_raw_transaction(signed.rawTransaction)\ntx_hash.hex()",
                              [_result(f"'0x{hexkey}'")])),
        "loop-prints": _notebook(("for order in orders:\n    print(order['id'])\nprint(secret)",
                                  [_stream(secret, secret[::-1], secret[1:])])),
        "statement": _notebook(("secret = load()\nx = 1", [_result(f"'{secret}'")])),
        "table": _notebook(("exchange.secret", [_result(f"   id  secret\n0  1  {secret}")])),
        "not-a-notebook-path": _notebook(("os.environ['BINANCE_API_SECRET']", [_result(f"'{secret}'")])),
    }[case]
    path = "notes.json" if case == "not-a-notebook-path" else "research.ipynb"
    assert not _rules_found(text, path), text


@pytest.mark.parametrize("template,path", [
    ('fn main() {\n    let key_hex = "{HEXKEY}";\n    let key_bytes = hex::decode(key_hex).unwrap();\n'
     '    let signer = PrivateKeySigner::from_bytes(&B256::from_slice(&key_bytes)).unwrap();\n}', "main.rs"),
    ("const k = '{KEY}';\nconst wallet = new ethers.Wallet(k, provider);", "deploy.js"),
    ('owner = "{KEY}"\nacct = Account.from_key(owner)', "tests/conftest.py"),
    ('let raw: &str = "{HEXKEY}";\nlet wallet = LocalWallet::from_str(raw)?;', "keys.rs"),
    ('k := "{HEXKEY}"\npriv, err := crypto.HexToECDSA(k)', "main.go"),
])
def test_literals_reaching_a_signer_through_variables_are_found(template: str, path: str) -> None:
    text, _ = _fake(template, template)
    assert "ethereum-private-key" in _rules_found(text, path), text


@pytest.mark.parametrize("template,path", [
    ('let key_hex = std::env::var("PK")?;\nlet signer = PrivateKeySigner::from_bytes(&hex::decode(key_hex)?)?;',
     "main.rs"),
    ("const k = '{OVER}';\nconst wallet = new ethers.Wallet(k, provider);", "deploy.js"),  # not a secp256k1 key
    ('tx_hash = "{KEY}"\nreceipt = w3.eth.wait_for_transaction_receipt(tx_hash)', "send.py"),
    ('digest = "{KEY}"\nacct = Account.from_key(other)', "send.py"),  # the literal does not reach the call
    ("k = '{KEY}'\n" + "x = 1\n" * 800 + "acct = Account.from_key(k)", "far.py"),  # beyond REF_BACK
])
def test_variables_not_holding_a_key_for_a_signer_are_not_found(template: str, path: str) -> None:
    text, _ = _fake(template, template)
    assert not _rules_found(text, path), text


@pytest.mark.parametrize("line,names", [
    ("python worker.py tree.json binance {A} {B}", ["binance_api_key", "binance_api_secret"]),
    ("$ python3 -m bot kucoin {A} {B} Falcon-river12", ["kucoin_api_key", "kucoin_api_secret", "kucoin_passphrase"]),
    ("./start.sh okx {A} {B}", ["okx_api_key", "okx_api_secret"]),
    ("node index.js --dry-run binance {A}", ["binance_api_key"]),
])
def test_command_line_positional_arguments_after_an_exchange_are_named(line: str, names: list[str]) -> None:
    rng = random.Random(line)
    text = line.replace("{A}", expand("{alnum:64}", rng)).replace("{B}", expand("{alnum:64}", rng))
    data = text.encode()
    found = extract(data, [(0, len(data))], subjects=frozenset({"binance", "kucoin", "okx"}))
    assert [e.name for e in found if e.layout == "positional"] == names


@pytest.mark.parametrize("text", [
    "python bot.py binance $BINANCE_API_KEY $BINANCE_API_SECRET",
    "python bot.py binance ${KEY} ${SECRET}",
    "python bot.py binance <api_key> <api_secret>",
    "python bot.py binance --key=abc",
    "python bot.py binance BTC/USDT 1h",
    "python bot.py download-data binance",
    "Use binance with your key and secret",  # prose, not a command line
    "pip install binance-connector-python-sdk",
])
def test_command_lines_without_positional_credentials_give_no_cli_entries(text: str) -> None:
    data = text.encode()
    found = extract(data, [(0, len(data))], subjects=frozenset({"binance"}))
    assert not [e for e in found if e.layout == "positional"]


def test_positional_credentials_are_recognised_and_placeholders_are_not() -> None:
    rng = random.Random("positional")
    key, secret = expand("{alnum:64}", rng), expand("{alnum:64}", rng)
    assert _rules_found(f"python bot.py binance {key} {secret}\n", "run.sh") == {"binance-api-credential"}
    assert not _rules_found("python bot.py binance YOUR_BINANCE_API_KEY_HERE YOUR_BINANCE_API_SECRET\n", "run.sh")
    # a date range or a strategy name after the exchange is no credential for the generic rules either
    assert not _rules_found("# set api_key in config.json, then\npython backtest.py binance "
                            "2024-01-01T00:00:00Z_2024-03-01 SampleStrategyV2x\n", "README.md")


def test_a_callee_is_compared_as_written_and_in_the_singular() -> None:
    """Names are read in the singular (PRIVATE_KEYS holds keys); a callee word in the plural (web3j's
    `Credentials.create`) must still match the rule's callee as written."""
    assert {"credentialscreate", "credentialcreate"} <= suffix_runs("Credentials.create")
    assert "credentials" in suffix_runs("Credentials.create", frozenset({"create"}))
