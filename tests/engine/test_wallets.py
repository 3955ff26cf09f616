"""Wallet secrets through the real hook (crypto-key-patterns main) on real files: where they are found, and the
look-alikes (digests, hashes, public keys, English, wrong checksums) that must not be."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto_key_guard.engine.checksums import bip39_wordlist
from crypto_key_guard.crypto_key_patterns import main
from crypto_key_guard.engine.scanner import Scanner
from crypto_key_guard.engine.rules import builtin_patterns_dir

OWN_RULES = {r["id"] for name in ("wallets.yaml", "infrastructure.yaml")
             for r in yaml.safe_load((builtin_patterns_dir() / name).read_text())["rules"]}


@pytest.fixture
def scan(tmp_path: Path, capsys, monkeypatch):
    """scan({name: text}, *options) -> findings (dicts) of the whole default rule set, via the hook's JSON."""
    monkeypatch.chdir(tmp_path)

    def run(files: dict[str, str], *options: str) -> list[dict]:
        for name, text in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text, encoding="utf-8")
        rc = main(["--format", "json", *options, *files])
        out = capsys.readouterr().out
        findings = json.loads(out)["findings"]
        assert rc == (1 if findings else 0)
        for text in files.values():  # no output ever holds a whole key-length token of the input
            for token in re.split(r"[\s\"'=,\[\](){}:;]+", text):
                if len(token) >= 40:
                    assert token not in out
        return findings
    return run


def found(findings: list[dict], rule_prefix: str) -> list[tuple[str, int]]:
    return [(f["file"], f["line"]) for f in findings if f["rule"].startswith(rule_prefix)]


def own(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f["rule"] in OWN_RULES]


# -- BIP39 mnemonics -------------------------------------------------------------------------------------------
MNEMONIC_FILES = [
    ("seed.txt", "{mnemonic:12}\n", 1),
    ("backup/seed.txt", "wallet backup, keep offline\n\n{mnemonic:24,lines}\n", 3),
    ("notes.md", "# cold wallet\n\n1. {mnemonic:12,numbered}\n", 3),
    ("phrase.txt", "{mnemonic:24,wrap}\n", 1),
    (".env", "RPC_URL=http://localhost:8545\nMNEMONIC=\"{mnemonic:12}\"\n", 2),
    (".env.production", "SEED_PHRASE={mnemonic:15}\n", 1),
    ("config.json", '{\n  "network": "mainnet",\n  "mnemonic": "{mnemonic:18}"\n}\n', 3),
    ("words.json", '{"words": [\n    {mnemonic:12,jsonlines}\n]}\n', 2),
    ("settings.yaml", "wallet:\n  derivation: m/44'/60'/0'/0\n  mnemonic: {mnemonic:21}\n", 3),
    ("folded.yaml", "wallet:\n  mnemonic: >\n    {mnemonic:24,wrap}\n", 3),
    ("hardhat.config.js", "module.exports = {\n  networks: {\n    goerli: {\n      url: RPC,\n"
                          "      accounts: { mnemonic: \"{mnemonic:12}\", path: \"m/44'/60'/0'/0\" },\n"
                          "    },\n  },\n};\n", 5),
    ("truffle-config.js", "const HDWalletProvider = require('@truffle/hdwallet-provider');\n"
                          "const mnemonic = '{mnemonic:12}';\n", 2),
    ("bot.py", "import os\n\nWORDS = [{mnemonic:12,json}]\n", 3),
    ("wallet.py", 'from mnemonic import Mnemonic\nSEED = Mnemonic("english").to_seed("{mnemonic:24}")\n', 2),
    ("csv.txt", "seed,{mnemonic:12,comma}\n", 1),
    ("nb.ipynb", '{"cells": [{"cell_type": "code", "source": ["phrase = \\"{mnemonic:12}\\"\\n", "w = 1"]}]}\n', 1),
]


@pytest.mark.parametrize("name,template,line", MNEMONIC_FILES, ids=[m[0] for m in MNEMONIC_FILES])
def test_mnemonic_found_in_every_format(scan, fake, name, template, line) -> None:
    text = fake(template)
    findings = scan({name: text})
    assert found(findings, "bip39-mnemonic") == [(name, line)]
    redacted = [f["redacted"] for f in findings if f["rule"].startswith("bip39")][0]
    assert "\u2026" in redacted and len(redacted) <= 20


