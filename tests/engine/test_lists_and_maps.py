"""Lists and maps of keys (issue 14): list elements inherit the list's name, in every way code writes a list.

Extraction gives each element the list's name; recognition then reads that name like any other (plural names
are read in the singular: PRIVATE_KEYS holds `privatekey`). Values are fake, generated at test time (seeded);
each layout has several variants and each has no_match variants beside it.
"""
from __future__ import annotations

import random

import pytest

from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.extract import extract
from crypto_key_guard.engine.extract.names import singular, tokens, words_of
from crypto_key_guard.engine.scanner import Scanner


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


def fill(template: str, seed: str) -> str:
    return expand(template, random.Random(seed))


def list_entries(text: str) -> list[tuple[str, str]]:
    data = text.encode("utf-8")
    return [(e.name, e.value) for e in extract(data, [(0, len(data))]) if e.layout == "list"]


def reported(scanner: Scanner, text: str, path: str = "config.txt") -> list[tuple[int, str]]:
    findings, _ = scanner.scan_content(text.encode("utf-8"), path)
    return [(f.line, f.rule) for f in findings]


# -- names in the plural ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, word", [("PRIVATE_KEYS", "privatekey"), ("privateKeys", "privatekey"),
                                        ("api_secrets", "apisecret"), ("walletKeys", "walletkey")])
def test_a_plural_name_holds_the_singular_word(name: str, word: str) -> None:
    assert word in words_of(name)[1]
    assert tokens(name)[-1].endswith("s")  # tokens stay as written


@pytest.mark.parametrize("token", ["pass", "address", "ids", "pks", "key"])
def test_short_and_ss_tokens_are_not_singularised(token: str) -> None:
    assert singular(token) == token


# -- extraction: every list syntax gives its items the list's name -------------------------------------------
LISTS = {
    "python-list": 'PRIVATE_KEYS = [\n    "{k1}",\n    "{k2}",\n]',
    "python-tuple-call": 'SIGNER_KEYS = tuple(["{k1}", "{k2}"])',
    "python-set": 'KEYS = {{"{k1}", "{k2}"}}',
    "js-array": 'const privateKeys = ["{k1}", "{k2}"];',
    "go-slice": 'var privateKeys = []string{{\n\t"{k1}",\n\t"{k2}",\n}}',
    "go-array": 'keys := [2]string{{"{k1}", "{k2}"}}',
    "java-array": 'String[] privateKeys = {{"{k1}", "{k2}"}};',
    "java-new-array": 'String[] privateKeys = new String[] {{"{k1}", "{k2}"}};',
    "csharp-new": 'var privateKeys = new[] {{ "{k1}", "{k2}" }};',
    "kotlin-listof": 'val privateKeys = listOf("{k1}", "{k2}")',
    "java-list-of": 'List<String> privateKeys = List.of("{k1}", "{k2}");',
    "rust-vec": 'let private_keys = vec!["{k1}", "{k2}"];',
    "yaml-list": 'private_keys:\n  - "{k1}"\n  - {k2}\n',
    "env-commas": 'PRIVATE_KEYS={k1},{k2}',
    "env-semicolons": 'PRIVATE_KEYS={k1};{k2}',
    "env-quoted-semicolons": 'PRIVATE_KEYS="{k1};{k2}"',
    "env-labelled": 'PRIVATE_KEYS=deployer:{k1};relayer:{k2}',
    "quoted-labelled": 'private_keys = "alice={k1}, bob={k2}"',
}


@pytest.mark.parametrize("layout", sorted(LISTS))
def test_list_items_inherit_the_lists_name(layout: str) -> None:
    k1, k2 = fill("{eth_key:0x}", layout + "1"), fill("{eth_key}", layout + "2")
    text = LISTS[layout].format(k1=k1, k2=k2)
    found = list_entries(text)
    values = [v for _, v in found]
    assert k1 in values and k2 in values, (layout, found)
    name = next(n for n, v in found if v == k1)
    assert "key" in words_of(name)[1]


def test_a_mapping_keyed_by_names_gives_no_list_items() -> None:
    """`{apiKey: v}` and `{"secret": v}`: each value has its own name (the searches read it), none is an item."""
    v = fill("{alnum:40}", "m")
    for text in (f'cfg = {{ apiKey: "{v}", other: 1 }}', f'cfg = {{"secret": "{v}"}}', f"cfg = {{key = '{v}'}}"):
        assert list_entries(text) == [], text


