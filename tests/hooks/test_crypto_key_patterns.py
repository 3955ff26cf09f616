"""crypto-key-patterns: main([...]) on files in tmp_path, table-driven."""
from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from crypto_key_guard.crypto_key_patterns import main


def write(tmp_path: Path, name: str, content: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


@pytest.mark.parametrize("name,template,expected", [
    ("bot.py", 'import ccxt\nex = ccxt.binance({\n    "apiKey": "{alnum:64}",\n    "secret": "{alnum:64}",\n})\n', 1),
    ("settings.py", 'BINANCE_API_SECRET = "{alnum:64}"\n', 1),
    (".env", "BINANCE_API_KEY={alnum:64}\n", 1),
    ("clean.py", 'import os\nkey = os.environ["BINANCE_API_KEY"]\n', 0),
    ("placeholder.py", 'BINANCE_API_KEY = "your_api_key_here"\n', 0),
    ("empty.py", "", 0),
    ("allowed.py", 'BINANCE_API_SECRET = "{alnum:64}"  # pragma: allowlist secret\n', 0),
    ("nextline.py", '# pragma: allowlist nextline secret\nBINANCE_API_SECRET = "{alnum:64}"\n', 0),
])
def test_verdicts(tmp_path, fake, capsys, name, template, expected) -> None:
    content = fake(template)
    assert main([write(tmp_path, name, content)]) == expected
    out = capsys.readouterr().out
    for value in [w.strip('"\',') for w in content.replace("=", " ").split() if len(w) > 40]:
        assert value not in out  # never printed whole


def test_output_line_format_and_advice(tmp_path, fake, capsys) -> None:
    secret = fake("{alnum:64}")
    path = write(tmp_path, "bot.py", f'x = 1\nBINANCE_API_SECRET = "{secret}"\n')
    assert main([path]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"{path}:2:23: binance-api-credential ")
    assert f"(value {secret[:4]}\u2026{secret[-4:]})" in first
    # blocked before commit: nothing left the machine, so the advice is the environment, rotation only if shared
    assert "never left your machine" in out and "environment" in out and "only if it was committed" in out


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 40,   # binary
    b"x = '\xff\xfe\xc3\x28 broken utf8'\n",                     # invalid UTF-8
    b"",                                                            # empty
    b"text\0with a NUL in the middle\n",
])
def test_bad_content_never_raises(tmp_path, content) -> None:
    assert main([write(tmp_path, "f.bin", content)]) == 0


def test_utf16_file_is_decoded_and_scanned(tmp_path, fake) -> None:
    text = f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n'
    for encoding, bom in (("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                          ("utf-32-le", codecs.BOM_UTF32_LE)):
        assert main([write(tmp_path, f"{encoding}.py", bom + text.encode(encoding))]) == 1
    assert main([write(tmp_path, "nobom.py", text.encode("utf-16-le"))]) == 1


def test_missing_file_is_a_usage_error_but_findings_win(tmp_path, fake, capsys) -> None:
    assert main([str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = write(tmp_path, "bad.py", f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    assert main([bad, str(tmp_path / "missing.py")]) == 1


def test_directory_and_symlink_are_skipped(tmp_path, fake, capsys) -> None:
    target = write(tmp_path, "real.py", f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    (tmp_path / "link.py").symlink_to(target)
    (tmp_path / "dir.py").mkdir()
    assert main([str(tmp_path / "link.py"), str(tmp_path / "dir.py")]) == 0
    err = capsys.readouterr().err
    assert "symlink" in err and "directory" in err


def test_user_pattern_file_and_disable(tmp_path, fake) -> None:
    rules = tmp_path / "mine.yaml"
    rules.write_text(
        "rules:\n  - id: acme-secret\n    description: ACME secret\n"
        "    regex: 'ACME_CODE = \"(?P<secret>[a-z0-9]{20})\"'\n    keywords: [acme]\n"
        "    examples: {match: ['ACME_CODE = \"{lowalnum:20}\"'], no_match: ['ACME_CODE = \"\"']}\n")
    path = write(tmp_path, "a.py", f'ACME_CODE = "{fake("{lowalnum:20}")}"\n')
    assert main(["--patterns", str(rules), path]) == 1
    assert main(["--patterns", str(rules), "--disable", "acme-secret", path]) == 0
    assert main(["--disable", "no-such-rule", path]) == 2


@pytest.mark.parametrize("yaml_text,needle", [
    ("rules:\n  - id: [broken\n", "YAML syntax error"),
    ("rules:\n  - id: x\n    description: d\n    regex: '(?=look)(a)'\n", "invalid regex"),
    ("rules:\n  - id: x\n    description: d\n    regex: '(a)'\n    bogus: 1\n", "unknown key"),
    ("rules:\n  - id: x\n    description: d\n    regex: '(a)'\n    validators: [nope]\n", "unknown validator"),
    ("rules:\n  - id: x\n    description: d\n    regex: '(a)(b)'\n", "capture group"),
    ("rules:\n  - id: binance-api-credential\n    description: d\n    regex: '(a)'\n", "duplicate rule id"),
    ("rules: {}\n", "'rules' must be a list"),
    ("- just a list\n", "mapping"),
    ("rules:\n  - id: x\n    description: d\n    regex: '(a)'\n    min_entropy: high\n", "min_entropy"),
])
def test_configuration_errors_exit_2_naming_file_and_rule(tmp_path, capsys, yaml_text, needle) -> None:
    rules = tmp_path / "bad.yaml"
    rules.write_text(yaml_text)
    target = write(tmp_path, "a.py", "x = 1\n")
    assert main(["--patterns", str(rules), target]) == 2
    err = capsys.readouterr().err
    assert str(rules) in err and needle in err and "Traceback" not in err


def test_json_format(tmp_path, fake, capsys) -> None:
    import json

    secret = fake("{alnum:64}")
    path = write(tmp_path, "a.py", f'BINANCE_API_SECRET = "{secret}"\n')
    assert main(["--format", "json", path]) == 1
    out = capsys.readouterr().out
    assert secret not in out
    doc = json.loads(out)
    assert doc["findings"][0]["rule"] == "binance-api-credential" and doc["stats"]["files_scanned"] == 1
