"""Infrastructure keys of trading code (Telegram, Infura, Alchemy, QuickNode, Etherscan family, Moralis) through
the real hook, in the files they live in; and their placeholders, env reads and look-alikes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from crypto_key_guard.crypto_key_patterns import main
from crypto_key_guard.engine.rules import builtin_patterns_dir

INFRA_RULES = {r["id"]: r
               for r in yaml.safe_load((builtin_patterns_dir() / "infrastructure.yaml").read_text())["rules"]}


@pytest.fixture
def scan(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def run(name: str, text: str) -> list[tuple[str, int]]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
        rc = main(["--format", "json", name])
        findings = json.loads(capsys.readouterr().out)["findings"]
        assert rc == (1 if findings else 0)
        return [(f["rule"], f["line"]) for f in findings if f["rule"] in INFRA_RULES]
    return run


TELEGRAM = "7{digits:9}:AA{b64url:33}"
POSITIVES = [
    # Telegram: on any line, not only a line that is nothing but the token
    ("config.json", '{\n  "telegram": {\n    "enabled": true,\n    "token": "' + TELEGRAM + '",\n'
                    '    "chat_id": "{digits:9}"\n  }\n}\n',
     [("telegram-bot-token", 4)]),
    ("notify.py", 'import requests\n'
                  'requests.post(f"https://api.telegram.org/bot' + TELEGRAM + '/sendMessage", json=msg)\n',
     [("telegram-bot-token", 2)]),
    (".env", "FREQTRADE__TELEGRAM__TOKEN=" + TELEGRAM + "\nFREQTRADE__TELEGRAM__CHAT_ID={digits:9}\n",
     [("telegram-bot-token", 1)]),
    ("docker-compose.yml", "services:\n  bot:\n    environment:\n      - TG_TOKEN=" + TELEGRAM + "\n",
     [("telegram-bot-token", 4)]),
    ("two.txt", TELEGRAM + "\n" + TELEGRAM + "\n", [("telegram-bot-token", 1), ("telegram-bot-token", 2)]),
    # Infura
    ("web3_client.py", 'w3 = Web3(Web3.HTTPProvider("https://mainnet.infura.io/v3/{hex:32}"))\n',
     [("infura-endpoint-url", 1)]),
    ("hardhat.config.js", "networks: {\n  sepolia: { url: 'https://sepolia.infura.io/v3/{hex:32}' },\n}\n",
     [("infura-endpoint-url", 2)]),
    (".env.local", "INFURA_PROJECT_ID={hex:32}\nINFURA_PROJECT_SECRET={hex:32}\n",
     [("infura-credential", 1), ("infura-credential", 2)]),
    ("ipfs.ts", "// infura ipfs\nconst auth = { projectId: '{hex:32}', projectSecret: '{hex:32}' };\n",
     [("infura-credential", 2), ("infura-credential", 2)]),
    # Alchemy
    ("rpc.ts", "export const RPC = 'https://eth-mainnet.g.alchemy.com/v2/{b64url:32}';\n",
     [("alchemy-endpoint-url", 1)]),
    ("settings.yaml", "alchemy:\n  api_key: {alnum:32}\n", [("alchemy-credential", 2)]),
    (".env", "ALCHEMY_API_KEY={b64url:32}\n", [("alchemy-credential", 1)]),
    # QuickNode
    ("chain.py", 'RPC = "https://{lower:7}-{lower:5}.bsc.quiknode.pro/{hex:40}/"\n', [("quicknode-endpoint-url", 1)]),
    # Etherscan family
    ("hardhat.config.ts",
     "etherscan: {\n  apiKey: {\n    mainnet: '{upalnum:34}',\n    bsc: '{upalnum:34}',\n  },\n},\n",
     [("etherscan-api-key", 3), ("etherscan-api-key", 4)]),
    ("explorer.py", 'URL = "https://api.bscscan.com/api?module=account&action=txlist&apikey={upalnum:34}"\n',
     [("etherscan-api-key", 1)]),
    (".env", "POLYGONSCAN_API_KEY={upalnum:34}\n", [("etherscan-api-key", 1)]),
    # Moralis
    ("moralis.js", 'await Moralis.start({\n  apiKey: "{alnum:64}",\n});\n', [("moralis-api-key", 2)]),
    ("nft.py", '# moralis web3 api\n'
               'HEADERS = {"accept": "application/json", "X-API-Key": "eyJ{b64url:36}.eyJ{b64url:150}.{b64url:43}"}\n',
     [("moralis-api-key", 2)]),
]


@pytest.mark.parametrize("name,template,expected", POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)])
def test_infrastructure_keys_found(scan, fake, name, template, expected) -> None:
    assert sorted(scan(name, fake(template))) == sorted(expected)


NEGATIVES = [
    (".env.example", "TELEGRAM_TOKEN=\nINFURA_PROJECT_ID=your-project-id\nALCHEMY_API_KEY=your_alchemy_api_key_here\n"
                     "ETHERSCAN_API_KEY=YourApiKeyToken\nMORALIS_API_KEY=<your key>\n"),
    ("config.py", 'import os\nTOKEN = os.environ["TELEGRAM_BOT_TOKEN"]\n'
                  'RPC = f"https://mainnet.infura.io/v3/{os.environ[\'INFURA_ID\']}"\n'
                  'ALCHEMY = "https://eth-mainnet.g.alchemy.com/v2/" + os.environ["ALCHEMY_KEY"]\n'),
    ("hardhat.config.js", "url: `https://eth-mainnet.g.alchemy.com/v2/${process.env.ALCHEMY_API_KEY}`,\n"
                          "etherscan: { apiKey: process.env.ETHERSCAN_API_KEY },\n"
                          "mainnet: 'https://mainnet.infura.io/v3/' + INFURA_KEY,\n"),
    ("demo.md", "Try it: https://eth-mainnet.g.alchemy.com/v2/demo and https://docs.quiknode.pro/docs\n"),
    ("times.log", "{digits:10}:{b64url:34}\n12:30:45 order filled\n{digits:10}:{b64url:36}\n"),
    ("ids.json", '{"orderId": "{upalnum:34}", "scan": "{lower:34}", "tx": "0x{hex:64}"}\n'),
    ("uuid.yaml", "infura_request_id: {uuid}\nalchemy_app_id: {lower:8}\n"),
    ("binance.py", 'BINANCE_API_KEY = os.environ["BINANCE_API_KEY"]\nmoralis = None\nkey = "{alnum:63}"\n'),
]


@pytest.mark.parametrize("name,template", NEGATIVES, ids=[n[0] for n in NEGATIVES])
def test_placeholders_env_reads_and_look_alikes(scan, fake, name, template) -> None:
    assert scan(name, fake(template)) == []


def test_every_infrastructure_rule_has_its_fields() -> None:
    for rid, rule in INFRA_RULES.items():
        assert rule["kind"] == "infrastructure" and rule["family"] and rule["ref"].startswith("https://")
        assert rule["remediation"] and rule["severity"] and rule["confidence"], rid
        assert rule.get("keywords") or rid == "telegram-bot-token", f"{rid}: a keyword-less rule runs on every file"