def test_mnemonic_negatives(scan, fake) -> None:
    files = {
        "prose.md": ("When the market opens the bot checks every order book and then waits for a signal from the "
                     "model before it places any order at all, and it never holds more than one open position.\n"
                     "abandon ability able about above absent absorb abstract absurd abuse access accident\n"),
        "badsum.txt": fake("{mnemonic:12,badsum}\n"),
        "badsum.env": fake('MNEMONIC="{mnemonic:24,badsum}"\n'),
        "badsum.json": fake('{"words": [{mnemonic:18,json,badsum}]}\n'),
        "eleven.txt": " ".join(fake("{mnemonic:12}").split()[:11]) + "\n",
        "read.py": 'MNEMONIC = os.environ["MNEMONIC"]\nwords = mnemo.generate(strength=256)\n',
    }
    assert own(scan(files)) == []


def test_the_word_list_itself_is_not_a_mnemonic(scan) -> None:
    words = bip39_wordlist()
    files = {
        "english.txt": "\n".join(words) + "\n",
        "wordlist.js": "export const wordlist = [" + ", ".join(f'"{w}"' for w in words) + "];\n",
        "wordlist.py": "WORDS = '" + " ".join(words) + "'.split()\n",
    }
    assert own(scan(files)) == []


def test_a_phrase_on_one_line_followed_by_more_words_is_still_found(scan, fake) -> None:
    text = fake("{mnemonic:12}\nmain wallet seed above, do not share this file\n")
    assert found(scan({"seed.txt": text}), "bip39-mnemonic") == [("seed.txt", 1)]


# -- WIF and extended keys -------------------------------------------------------------------------------------
def test_wif_and_xprv_found(scan, fake) -> None:
    files = {
        "keys.txt": fake("{wif}\n{wif:uncompressed}\n"),
        "wallet.json": fake('{"wif": "{wif:testnet}", "xprv": "{xprv}"}\n'),
        "import.sh": fake("bitcoin-cli importprivkey {wif:testnet-uncompressed} label false\n"),
        "electrum.py": fake('KEYS = ["{xprv:zprv}",\n        "{xprv:tprv}",\n        "{xprv:Yprv}"]\n'),
    }
    findings = scan(files)
    assert sorted(found(findings, "bitcoin-wif")) == [("import.sh", 1), ("keys.txt", 1), ("keys.txt", 2),
                                                      ("wallet.json", 1)]
    assert sorted(found(findings, "bip32-extended")) == [("electrum.py", 1), ("electrum.py", 2),
                                                         ("electrum.py", 3), ("wallet.json", 1)]


def test_wif_and_xprv_negatives(scan, fake) -> None:
    from crypto_key_guard.engine.checksums import b58check_encode

    files = {
        "public.json": fake('{"xpub": "{xpub}", "zpub": "{xpub:zpub}", "tpub": "{xpub:tpub}"}\n'),
        "shapes.txt": fake("5{base58:50}\nK{base58:51}\nxprv{base58:107}\n"),
        "other_version.txt": b58check_encode(b"\x81" + bytes(range(1, 33)) + b"\x01") + "\n",
        "addresses.py": fake('ADDR = "1{base58:33}"\nP2SH = "3{base58:33}"\n'),
    }
    assert own(scan(files)) == []


# -- Ethereum / secp256k1 raw keys: context decides -----------------------------------------------------------
def test_ethereum_private_keys_with_context(scan, fake) -> None:
    files = {
        ".env": fake("RPC=https://localhost:8545\nPRIVATE_KEY={eth_key:0x}\nFEE_RECIPIENT_WALLET={eth_key}\n"),
        "deploy/.env.local": fake("ARB_DEPLOYER={eth_key:0x}\n"),
        "hardhat.config.ts": fake("const config = {\n  networks: {\n    mainnet: {\n      url: RPC,\n"
                                  "      accounts: [\n        '{eth_key:0x}',\n        '{eth_key:0x}',\n"
                                  "      ],\n    },\n  },\n};\n"),
        "bot.py": fake('from eth_account import Account\nacct = Account.from_key("{eth_key:0x}")\n'),
        "sign.js": fake("const signer = new ethers.Wallet(\n  '{eth_key:0x}',\n  provider,\n);\n"),
        "viem.ts": fake("const account = privateKeyToAccount('{eth_key:0x}')\n"),
        "Deploy.s.sol": fake("contract D is Script {\n  function run() external {\n"
                             "    uint256 deployerPrivateKey = {eth_key:0x};\n  }\n}\n"),
        "settings.toml": fake('[wallet]\nprivate_key = "{eth_key}"\n'),
    }
    got = sorted(found(scan(files), "ethereum-private-key"))
    assert got == [(".env", 2), (".env", 3), ("Deploy.s.sol", 3), ("bot.py", 2), ("deploy/.env.local", 1),
                   ("hardhat.config.ts", 6), ("hardhat.config.ts", 7), ("settings.toml", 2), ("sign.js", 2),
                   ("viem.ts", 1)]


