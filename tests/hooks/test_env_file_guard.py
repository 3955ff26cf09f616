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
    Path("credentials.json").write_text("{}")
    Path("env.tmpl").write_text("API_KEY=\n")
    assert main(["credentials.json"]) == 0
    assert main(["--block", "credentials.json", "credentials.json"]) == 1
    assert main(["--block", "env.tmpl", "--template", "env.tmpl", "env.tmpl"]) == 0


def test_binary_or_unreadable_template_never_raises(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path(".env.sample").write_bytes(b"\0\x01\x02binary")
    assert main([".env.sample", ".env.template"]) == 0  # the second does not exist


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
