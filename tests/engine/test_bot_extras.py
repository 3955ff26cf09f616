"""What else a bot's repository holds (issue 21, part 4): notification channels, CI tokens, other chains' keys,
JWTs, proxy passwords, Authorization headers, cut-off PEM blocks and OctoBot's "encrypted" exchange keys, through
the real hook on the files they live in, and the checks (Bech32, Fernet, JWT, Basic) that decide them."""
from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest

from crypto_key_guard.crypto_key_patterns import main
from crypto_key_guard.engine import checksums
from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.validators import Candidate, VALIDATORS


def check(name: str, value: str) -> bool:
    return VALIDATORS[name](Candidate(value=value, before="", line=value, path="", min_entropy=0.0))


# -- Bech32 (BIP-173) and Sui keys ---------------------------------------------------------------------------------
def test_bech32_accepts_the_specifications_valid_strings_and_refuses_broken_ones() -> None:
    # valid strings listed in BIP-173's test vectors (checksum-only strings: no key material)
    for text in ("A12UEL5L", "a12uel5l", "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                 "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"):
        assert checksums.bech32_decode(text) is not None, text
    for text in ("A12UEL5l",          # mixed case
                 "a12uel5m",          # checksum changed
                 "1qzzfhee",          # empty human-readable part
                 "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxb",  # a wrong last character
                 "li1dgmt3",          # checksum too short
                 "x1b4n0q5v"):        # 'b' is not in the alphabet
        assert checksums.bech32_decode(text) is None, text


def test_bech32_round_trip_and_one_changed_character_is_caught(rng: random.Random) -> None:
    for _ in range(50):
        payload = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 40)))
        text = checksums.bech32_encode("suiprivkey", payload)
        assert checksums.bech32_decode(text) == ("suiprivkey", payload)
        at = rng.randrange(len("suiprivkey1"), len(text))
        other = checksums.BECH32_CHARSET[(checksums.BECH32_CHARSET.index(text[at]) + rng.randrange(1, 32)) % 32]
        assert checksums.bech32_decode(text[:at] + other + text[at + 1:]) is None


def test_sui_private_key_needs_the_hrp_a_scheme_flag_and_33_bytes(rng: random.Random, fake) -> None:
    assert check("sui_private_key", fake("{sui_privkey}"))
    assert check("sui_private_key", fake("{sui_privkey:secp256k1}"))
    assert not check("sui_private_key", fake("{sui_privkey:badsum}"))
    secret = bytes(rng.getrandbits(8) for _ in range(32))
    assert not check("sui_private_key", checksums.bech32_encode("suiprivkey", b"\x07" + secret))  # unknown scheme
    assert not check("sui_private_key", checksums.bech32_encode("suiprivkey", secret))            # no flag
    assert not check("sui_private_key", checksums.bech32_encode("suipubkey", b"\x00" + secret))


# -- Fernet, JWT, Basic ---------------------------------------------------------------------------------------------
def test_fernet_structure_matches_tokens_made_by_the_cryptography_library(rng: random.Random) -> None:
    fernet = pytest.importorskip("cryptography.fernet")
    key = base64.urlsafe_b64encode(bytes(rng.getrandbits(8) for _ in range(32)))
    for size in (0, 15, 16, 64, 88, 300):
        token = fernet.Fernet(key).encrypt(expand(f"{{alnum:{size}}}", rng).encode() if size else b"").decode()
        assert check("fernet_token", token), size
        raw = base64.urlsafe_b64decode(token)
        assert not check("fernet_token", base64.urlsafe_b64encode(b"\x81" + raw[1:]).decode())  # other version
        assert not check("fernet_token", base64.urlsafe_b64encode(raw[:-1]).decode())           # not whole blocks
    assert not check("fernet_token", "gAAAAA" + expand("{alnum:40}", rng) + "!")