def test_a_mapping_keyed_by_other_strings_is_not_read_as_items() -> None:
    """Keys that are neither names nor accounts (`"Aacute;"`, `'user/api-key'`): the mapping is left to the
    searches at its first key, not walked to its end (a 64 KB entity table in a bundle cost 0.27 s)."""
    v = fill("{alnum:40}", "k")
    big = ",".join(f'"E{i};": "{v}"' for i in range(3000))
    for text in (f"apiKeys = {{{big}}}", f"secretKeys = {{'user/api-key': {{'cost': 1}}, 'x': '{v}'}}"):
        assert list_entries(text) == [], text[:40]


def test_a_mapping_keyed_by_addresses_names_its_values_by_the_mapping() -> None:
    address, key = fill("0x{hex:40}", "a"), fill("{eth_key:0x}", "b")
    assert list_entries(f'WALLETS = {{\n    "{address}": "{key}",\n}}') == [("WALLETS", key)]


def test_code_in_a_quoted_value_is_not_split_into_items() -> None:
    text = 'z=c(()=>F.value?`API Private Key:`:I.value?`Private Key`:`API Secret:`),B=c(()=>F.value?`Enter`)'
    assert list_entries(text) == []


def test_a_shell_command_after_a_semicolon_is_not_an_item() -> None:
    v = fill("{alnum:40}", "s")
    assert list_entries(f"export API_SECRET={v}; echo done") == []


# -- the engine: found, and only where a private key is named ---------------------------------------------------
def fake_values(seed: str) -> dict[str, str]:
    """Two private keys (with and without 0x) and two addresses, seeded."""
    rng = random.Random(seed)
    return {"k1": expand("{eth_key:0x}", rng), "k2": expand("{eth_key}", rng),
            "a1": expand("0x{hex:40}", rng), "a2": expand("0x{hex:40}", rng)}


FOUND = {
    "config.py": 'PRIVATE_KEYS = [\n    "{k1}",\n    "{k2}",\n]\n',
    "keys.go": 'var privateKeys = []string{{\n\t"{k1}",\n\t"{k2}",\n}}\n',
    "config.yaml": 'rpc: https://rpc.example.org\nprivate_keys:\n  - "{k1}"\n  - "{k2}"\n',
    ".env": 'BOT_PRIVATE_KEYS="{k1};{k2}"\n',
    "test.env": 'SIGNER_KEYS=alice:{k1};bob:{k2}\n',
    "wallets.py": 'WALLETS = {{\n    "{a1}": "{k1}",\n    "{a2}": "{k2}",\n}}\n',
    "Main.kt": 'val privateKeys = listOf(\n    "{k1}",\n    "{k2}"\n)\n',
}


def assert_keys_reported(scanner: Scanner, template: str, path: str) -> None:
    """Every private key planted in the template ({k1}, {k2}) is reported on its line."""
    values = fake_values(path)
    text = template.format(**values)
    lines = {line for line, rule in reported(scanner, text, path) if rule.startswith("ethereum-private-key")}
    expected = {text[:text.index(values[k])].count("\n") + 1 for k in ("k1", "k2") if "{%s}" % k in template}
    assert expected and expected <= lines, (path, reported(scanner, text, path))


@pytest.mark.parametrize("path", sorted(FOUND))
def test_every_key_of_a_list_is_reported(path: str, scanner: Scanner) -> None:
    assert_keys_reported(scanner, FOUND[path], path)


NOT_FOUND = {
    # public data in lists: addresses, transaction hashes, role ids under their own names
    "addresses.py": 'ADDRESSES = [\n    "{a1}",\n    "{a2}",\n]\n',
    "txs.py": 'TX_HASHES = ["{k1}", "{k2}"]\n',
    "roles.go": 'var roleHashes = []string{{"{k1}", "{k2}"}}\n',
    # a mapping from addresses to transaction hashes, and to balances
    "deployments.py": 'DEPLOY_TXS = {{"{a1}": "{k1}", "{a2}": "{k2}"}}\n',
    "balances.py": 'BALANCES = {{"{a1}": 100, "{a2}": 200}}\n',
    # env reads and placeholders in the list
    "env.py": 'PRIVATE_KEYS = [os.environ["KEY_1"], os.environ["KEY_2"]]\n',
    "example.env": 'PRIVATE_KEYS=your_private_key_here,another_private_key\n',
    "ts.ts": 'const privateKeys = [process.env.PK1!, process.env.PK2!];\n',
    # the list names no private key
    "commits.yaml": 'commits:\n  - "{k1}"\n  - "{k2}"\n',
    # a plural name over values of any shape: files, and a collection's name (not each a secret)
    "blocked.yaml": 'private_keys:\n  - "*.pem"\n  - id_ed25519\n  - secring_v2.gpg\n',
    "layouts.py": 'register("gh-secrets", "neg:secret-ref", "deploy.yml")\n',
}


