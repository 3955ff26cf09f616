"""Project configuration: `[tool.crypto-key-guard]` in pyproject.toml or `.crypto-key-guard.yaml`; every key
does what it says in the command that uses it, the command line wins, an unknown key is exit 2 naming it."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from conftest import git

from crypto_key_guard import crypto_key_patterns, env_file_guard, gitignore_enforcer, key_rotation_check
from crypto_key_guard.commands import ignore
from crypto_key_guard.commands import config as config_command, rotation as rotation_command
from crypto_key_guard.policy import config, rotation
from crypto_key_guard.commands.scan import main as scan

ACME_RULES = """\
version: 1
rules:
  - id: acme-exchange-secret
    description: ACME exchange API secret
    regex: '{{credfield}}{{assign}}(?P<secret>[A-Za-z0-9]{40}){{end}}'
    context: '(?i)acme'
    keywords: [acme]
    severity: critical
    remediation: Delete the key in ACME > API keys and create a new one.
    examples:
      match: ['ACME_API_SECRET = "{alnum:40}"']
      no_match: ['ACME_API_SECRET = os.environ["ACME_API_SECRET"]']
"""
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def repo(git_repo: Path, fake, monkeypatch) -> Path:
    """bot.py: a Binance secret (critical, high confidence); app.py: a generic api_key (high, medium)."""
    (git_repo / "bot.py").write_text(f'BINANCE_API_SECRET = "{fake("{alnum:64}")}"\n')
    (git_repo / "app.py").write_text(f'api_key = "{fake("{alnum:32}")}"\n')
    git(git_repo, "add", "-A")
    monkeypatch.chdir(git_repo)
    return git_repo


def rules_found(capsys, *args: str) -> set[str]:
    capsys.readouterr()
    scan([*args, "--format", "json"])
    return {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}


def pyproject(repo: Path, body: str) -> None:
    (repo / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.crypto-key-guard]\n{body}")


def test_defaults_find_both(repo, capsys) -> None:
    assert rules_found(capsys) == {"binance-api-credential", "generic-credential-assignment"}


def test_pyproject_disable_with_either_spelling(repo, capsys) -> None:
    pyproject(repo, 'disable = ["binance-api-credential"]\nmin-confidence = "low"\n')
    assert rules_found(capsys) == {"generic-credential-assignment"}  # bot.py's secret only as a generic one
    capsys.readouterr()
    crypto_key_patterns.main(["bot.py"])
    assert "binance-api-credential" not in capsys.readouterr().out


def test_yaml_file_wins_over_pyproject(repo, capsys) -> None:
    pyproject(repo, 'disable = ["binance-api-credential"]\n')
    (repo / ".crypto-key-guard.yaml").write_text("disable: [generic-credential-assignment]\n")
    assert rules_found(capsys) == {"binance-api-credential"}
    assert config_command.main([]) == 0
    assert ".crypto-key-guard.yaml" in capsys.readouterr().out


def test_command_line_adds_to_lists_and_overrides_thresholds(repo, capsys) -> None:
    (repo / ".crypto-key-guard.yaml").write_text("min_severity: critical\nmin_confidence: high\n")
    assert rules_found(capsys) == {"binance-api-credential"}
    assert rules_found(capsys, "--min-severity", "low", "--min-confidence", "low") == \
        {"binance-api-credential", "generic-credential-assignment"}
    (repo / ".crypto-key-guard.yaml").write_text("disable: [generic-credential-assignment]\n")
    assert rules_found(capsys, "--disable", "binance-api-credential") == set()


def test_min_severity_and_min_confidence_each(repo, capsys) -> None:
    (repo / ".crypto-key-guard.yaml").write_text("min_severity: critical\n")
    assert rules_found(capsys) == {"binance-api-credential"}
    assert crypto_key_patterns.main(["app.py"]) == 0 and crypto_key_patterns.main(["bot.py"]) == 1
    (repo / ".crypto-key-guard.yaml").write_text("min_confidence: high\n")
    assert rules_found(capsys) == {"binance-api-credential"}


def test_extra_patterns_relative_to_the_root_from_a_subdirectory(repo, fake, capsys, monkeypatch) -> None:
    (repo / "security").mkdir()
    (repo / "security" / "acme.yaml").write_text(ACME_RULES)
    (repo / "src").mkdir()
    (repo / "src" / "acme.py").write_text(f'ACME_API_SECRET = "{fake("{alnum:40}")}"\n')
    assert "acme-exchange-secret" not in rules_found(capsys)
    pyproject(repo, 'patterns = ["security/acme.yaml"]\n')
    monkeypatch.chdir(repo / "src")
    assert rules_found(capsys) == {"acme-exchange-secret"}
    assert crypto_key_patterns.main(["acme.py"]) == 1
    out = capsys.readouterr().out
    assert "acme-exchange-secret" in out and "Delete the key in ACME" in out


def test_missing_pattern_file_is_exit_2_naming_it(repo, capsys) -> None:
    pyproject(repo, 'patterns = ["security/nope.yaml"]\n')
    assert scan([]) == 2
    assert "nope.yaml" in capsys.readouterr().err


def test_exclude_paths(repo, fake, capsys) -> None:
    (repo / "tests" / "fixtures").mkdir(parents=True)
    (repo / "tests" / "fixtures" / "keys.py").write_text(f'KRAKEN_API_KEY = "{fake("{base64:56}")}"\n')
    assert "kraken-api-key" in rules_found(capsys)
    (repo / ".crypto-key-guard.yaml").write_text("exclude: ['tests/fixtures/', 'app.py']\n")
    assert rules_found(capsys) == {"binance-api-credential"}
    assert crypto_key_patterns.main(["tests/fixtures/keys.py", "app.py"]) == 0


@pytest.mark.parametrize("body,named", [
    ("bogus_option = 1\n", "'bogus_option'"),
    ("bogus-option = 1\n", "'bogus-option'"),
    ("[tool.crypto-key-guard.rotation]\ntrading_days = 3\n", "'rotation.trading_days'"),
    ('min_severity = "severe"\n', "'min_severity' must be one of"),
    ("disable = \"binance-api-credential\"\n", "'disable' must be a list"),
    ("[tool.crypto-key-guard.rotation]\ntrading = 100000\n", "'rotation.trading' must be a whole number"),
    ("disable = [\n", "TOML syntax error"),
    ('min_severity = "low"\nmin-severity = "high"\n', "set twice"),
])
def test_bad_configuration_is_exit_2_naming_the_key_everywhere(repo, capsys, monkeypatch, body, named) -> None:
    pyproject(repo, body)
    monkeypatch.setattr(sys, "stdin", open("/dev/null"))
    for name, run in [
        ("scan", lambda: scan([])),
        ("crypto-key-patterns", lambda: crypto_key_patterns.main(["bot.py"])),
        ("ignore", lambda: ignore.main(["check"])),
        ("config", lambda: config_command.main([])),
        ("env-file-guard", lambda: env_file_guard.main(["bot.py"])),
        ("gitignore-enforcer", lambda: gitignore_enforcer.main([])),
        ("key-rotation-check", lambda: key_rotation_check.main([], now=NOW)),
        ("rotation", lambda: rotation_command.main(["status"], now=NOW)),
    ]:
        assert run() == 2, name
        err = capsys.readouterr().err
        assert named in err and "pyproject.toml" in err and "Traceback" not in err, (name, err)


def test_bad_yaml_configuration(repo, capsys) -> None:
    (repo / ".crypto-key-guard.yaml").write_text("disable: [unclosed\n")
    assert scan([]) == 2
    assert ".crypto-key-guard.yaml" in capsys.readouterr().err
    (repo / ".crypto-key-guard.yaml").write_text("- just\n- a list\n")
    assert scan([]) == 2
    assert "mapping" in capsys.readouterr().err


def test_explicit_config_file(repo, tmp_path, capsys) -> None:
    other = tmp_path / "strict.yaml"
    other.write_text("disable: [binance-api-credential, generic-credential-assignment]\n")
    assert scan(["--config", str(other)]) == 0
    assert scan(["--config", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_config_prints_the_effective_configuration(repo, capsys) -> None:
    pyproject(repo, 'min-severity = "high"\nexclude = ["vendor/"]\n[tool.crypto-key-guard.rotation]\ntrading = 7\n')
    assert config_command.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# effective configuration for {repo}") and "pyproject.toml [tool.crypto-key-guard]" in out
    doc = yaml.safe_load(out)  # the text form is a valid .crypto-key-guard.yaml
    assert config.validate(doc, "printed") == doc
    assert doc["min_severity"] == "high" and doc["exclude"] == ["vendor/"] and doc["min_confidence"] == "low"
    assert doc["rotation"] == {"file": ".key_rotation_log.json", "read_only": 90, "trading": 7, "withdrawal": 14}
    assert config_command.main(["--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["root"] == str(repo) and data["rotation"]["trading"] == 7 and data["source"].endswith("]")


def test_config_defaults_only(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_command.main(["--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] is None and data["patterns"] == [] and data["ignore_file"] == ".crypto-key-guard-ignore"


def test_rotation_defaults_agree_with_the_rotation_module() -> None:
    section = config.DEFAULTS["rotation"]
    assert section["file"] == rotation.LOG_NAME
    assert {k: v for k, v in section.items() if k != "file"} == rotation.DEFAULT_POLICY


def test_env_files_block_and_templates(repo, fake, capsys) -> None:
    (repo / "service-tokens.json").write_text("{}\n")
    (repo / ".env.ci").write_text("BINANCE_API_KEY=your_api_key_here\n")
    assert env_file_guard.main(["service-tokens.json"]) == 0
    assert env_file_guard.main([".env.ci"]) == 1  # .env.* is blocked by default
    capsys.readouterr()
    (repo / ".crypto-key-guard.yaml").write_text("env_files:\n  block: [service-tokens.json]\n  templates: ['.env.ci']\n")
    assert env_file_guard.main(["service-tokens.json"]) == 1
    assert "service-tokens.json" in capsys.readouterr().out
    assert env_file_guard.main([".env.ci"]) == 0  # a template now, while its values are placeholders
    (repo / ".env.ci").write_text(f"BINANCE_API_KEY={fake('{alnum:64}')}\n")
    assert env_file_guard.main([".env.ci"]) == 1
    assert "env-template-value" in capsys.readouterr().out
    assert env_file_guard.main(["--block", "other.json", "other.json"]) == 1  # the command line adds more


def test_gitignore_require(repo, capsys) -> None:
    assert gitignore_enforcer.main(["--fix"]) == 1
    assert gitignore_enforcer.main([]) == 0
    (repo / "pyproject.toml").write_text('[tool.crypto-key-guard.gitignore]\nrequire = ["wallet.dat"]\n')
    capsys.readouterr()
    assert gitignore_enforcer.main([]) == 1
    assert "'wallet.dat' is not ignored" in capsys.readouterr().out
    assert gitignore_enforcer.main(["--fix"]) == 1
    assert "wallet.dat" in (repo / ".gitignore").read_text().splitlines()
    assert gitignore_enforcer.main([]) == 0


def _log(path: Path, days_ago: int, level: str = "trading") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    when = (NOW - timedelta(days=days_ago)).isoformat()
    path.write_text(json.dumps({"binance-bot": {"last_rotated": when, "permission_level": level}}))


def test_rotation_policy_from_the_configuration_command_line_wins(repo, capsys) -> None:
    _log(repo / ".key_rotation_log.json", days_ago=20)
    assert key_rotation_check.main([], now=NOW) == 0  # within the default 30 days
    (repo / ".crypto-key-guard.yaml").write_text("rotation:\n  trading: 14\n")
    assert key_rotation_check.main([], now=NOW) == 1
    assert "overdue" in capsys.readouterr().out
    assert key_rotation_check.main(["--max-age-trading", "60"], now=NOW) == 0
    assert rotation_command.main(["status", "--format", "json"], now=NOW) == 0
    capsys.readouterr()
    assert rotation_command.main(["status", "--format", "json"], now=NOW) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["policy"]["trading"] == 14 and status["keys"][0]["state"] == "overdue"


def test_rotation_file_from_the_configuration(repo, capsys, monkeypatch) -> None:
    _log(repo / "ops" / "rotation.json", days_ago=100, level="read_only")
    assert key_rotation_check.main([], now=NOW) == 0  # no log at the default place: a hint
    (repo / ".crypto-key-guard.yaml").write_text("rotation:\n  file: ops/rotation.json\n  read_only: 120\n")
    assert key_rotation_check.main([], now=NOW) == 0
    assert "1 key(s) in" in capsys.readouterr().out
    monkeypatch.chdir(repo / "ops")  # from a subdirectory: still relative to the repository root
    assert key_rotation_check.main(["--max-age-read-only", "90"], now=NOW) == 1
    assert rotation_command.main(["record", "kraken-ro", "--permission", "read_only"], now=NOW) == 0
    assert "kraken-ro" in json.loads((repo / "ops" / "rotation.json").read_text())


def test_documented_configuration_examples_are_valid(tmp_path) -> None:
    from conftest import PROJECT_ROOT

    doc = (PROJECT_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = doc[doc.index("\n## Configuration\n"):]
    section = section[:section.index("\n## ", 5)]
    toml_text = section.split("```toml\n")[1].split("```")[0]
    yaml_text = section.split("```yaml\n")[1].split("```")[0]
    (tmp_path / "pyproject.toml").write_text(toml_text)
    (tmp_path / ".crypto-key-guard.yaml").write_text(yaml_text)
    from_toml = config.load_config(tmp_path, str(tmp_path / "pyproject.toml"))
    assert from_toml.get("min_severity") == "high" and from_toml.section("rotation")["file"] == "ops/key-rotation.json"
    assert set(from_toml.values) == set(config.SCHEMA)  # the example shows every key
    from_yaml = config.load_config(tmp_path)
    assert from_yaml.source.endswith(".crypto-key-guard.yaml") and from_yaml.section("rotation")["trading"] == 14
    # the README's few lines are a valid configuration too
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    short = readme[readme.index("\n## Configuration\n"):].split("```yaml\n")[1].split("```")[0]
    (tmp_path / ".crypto-key-guard.yaml").write_text(short)
    assert config.load_config(tmp_path).get("min_severity") == "high"


def test_include_public_test_keys_from_the_file_and_the_command_line(repo) -> None:
    from crypto_key_guard.policy.options import prepare
    from crypto_key_guard.commands.scan import build_parser

    def scanner_flag(*argv: str) -> bool:
        return prepare(build_parser().parse_args(list(argv))).scanner.include_public_test_keys

    assert scanner_flag() is False
    assert scanner_flag("--include-public-test-keys") is True
    (repo / ".crypto-key-guard.yaml").write_text("include_public_test_keys: true\n")
    assert scanner_flag() is True