def _segment(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def test_jwt_credential_decodes_header_and_claims(fake) -> None:
    assert check("jwt_credential", fake("{jwt}"))
    assert not check("jwt_credential", fake("{jwt:anon}"))      # public by design
    assert not check("jwt_credential", fake("{jwt:example}"))   # the tutorials' token
    assert not check("jwt_credential", fake("{jwt:none}"))      # unsigned
    assert not check("jwt_credential", fake("{jwt:expired}"))   # authenticates nothing any more
    assert check("jwt_credential", fake("{jwt:future}"))
    signature = fake("{b64url:43}")
    assert not check("jwt_credential", f"{_segment({'typ': 'JWT'})}.{_segment({'sub': 'a'})}.{signature}")  # no alg
    assert not check("jwt_credential", f"{_segment({'alg': 'HS256'})}.{fake('eyJ{b64url:40}')}.{signature}")
    assert not check("jwt_credential", f"{_segment({'alg': 'HS256'})}.{_segment({'sub': 'a'})}.{fake('{b64url:8}')}")


@pytest.mark.parametrize("user_pass,secret", [
    ("trader:{alnum:20}", True), ("bot{digits:3}:hunter{digits:2}!x", True),
    ("user:password", False), ("admin:Secret", False), ("{lower:6}:{lower:6}", False),  # bare words
    ("user:{pw}", False), ("user:$PASSWORD", False), ("user:<password>", False),        # template slots
    ("user:aaaaaaaaaa", False), ("nouserpassword{digits:8}", False), ("user name:{alnum:12}", False),
])
def test_basic_auth_credentials_decode_to_user_and_password(fake, user_pass: str, secret: bool) -> None:
    encoded = base64.b64encode(fake(user_pass).encode()).decode()
    assert check("basic_auth_credentials", encoded) is secret
    assert not check("basic_auth_credentials", fake("{alnum:30}"))


# -- through `crypto-key-guard scan` on a git repository holding the files they live in ---------------------------------
def _scan_repo(root: Path) -> dict[str, list[tuple[str, int]]]:
    """One `crypto-key-guard scan --format json` of the repository: (rule, line) per file."""
    import subprocess
    import sys

    cli = Path(sys.executable).parent / "crypto-key-guard"
    proc = subprocess.run([str(cli), "scan", "--format", "json", "."], cwd=root, capture_output=True, text=True)
    assert proc.returncode in (0, 1), proc.stderr
    found: dict[str, list[tuple[str, int]]] = {}
    for f in json.loads(proc.stdout)["findings"]:
        found.setdefault(f["file"], []).append((f["rule"], f["line"]))
    return {name: sorted(rows) for name, rows in found.items()}


POSITIVES = [
    # freqtrade: the proxy under ccxt_config, and a Telegram token beside it
    ("user_data/config.json",
     '{\n  "exchange": {\n    "name": "binance",\n    "ccxt_config": {\n      "aiohttp_proxy": "http://u{digits:5}:{alnum:14}@203.0.113.9:3128",\n'
     '      "proxies": {"https": "socks5h://u{digits:5}:{alnum:14}@203.0.113.9:1080"}\n    }\n  }\n}\n',
     [("proxy-url-password", 5), ("proxy-url-password", 6)]),
    (".env", "HTTPS_PROXY=http://trader:{alnum:16}@proxy.example.net:8080\n", [("proxy-url-password", 1)]),
    ("user/config.json",
     '{\n  "exchanges": {\n    "binance": {\n      "api-key": "{fernet:64}",\n      "api-secret": "{fernet:64}",\n'
     '      "web-socket": false\n    }\n  },\n  "trading": {"risk": 0.5}\n}\n',
     [("octobot-encrypted-exchange-credential", 4), ("octobot-encrypted-exchange-credential", 5)]),
    (".coveralls.yml", "service_name: travis-pro\nrepo_token: {alnum:32}\n", [("coveralls-repo-token", 2)]),
    ("notify.py", "from twilio.rest import Client\n\nclient = Client('AC{hex:32}', '{hex:32}')\n",
     [("twilio-auth-token", 3)]),
    ("alerts.yaml", "pushover:\n  token: a{lowalnum:29}\n  user_key: u{lowalnum:29}\n", [("pushover-app-token", 2)]),
    ("keys/deploy.pem", "-----BEGIN RSA PRIVATE KEY-----\n{base64:64}\n{base64:64}\n{base64:64}\n",
     [("private-key-pem-truncated", 1)]),
    # a whole block stays the complete-PEM rule's, reported once
    ("full.pem", "-----BEGIN EC PRIVATE KEY-----\n{base64:64}\n{base64:56}\n-----END EC PRIVATE KEY-----\n",
     [("private-key-pem", 1)]),
    ("api.py", 'import requests\nAUTH = {"Authorization": "Basic {basic_auth}"}\n', [("http-basic-auth-header", 2)]),
    ("client.py", 'BASE = "https://api.bybit.com"\nHEADERS = {"Authorization": "Bearer {b64url:48}"}\n',
     [("exchange-bearer-token", 2)]),
    (".env.production", "EXCHANGE_JWT={jwt}\n", [("jwt-credential", 1)]),
    ("sui.ts", "const keypair = Ed25519Keypair.fromSecretKey(decodeSuiPrivateKey('{sui_privkey}').secretKey);\n",
     [("sui-private-key", 1)]),
    (".aptos/config.yaml", '---\nprofiles:\n  default:\n    private_key: "0x{hex:64}"\n    public_key: "0x{hex:64}"\n'
     '    rest_url: "https://fullnode.mainnet.aptoslabs.com"\n', [("aptos-private-key-hex", 4)]),
    ("terra_bot.py", 'from terra_sdk.key.mnemonic import MnemonicKey\nmk = MnemonicKey(mnemonic="{mnemonic:24}")\n',
     [("cosmos-mnemonic", 2)]),
]
NEGATIVES = [
    ("docker-compose.yml", "services:\n  db:\n    environment:\n      - DATABASE_URL=postgresql://ft:{alnum:16}@db:5432/ft\n"),
    ("config.json", '{"exchange": {"ccxt_config": {"proxies": {"https": "http://user:pass@proxy:3128"}}}}\n'),
    (".env", "HTTPS_PROXY=http://${PROXY_USER}:${PROXY_PASSWORD}@proxy.example.net:8080\n"),
    ("user/config.json", '{"exchanges": {"binance": {"api-key": "YOUR_BINANCE_API_KEY_ENCRYPTED"}}}\n'),
    ("web.env", "NEXT_PUBLIC_SUPABASE_ANON_KEY={jwt:anon}\n"),
    ("docs.md", 'Send `Authorization: Basic {basic_auth:filler}` with your own user and password.\n'),
    ("weather.py", 'HEADERS = {"Authorization": "Bearer {b64url:48}"}  # forecast API\n'),
    (".coveralls.yml", "repo_token: ${COVERALLS_REPO_TOKEN}\n"),
]


@pytest.fixture(scope="module")
def repo_findings(tmp_path_factory) -> dict:
    """Every positive and negative case as a file of one git repository (case N in directory N), scanned once."""
    from conftest import git

    from crypto_key_guard.engine.examples import seeded

    root = tmp_path_factory.mktemp("bot-extras")
    git(root, "init", "-q")
    rng = seeded("bot-extras-repo")
    for n, (name, template, *_expected) in enumerate(POSITIVES + NEGATIVES):
        path = root / f"case{n:02d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expand(template, rng))
    return _scan_repo(root)


@pytest.mark.parametrize("n", range(len(POSITIVES)), ids=[p[0] for p in POSITIVES])
def test_found_and_named(repo_findings: dict, n: int) -> None:
    name, _template, expected = POSITIVES[n]
    assert repo_findings.get(f"case{n:02d}/{name}", []) == sorted(expected)


@pytest.mark.parametrize("n", range(len(NEGATIVES)), ids=[c[0] for c in NEGATIVES])
def test_not_found(repo_findings: dict, n: int) -> None:
    name = NEGATIVES[n][0]
    assert repo_findings.get(f"case{len(POSITIVES) + n:02d}/{name}", []) == []


def test_the_value_is_never_printed_whole(tmp_path: Path, capsys, monkeypatch, fake) -> None:
    monkeypatch.chdir(tmp_path)
    password = fake("{alnum:16}")
    (tmp_path / ".env").write_text(f"HTTPS_PROXY=http://trader:{password}@proxy.example.net:8080\n")
    assert main([".env"]) == 1  # the pre-commit hook
    out = capsys.readouterr()
    assert password not in out.out + out.err
    assert f"{password[:3]}…{password[-3:]}" in out.out  # min(4, 16 // 5) = 3 characters at each end


# -- the observed layouts of these kinds (bench/observed_layouts.py, family bot-extras) -----------------------------
def _observed():
    import sys

    from conftest import PROJECT_ROOT

    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    import observed_layouts

    return observed_layouts


@pytest.mark.parametrize("layout", _observed().layouts("bot-extras", negative=False), ids=lambda lay: lay.id)
def test_observed_bot_extras_are_found(layout) -> None:
    from crypto_key_guard.engine.scanner import Scanner

    O = _observed()
    text, planted = O.render(layout, O.seed_for(layout.id))
    findings, _ = Scanner().scan_content(text.encode("utf-8"), layout.file)
    missing = O.missing_values(planted, [(f.line, f.column) for f in findings])
    assert not missing, f"{layout.id}: not reported: {[(p.kind, p.start) for p in missing]}"
    assert not any(f.rule.startswith("generic-") for f in findings), [f.rule for f in findings]