@pytest.mark.parametrize("path", sorted(NOT_FOUND))
def test_lists_of_public_data_references_and_placeholders_are_not_reported(path: str, scanner: Scanner) -> None:
    assert reported(scanner, NOT_FOUND[path].format(**fake_values(path)), path) == []


# -- references and public constants beside keys ------------------------------------------------------------------
def test_keccak256_matches_ethereums_hash() -> None:
    from crypto_key_guard.engine.checksums import keccak256

    # the empty string's hash, and a role id as OpenZeppelin's AccessControl defines it (keccak256("MINTER_ROLE"))
    assert keccak256(b"").hex().startswith("c5d2460186f7233c927e7db2dcc703c0")
    assert keccak256(b"MINTER_ROLE").hex().startswith("9f2df0fed2c77648de5860a4cc508cd0")
    assert len(keccak256(b"x" * 300)) == 32  # more than one block


def _keccak_hex(name: str) -> str:
    from crypto_key_guard.engine.checksums import keccak256

    return keccak256(name.encode()).hex()


@pytest.mark.parametrize("text", [
    "MINTER_ROLE=0x{minter}\nPAUSER_ROLE=0x{pauser}\n",
    "UPGRADER=0x{upgrader}\n",                    # not named a role, but the hash of its own name
    "PERMIT_TYPEHASH={k}\nDOMAIN_SEPARATOR={k2}\n",
    "BURNER_ROLE={k}\n",
])
def test_public_constants_in_an_env_example_are_not_reported(text: str, scanner: Scanner) -> None:
    rng = random.Random(text)
    values = {"minter": _keccak_hex("MINTER_ROLE"), "pauser": _keccak_hex("PAUSER_ROLE"),
              "upgrader": _keccak_hex("UPGRADER"), "k": expand("{eth_key:0x}", rng), "k2": expand("{eth_key}", rng)}
    assert reported(scanner, text.format(**values), ".env.example") == []


def test_a_key_beside_public_constants_is_still_reported(scanner: Scanner) -> None:
    key = fill("{eth_key:0x}", "deployer")
    text = f"MINTER_ROLE=0x{_keccak_hex('MINTER_ROLE')}\nDEPLOYER={key}\n"
    assert [line for line, _ in reported(scanner, text, ".env")] == [2]


@pytest.mark.parametrize("value", [
    "%BINANCE_API_SECRET%", "%~1", "$env:BINANCE_API_SECRET",
    "@Microsoft.KeyVault(SecretUri=https://bot.vault.azure.net/secrets/binance-secret/)",
    "@Microsoft.KeyVault(VaultName=bot;SecretName=binance-secret)",
    "op://trading/binance/secret", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:binance-AbCdEf",
    "projects/trader/secrets/binance-secret/versions/latest",
    "#apiSecretHere", "yourSecretKeyHere", "insertApiKeyHERE",
])
def test_references_and_slots_are_placeholders(value: str, scanner: Scanner) -> None:
    assert scanner.is_placeholder(value)
    for text in (f'api_secret = "{value}"', f"--api-secret {value}", f'{{"Binance": {{"SecretKey": "{value}"}}}}'):
        assert reported(scanner, text, "settings.json") == [], text


@pytest.mark.parametrize("seed", range(5))
def test_random_keys_are_not_placeholders(seed: int, scanner: Scanner) -> None:
    rng = random.Random(seed)
    for template in ("{alnum:40}", "{b64url:43}", "{base64:86}==", "{HEX:32}"):
        assert not scanner.is_placeholder(expand(template, rng))


# -- files of bare values, named by the file ----------------------------------------------------------------------
VALUES_FILES = {
    # krakenex's load_key: the key on line 1, the secret on line 2
    "kraken.key": ("{base64:56}\n{base64:86}==\n", 2),
    "config/kraken.key": ("{base64:56}\r\n{base64:86}==\r\n", 2),
    # ccxt tutorials' api.txt: key, secret
    "api.txt": ("{alnum:64}\n{alnum:64}\n", 2),
    "keys/secret.key": ("{alnum:64}\n", 1),
    "secrets/okx_api_secret": ("{HEX:32}\n", 1),
    # one private key a line, and a JSON array of keys
    "data/wallets.txt": ("{eth_key:0x}\n{eth_key:0x}\n{eth_key}\n\n", 3),
    "private_keys.txt": ("{eth_key}\n{eth_key}\n", 2),
    ".privateKeys.json": ('[\n  "{eth_key:0x}",\n  "{eth_key:0x}"\n]\n', 2),
}


@pytest.mark.parametrize("path", sorted(VALUES_FILES))
def test_every_value_of_a_file_named_after_them_is_reported(path: str, scanner: Scanner) -> None:
    template, count = VALUES_FILES[path]
    text = fill(template, path)
    findings, _ = scanner.scan_content(text.encode(), path)
    lines = text.split("\n")
    located = {(f.line, f.column) for f in findings}
    expected = {(i + 1, len(line) - len(line.lstrip(' "')) + 1) for i, line in enumerate(lines)
                if line.strip(' "\r,[]')}
    assert len(expected) == count and expected <= located, (path, located)