def test_digests_hashes_and_public_data_are_not_keys(scan, fake) -> None:
    h = lambda: fake("{eth_key}")  # noqa: E731 - a value of exactly a key's shape and range
    files = {
        "requirements.txt": f"requests==2.31.0 \\\n    --hash=sha256:{h()} \\\n    --hash=sha256:{h()}\n",
        "poetry.lock": (f'[[package]]\nname = "idna"\nfiles = [\n'
                        f'    {{file = "idna-3.4.tar.gz", hash = "sha256:{h()}"}},\n]\n'),
        "SHA256SUMS": f"{h()}  crypto-key-guard-0.1.0.tar.gz\n{h()}  crypto_key_guard-0.1.0-py3-none-any.whl\n",
        "checksums.txt": f"sha256sum: {h()}\nSHA256 (app.zip) = {h()}\n",
        "Cargo.lock": f'[[package]]\nname = "libc"\nchecksum = "{h()}"\n',
        "yarn.lock": (f'"left-pad@^1.3.0":\n  version "1.3.0"\n'
                      f'  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#{h()}"\n'),
        "tx.py": (f'tx_hash = "0x{h()}"\nreceipt = w3.eth.wait_for_transaction_receipt("0x{h()}")\n'
                  f'BLOCK_HASH = "0x{h()}"\nprint("https://etherscan.io/tx/0x{h()}")\n'),
        "rpc.json": f'{{"hash": "0x{h()}", "blockHash": "0x{h()}", "transactionHash": "0x{h()}", '
                    f'"topics": ["0x{h()}"], "stateRoot": "0x{h()}"}}\n',
        "links.md": (f"See [the transfer](https://etherscan.io/tx/0x{h()}) in block "
                     f"https://etherscan.io/block/0x{h()}\n"),
        "git.log": f"commit {fake('{hex:40}')}\nMerge: {fake('{hex:7}')}\n    squash {h()}\n",
        "build.sh": f"RELEASE_SHA={h()}\nIMAGE_DIGEST=sha256:{h()}\nCACHE_KEY={h()}\n",
        ".env": f"GENESIS_HASH=0x{h()}\nPOOL_ID=0x{h()}\nPUBLIC_KEY={h()}\n",
        "hardhat.config.js": f"accounts: [process.env.PRIVATE_KEY],\ntxs: ['0x{h()}']\n",
        "keys.py": f'private_key = os.environ["PRIVATE_KEY"]\nprivate_key_hash = "{h()}"\n'
                   f'PRIVATE_KEY = "0x{fake("{secp_overflow}")}"\n',
    }
    assert own(scan(files)) == []


# -- Solana keypairs -------------------------------------------------------------------------------------------
def test_solana_keypairs(scan, fake) -> None:
    files = {
        "id.json": fake("{solana_keypair}"),
        "keys/deployer-keypair.json": fake("{solana_keypair:pretty}\n"),
        "client.ts": fake("const payer = Keypair.fromSecretKey(\n  new Uint8Array({solana_keypair:pretty})\n);\n"),
        "bot.py": fake("from solders.keypair import Keypair\nKP = Keypair.from_bytes(bytes({solana_keypair}))\n"),
    }
    got = sorted(found(scan(files), "solana-keypair"))
    assert got == [("bot.py", 2), ("client.ts", 2), ("id.json", 1), ("keys/deployer-keypair.json", 1)]


def test_solana_look_alikes(scan, fake, rng) -> None:
    random_bytes = lambda n: [rng.randrange(256) for _ in range(n)]  # noqa: E731
    files = {
        "sig.json": json.dumps({"signature": random_bytes(64)}),  # a 64-byte signature is not a keypair
        "fake-keypair.json": fake("{solana_keypair:bad}"),       # right shape, public half does not match
        "seed.json": json.dumps(random_bytes(32)),
        "big.json": json.dumps([300] + random_bytes(63)),
        "sixty-five.json": json.dumps(random_bytes(65)),
        "zeros.json": json.dumps([0] * 64),
    }
    assert own(scan(files)) == []


