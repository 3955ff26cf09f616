"""SARIF 2.1.0 from `scan` and `scan --history`: valid against the published schema (vendored in tests/data),
rule metadata people act on, redacted values only, partial fingerprints that survive moving code."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest

from conftest import PROJECT_ROOT, git

from crypto_key_guard import __version__
from crypto_key_guard.commands.scan import main as scan

SCHEMA = json.loads((PROJECT_ROOT / "tests" / "data" / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def sarif(tmp_path: Path, *args: str, expect: int | None = None) -> dict:
    out = tmp_path / "out.sarif"
    code = scan([*args, "--format", "sarif", "--output", str(out)])
    if expect is not None:
        assert code == expect
    doc = json.loads(out.read_text(encoding="utf-8"))
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return doc


def results(doc: dict) -> list[dict]:
    return doc["runs"][0]["results"]


def rules_by_id(doc: dict) -> dict[str, dict]:
    return {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}


@pytest.fixture
def secrets(fake) -> dict[str, str]:
    return {"binance": fake("{alnum:64}"), "mnemonic": fake("{mnemonic:12}"), "eth": fake("{eth_key:0x}"),
            "generic": fake("{alnum:32}")}


@pytest.fixture
def project(git_repo: Path, secrets) -> Path:
    (git_repo / "bot.py").write_text(f'import os\n\nBINANCE_API_SECRET = "{secrets["binance"]}"\n')
    (git_repo / "wallet.env").write_text(f'MNEMONIC="{secrets["mnemonic"]}"\nPRIVATE_KEY={secrets["eth"]}\n')
    (git_repo / "app.py").write_text(f'api_key = "{secrets["generic"]}"\n')
    (git_repo / "clean.py").write_text('key = os.environ["BINANCE_API_SECRET"]\n')
    git(git_repo, "add", "-A")
    return git_repo


def test_valid_sarif_with_tool_and_rule_metadata(project, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(project)
    doc = sarif(tmp_path, expect=1)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    driver = doc["runs"][0]["tool"]["driver"]
    assert driver["name"] == "crypto-key-guard" and driver["version"] == __version__
    rules = rules_by_id(doc)
    found = {r["ruleId"] for r in results(doc)}
    assert {"binance-api-credential", "bip39-mnemonic"} <= found
    assert found <= set(rules)
    for res in results(doc):
        rule = driver["rules"][res["ruleIndex"]]
        assert rule["id"] == res["ruleId"]
        assert res["level"] == rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    for rule in rules.values():
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        severity = float(rule["properties"]["security-severity"])  # GitHub reads it as a number in a string
        assert 0 < severity <= 10
        assert "security" in rule["properties"]["tags"]
    binance = rules["binance-api-credential"]
    assert binance["properties"]["security-severity"] == "9.5" and binance["defaultConfiguration"]["level"] == "error"
    assert "Binance" in binance["help"]["text"] and "Delete this key" in binance["help"]["text"]
    assert binance["helpUri"].startswith("https://") and "binance.com" in binance["helpUri"]
    assert "API Management" in binance["help"]["markdown"] and "environment" in binance["help"]["text"]
    mnemonic = rules["bip39-mnemonic"]["help"]["text"]
    assert "cannot be rotated" in mnemonic and "Move" in mnemonic
    assert "pragma: allowlist secret" in mnemonic and "crypto-key-guard ignore add" in mnemonic


def test_no_whole_secret_anywhere_in_the_sarif(project, tmp_path, secrets, monkeypatch) -> None:
    monkeypatch.chdir(project)
    sarif(tmp_path, expect=1)
    text = (tmp_path / "out.sarif").read_text(encoding="utf-8")
    for value in secrets.values():
        for chunk in (value, value[: len(value) // 2], value[len(value) // 2:]):
            assert chunk not in text
    words = secrets["mnemonic"].split()
    assert " ".join(words[1:3]) not in text  # a seed phrase shows its first word's start and a count only


def fingerprints(doc: dict) -> dict[str, tuple[str, int]]:
    return {r["partialFingerprints"]["secretFingerprint/v1"]: (r["ruleId"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results(doc)}


def test_partial_fingerprints_are_stable_across_runs_and_when_code_moves(project, tmp_path, secrets,
                                                                         monkeypatch) -> None:
    monkeypatch.chdir(project)
    first = fingerprints(sarif(tmp_path, expect=1))
    assert fingerprints(sarif(tmp_path, expect=1)) == first  # a second run: the same alerts
    assert all(re.fullmatch(r"[0-9a-f]{64}", fp) for fp in first)
    assert len(first) == len(results(sarif(tmp_path)))  # one fingerprint per secret here

    bot = project / "bot.py"
    bot.write_text("import os\nimport sys\n\n\n\n\ndef main():\n    pass\n\n" + bot.read_text())
    moved = fingerprints(sarif(tmp_path, expect=1))
    assert set(moved) == set(first)  # nothing new for code scanning
    binance = next(fp for fp, (rule, _) in first.items() if rule == "binance-api-credential")
    assert moved[binance][1] == first[binance][1] + 9  # the location did move

    (project / "lib").mkdir()
    bot.rename(project / "lib" / "exchange.py")  # a move to another file keeps it too
    assert set(fingerprints(sarif(tmp_path, expect=1))) == set(first)

    bot.write_text(f'BINANCE_API_SECRET = "{secrets["binance"][::-1]}"\n')  # another secret: a new alert
    assert len(set(fingerprints(sarif(tmp_path, expect=1))) - set(first)) == 1


def test_uris_are_repository_relative_and_percent_encoded(git_repo, tmp_path, fake, monkeypatch) -> None:
    name = "odd dir/b ot#%ü.py"
    (git_repo / "odd dir").mkdir()
    (git_repo / name).write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n', encoding="utf-8")
    monkeypatch.chdir(git_repo)
    for args in ([], ["."], ["odd dir"], [name], ["--staged"]):
        if args == ["--staged"]:
            git(git_repo, "add", "-A")
        monkeypatch.chdir(git_repo)
        doc = sarif(tmp_path, *args, expect=1)
        location = results(doc)[0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%"
        assert " " not in location["uri"] and "#" not in location["uri"]
        assert unquote(location["uri"]) == name, args
    monkeypatch.chdir(git_repo / "odd dir")  # run from a subdirectory: still relative to the repository root
    assert unquote(results(sarif(tmp_path, expect=1))[0]["locations"][0]["physicalLocation"]["artifactLocation"]
                   ["uri"]) == name


def test_clean_tree_is_a_valid_empty_run(git_repo, tmp_path, monkeypatch) -> None:
    (git_repo / "clean.py").write_text('key = os.environ["BINANCE_API_SECRET"]\n')
    monkeypatch.chdir(git_repo)
    doc = sarif(tmp_path, expect=0)
    assert results(doc) == [] and doc["runs"][0]["tool"]["driver"]["rules"] == []
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_notes_become_notifications(tmp_path, fake, monkeypatch) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "bot.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    (tree / "link.py").symlink_to(tree / "bot.py")
    monkeypatch.chdir(tree)
    doc = sarif(tmp_path, expect=1)  # outside git: a directory walk; the link is not followed
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("link.py" in n["message"]["text"] for n in notes)


def test_accepted_and_below_threshold_findings_are_not_uploaded(project, tmp_path, monkeypatch, capsys) -> None:
    from crypto_key_guard.commands.ignore import main as ignore

    monkeypatch.chdir(project)
    assert ignore(["add", "--yes", "bot.py"]) == 0
    found = {r["ruleId"] for r in results(sarif(tmp_path, expect=1))}
    assert "binance-api-credential" not in found and "bip39-mnemonic" in found
    only_critical = {r["ruleId"] for r in results(sarif(tmp_path, "--min-severity", "critical"))}
    assert "generic-credential-assignment" not in only_critical


def test_history_sarif_is_valid_and_places_removed_secrets(git_repo, tmp_path, fake, monkeypatch) -> None:
    secret = fake("{alnum:64}")
    (git_repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{secret}"\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "add bot")
    (git_repo / "bot.py").write_text('import os\nBINANCE_API_SECRET = os.environ["BINANCE_API_SECRET"]\n')
    git(git_repo, "commit", "-q", "-am", "use the environment")
    monkeypatch.chdir(git_repo)
    doc = sarif(tmp_path, "--history", expect=1)
    [res] = results(doc)
    assert res["ruleId"] == "binance-api-credential"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bot.py"
    assert res["properties"]["in_head"] is False and res["properties"]["introduced"]["subject"] == "add bot"
    tree_doc = sarif(tmp_path, expect=0)  # the work tree is clean now; history still remembers
    assert results(tree_doc) == []
    assert res["partialFingerprints"] == {"secretFingerprint/v1": res["partialFingerprints"]["secretFingerprint/v1"]}
    text = (tmp_path / "out.sarif").read_text()
    assert secret not in text and secret not in json.dumps(doc)