VALUES_FILES_NOT_REPORTED = {
    # names that say nothing of a credential, or say public data / a digest
    "notes.txt": "{alnum:64}\n{alnum:64}\n",
    "hashes.txt": "{hex:64}\n{hex:64}\n",
    "public_keys.txt": "{eth_key}\n{eth_key}\n",
    "addresses.json": '["0x{hex:40}", "0x{hex:40}"]',
    # a credential's name, but placeholders, references and prose
    "api.txt": "YOUR_API_KEY_HERE_0000000000\nYOUR_API_SECRET_HERE_000000000\n",
    "secret.key": "${EXCHANGE_SECRET_FROM_THE_ENV}\n",
    "credentials.txt": "Put your exchange key on the first line\nand the secret on the second\n",
    # a file of the right name too large to be a key file, and one with code in it
    "keys.py": "KEY_FILE = 'kraken.key'\nSECRET_FILE = 'secret.key'\n",
}


@pytest.mark.parametrize("path", sorted(VALUES_FILES_NOT_REPORTED))
def test_files_of_public_data_placeholders_and_prose_are_not_reported(path: str, scanner: Scanner) -> None:
    assert reported(scanner, fill(VALUES_FILES_NOT_REPORTED[path], path), path) == []


def test_a_large_file_is_not_read_as_values(scanner: Scanner) -> None:
    rng = random.Random("large")
    text = "".join(expand("{alnum:64}\n", rng) for _ in range(400))  # 26 KB: more than a key file holds
    assert reported(scanner, text, "api.txt") == []


# -- names from where a value sits: the mapping above it, a label before it ---------------------------------------
NESTED = {
    "config.yml": 'wallet:\n  address: "{a1}"\n  key: "{k1}"\n',
    "config.json": '{{"signer": {{"address": "{a1}", "key": "{k1}"}}}}',
    "deploy.yml": 'deployer:\n  private: "{k1}"\n  pk_note: use a hardware wallet later\n',
    "settings.toml": '[deployer]\naddress = "{a1}"\nkey = "{k1}"\n',
    "keys.js": 'module.exports = {{\n  owner: {{\n    pk: "{k1}",\n  }},\n}};\n',
}


@pytest.mark.parametrize("path", sorted(NESTED))
def test_a_generic_leaf_is_named_by_the_mapping_it_sits_in(path: str, scanner: Scanner) -> None:
    assert_keys_reported(scanner, NESTED[path], path)


@pytest.mark.parametrize("text", [
    'tx:\n  key: "{k1}"\n',                          # a transaction's hash under `key`
    'cache:\n  key: "{k1}"\n',                       # a cache key
    'wallet:\n  key: "{a1}"\n',                      # an address, not a key
    'wallet:\n  key: "${{WALLET_KEY}}"\n',           # a reference
    'block:\n  hash: "{k1}"\n',
])
def test_a_generic_leaf_under_other_names_is_not_reported(text: str, scanner: Scanner) -> None:
    assert reported(scanner, text.format(**fake_values(text)), "config.yml") == []


@pytest.mark.parametrize("text", [
    "Account #0: {a1} (10000 ETH)\nPrivate Key: {k1}\n",
    "- Private Key: {k1}\n",
    "# Wallet Key: {k1}\n",
])
def test_a_label_of_words_names_the_value_after_it(text: str, scanner: Scanner) -> None:
    values = fake_values(text)
    text = text.format(**values)
    line = text[:text.index(values["k1"])].count("\n") + 1
    assert [found_line for found_line, _ in reported(scanner, text, "accounts.txt")] == [line]


@pytest.mark.parametrize("text", [
    "Public Key: {k1}\n",                            # public data
    "Transaction Hash: {k1}\n",
    "ENV KEY: {k1}\n",                               # code words before the name: no label
    "Block Key: {k1}\n",                             # the words name no private key
])
def test_labels_of_public_data_are_not_reported(text: str, scanner: Scanner) -> None:
    assert reported(scanner, text.format(**fake_values(text)), "notes.md") == []


def test_labels_are_read_only_at_a_line_start() -> None:
    from crypto_key_guard.engine.extract import extract as read

    for text, name in ((b"Private Key: 0xab", "Private Key"), (b"  - Your API Secret: ab", "Your API Secret"),
                       (b"x = Private Key: 1", "Key"), (b"ENV Secret: ab", "Secret")):
        assert [e.name for e in read(text, [(0, len(text))])] == [name], text