# -- one finding per secret, never the whole value --------------------------------------------------------------
def test_each_secret_is_one_finding_and_redacted(scan, fake) -> None:
    phrase, wif, xprv, key = fake("{mnemonic:24}"), fake("{wif}"), fake("{xprv}"), fake("{eth_key:0x}")
    findings = scan({".env": f'MNEMONIC="{phrase}"\nWIF={wif}\nXPRV={xprv}\nPRIVATE_KEY={key}\n'})
    by_line = {f["line"]: f for f in findings}
    assert sorted(by_line) == [1, 2, 3, 4] and len(findings) == 4
    assert by_line[1]["rule"].startswith("bip39-mnemonic") and by_line[1]["redacted"].endswith("(24 words)")
    assert phrase.split()[1] not in by_line[1]["redacted"]
    for f, value in ((by_line[2], wif), (by_line[3], xprv), (by_line[4], key)):
        assert value not in f["redacted"] and len(f["redacted"].replace("\u2026", "")) <= 8


# -- the scanner never raises on wallet-shaped noise -------------------------------------------------------------
FRAGMENTS = st.sampled_from([
    " ", "\n", ", ", '"', "'", "[", "]", "(", ")", "=", ": ", "0x", "\\n", "\\\"", "1.", "-", "\r\n", "xprv", "tprv",
    "PRIVATE_KEY=", "privateKey: ", "accounts: [", "new Wallet(", "mnemonic: ", "apikey=", "etherscan ",
    "infura.io/v3/", ".g.alchemy.com/v2/", ".quiknode.pro/", "moralis ", "X-API-Key: ", "bot",
    "255", "0", "17,", "5", "K", "L", "c", "9", "AA",
]) | st.sampled_from(bip39_wordlist()) | st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=70) \
    | st.text(alphabet="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", min_size=1, max_size=112)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FRAGMENTS, max_size=120))
def test_scanner_never_raises_on_wallet_shaped_noise(parts: list[str]) -> None:
    text = "".join(parts)
    for data in (text.encode("utf-8"), text.encode("utf-16")):
        findings, _how = Scanner(include_public_test_keys=True).scan_content(data, "fuzz.env")
        for f in findings:
            assert "\u2026" in f.redacted


def test_solana_base58_secret_keys_and_signatures(scan, fake) -> None:
    key = fake("{solana_keypair:base58}")
    files = {
        ".env": f"RPC_URL=https://api.mainnet-beta.solana.com\nSOLANA_PRIVATE_KEY={key}\n",
        "payer.ts": f"const payer = Keypair.fromSecretKey(\n  bs58.decode('{fake('{solana_keypair:base58}')}'),\n);\n",
        # transaction signatures are 64 bytes in base58 too; a bad pair under a key name is not a keypair
        "txs.json": json.dumps({"signatures": [fake("{solana_keypair:base58}") for _ in range(3)],
                                "secretKey": fake("{solana_keypair:bad,base58}")}),
    }
    assert sorted(found(scan(files), "solana")) == [(".env", 2), ("payer.ts", 2)]


def test_every_wallet_rule_has_its_fields() -> None:
    rules = yaml.safe_load((builtin_patterns_dir() / "wallets.yaml").read_text())["rules"]
    keywordless = set()
    for rule in rules:
        assert rule["kind"] == "wallet" and rule["family"] and rule["ref"].startswith("https://"), rule["id"]
        assert rule["severity"] == "critical" and rule["confidence"] == "high" and rule["remediation"], rule["id"]
        assert rule["validators"], f"{rule['id']}: a wallet rule is decided by a checksum or range validator"
        if not rule.get("keywords"):
            keywordless.add(rule["id"])
    # these can appear with no word around them (a seed.txt, an id.json, a bare WIF, a .env line, a bare token)
    assert keywordless == {"bip39-mnemonic", "bip39-mnemonic-lines", "bip39-mnemonic-multiline",
                           "bip39-mnemonic-variants", "bip39-mnemonic-grid", "bitcoin-wif-private-key",
                           "ethereum-private-key-env", "solana-keypair"}
    assert all("move" in r["remediation"].lower() or "sweep" in r["remediation"].lower() for r in rules)


def test_a_label_line_above_a_phrase_does_not_move_the_finding(scan, fake) -> None:
    files = {
        "backup.txt": fake("# wallet backup\n{mnemonic:12}\n"),
        "seed.txt": fake("mnemonic\n{mnemonic:24}\nwallet\n"),
        "lines.txt": fake("seed backup\n{mnemonic:12,lines}\n"),
    }
    findings = scan(files)
    assert sorted(found(findings, "bip39")) == [("backup.txt", 2), ("lines.txt", 2), ("seed.txt", 2)]
    assert all(f["redacted"].endswith(("(12 words)", "(24 words)")) for f in findings)
