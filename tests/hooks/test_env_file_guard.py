"""env-file-guard: blocks env/secrets files; templates pass only with empty or placeholder values."""
from __future__ import annotations

from pathlib import Path

import pytest

from crypto_key_guard.env_file_guard import main, parse_env_line


@pytest.mark.parametrize("relpath,blocked", [
    (".env", True), (".env.local", True), (".env.production", True), ("deploy/.env.production", True),
    ("prod.env", True), ("secrets/api.json", True), ("app/secrets/key.txt", True), ("config/secrets.yaml", True),
    ("keys.local.json", True), ("config-private.json", True),
    ("env.py", False), ("README.md", False), ("secrets.py", False), ("config/settings.yaml", False),
    ("src/environment.ts", False),
])
def test_blocked_names(tmp_path, monkeypatch, capsys, relpath, blocked) -> None:
    monkeypatch.chdir(tmp_path)
    Path(relpath).parent.mkdir(parents=True, exist_ok=True)
    Path(relpath).write_text("X=1\n")
    assert main([relpath]) == (1 if blocked else 0)
    if blocked:
        out = capsys.readouterr().out
        assert "git rm --cached" in out and ".gitignore" in out


@pytest.mark.parametrize("content,expected", [
    ("BINANCE_API_KEY=your_api_key_here\nBINANCE_API_SECRET=\nLOG_LEVEL=info\n", 0),
    ("OKX_PASSPHRASE=<passphrase>\nAPI_KEY=changeme\nexport SECRET_KEY=''\nDEBUG=true\nPORT=8080\n", 0),
    ("# comment\n\nTELEGRAM_TOKEN=xxxxxxxxxxxx\nDB_URL=${DATABASE_URL}\n", 0),
    ("BINANCE_API_KEY={alnum:64}\n", 1),
    ("LOG_LEVEL=info\nKRAKEN_SECRET=\"{base64:88}\"\n", 1),
    ("SOME_SETTING={alnum:40}\n", 1),       # random-looking under any name
])
def test_templates(tmp_path, monkeypatch, fake, capsys, content, expected) -> None:
    monkeypatch.chdir(tmp_path)
    text = fake(content)
    Path(".env.example").write_text(text)
    assert main([".env.example"]) == expected
    out = capsys.readouterr().out
    if expected:
        assert ".env.example:" in out and "env-template-value" in out
        for token in text.replace("=", " ").split():
            if len(token.strip('"')) >= 40:
                assert token.strip('"') not in out


def test_extra_block_and_template_args(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("service-tokens.json").write_text("{}")
    Path("env.tmpl").write_text("API_KEY=\n")
    assert main(["service-tokens.json"]) == 0
    assert main(["--block", "service-tokens.json", "service-tokens.json"]) == 1
    assert main(["--block", "env.tmpl", "--template", "env.tmpl", "env.tmpl"]) == 0


def test_binary_or_unreadable_template_never_raises(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path(".env.sample").write_bytes(b"\0\x01\x02binary")
    assert main([".env.sample"]) == 0
    # fail closed: a template that cannot be read is not known to hold placeholders only
    assert main([".env.sample", ".env.template"]) == 2  # the second does not exist
    assert ".env.template: cannot read" in capsys.readouterr().err


def test_never_touches_files(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path(".env").write_text("A=1\n")
    before = Path(".env").read_bytes()
    assert main([".env"]) == 1
    assert Path(".env").read_bytes() == before


@pytest.mark.parametrize("line,parsed", [
    ("A=1", ("A", "1")), ("export B='x y'", ("B", "x y")), ('C="q" # note', ("C", "q")),
    ("# D=1", None), ("not a line", None), ("E=", ("E", "")), ("F = v # c", ("F", "v")),
])
def test_parse_env_line(line, parsed) -> None:
    assert parse_env_line(line) == parsed


NEW_SECRETS_FILES = [".envrc", ".ENV", "env.local", ".flaskenv", ".env~", "secrets.yml", "credentials.json",
                     ".secrets", "api_keys.json", ".aws/credentials", ".netrc", "server.pem", "tls.key", "id_rsa",
                     "id_ed25519", "wallet.dat", "keystore.json", "keys/UTC--2024-01-02T03-04-05.678Z--0a1b2c",
                     "default_wallet"]


@pytest.mark.parametrize("name", NEW_SECRETS_FILES)
def test_secrets_wallet_and_key_files_are_blocked_by_name(tmp_path, monkeypatch, capsys, name) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text("x\n")
    assert main([name]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{name}: ") and "git rm --cached" in out
    kind = out.split()[1]
    wallets = ("wallet.dat", "keystore.json", "UTC--", "default_wallet")
    assert kind == ("wallet-file" if any(w in name for w in wallets) else
                    "private-key-file" if name.endswith((".pem", ".key")) or name.startswith("id_") else "env-file")


@pytest.mark.parametrize("name,content", [
    ("secrets/.gitkeep", ""), ("config/secrets/.keep", ""),
    ("bot/secrets/vault.py", "def vault():\n    return None\n"), ("secrets/__init__.py", ""),
    (".env.production.example", "BINANCE_API_KEY=your_api_key_here\nBINANCE_API_SECRET=\n"),
    (".env.staging.sample", "OKX_API_SECRET=changeme\n"), (".env.local.template", "TOKEN=\n"),
    ("ca-bundle.pem", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"),
    ("secrets/db-sealed.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\n"
                               "spec:\n  encryptedData:\n    password: AgBy8hCF\n"),
    ("secrets.yml", "password: ENC[AES256_GCM,data:Zm9v,iv:YQ==,tag:Yg==,type:str]\nsops:\n    kms: []\n"
                    "    mac: ENC[AES256_GCM,data:YmFy,iv:Yw==,tag:ZA==,type:str]\n    version: 3.8.1\n"),
    (".env", "API_KEY=ENC[AES256_GCM,data:Zm9v,iv:YQ==,tag:Yg==,type:str]\n"
             "sops_mac=ENC[AES256_GCM,data:YmFy,iv:Yw==,tag:ZA==,type:str]\nsops_version=3.8.1\n"),
])
def test_files_users_must_commit_pass(tmp_path, monkeypatch, capsys, name, content) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_text(content)
    assert main([name]) == 0, capsys.readouterr().out


def test_a_template_with_a_real_value_still_fails(tmp_path, monkeypatch, fake) -> None:
    monkeypatch.chdir(tmp_path)
    Path(".env.production.example").write_text(f"BINANCE_API_SECRET={fake('{alnum:64}')}\n")
    assert main([".env.production.example"]) == 1


def test_a_pem_holding_a_private_key_or_data_in_secrets_dir_is_blocked(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("both.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
                                "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    Path("secrets").mkdir()
    Path("secrets/prod.json").write_text("{}\n")
    assert main(["both.pem"]) == 1 and main(["secrets/prod.json"]) == 1
