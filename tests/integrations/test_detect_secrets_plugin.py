"""The detect-secrets plugin with the real detect-secrets: class generation, the plain CLI, audit."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_key_guard.commands.detect_secrets_plugin import main as plugin_path_main
from crypto_key_guard.engine.examples import expand, seeded
from crypto_key_guard.engine.rules import default_rules

from conftest import git

pytest.importorskip("detect_secrets")

from detect_secrets.filters.heuristic import is_potential_uuid  # noqa: E402

from crypto_key_guard.integrations.detect_secrets import bridge  # noqa: E402

OURS = "(crypto-key-guard)"


def plugin_path(capsys) -> str:
    assert plugin_path_main([]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return out.strip()


def ds_scan(repo: Path, *args: str) -> dict:
    """`detect-secrets scan` as a user runs it (a subprocess: detect-secrets keeps global state)."""
    out = subprocess.run([sys.executable, "-m", "detect_secrets", "-c", "1", "scan", *args], cwd=repo,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def results(doc: dict) -> set[tuple[str, int, str]]:
    return {(f, r["line_number"], r["type"]) for f, rs in doc["results"].items() for r in rs}


# -- the command and the classes ------------------------------------------------------------------------------
def test_command_prints_only_the_plugin_file(capsys) -> None:
    path = plugin_path(capsys)
    assert os.path.isabs(path) and os.path.isfile(path)
    assert path.endswith(os.path.join("crypto_key_guard", "detect_secrets_plugin.py"))


def test_command_does_not_import_detect_secrets() -> None:
    code = ("import sys; from crypto_key_guard.cli import main; rc = main(['detect-secrets-plugin']); "
            "assert rc == 0 and 'detect_secrets' not in sys.modules and 'crypto_key_guard.engine.rules' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 1


def test_detect_secrets_loads_one_class_per_family_from_the_file(capsys) -> None:
    from detect_secrets.core.plugins.util import get_plugins_from_file

    loaded = {cls.__name__: cls for cls in get_plugins_from_file(plugin_path(capsys))}
    families = {bridge.family_of(rule) for rule in default_rules().rules}
    assert {cls.family for cls in loaded.values()} == families
    assert len({cls.secret_type for cls in loaded.values()}) == len(families)
    for name, cls in loaded.items():
        assert name.startswith("CryptoKeyGuard") and name.endswith("Detector")
        assert cls.secret_type.endswith(" " + OURS)
        assert cls.denylist == ()  # no regex copied: matching is the engine's
    # the ids stored in baselines: stable and readable
    assert loaded["CryptoKeyGuardBinanceDetector"].secret_type == "Binance API credential (crypto-key-guard)"
    assert loaded["CryptoKeyGuardPrivateKeyDetector"].secret_type == "Private Key (crypto-key-guard)"


def test_names_of_families() -> None:
    assert bridge.class_name("Gate.io") == "CryptoKeyGuardGateIoDetector"
    assert bridge.class_name("BIP39Mnemonic") == "CryptoKeyGuardBIP39MnemonicDetector"
    rules = default_rules().rules
    exchange = [r for r in rules if r.kind == "exchange"][:1]
    wallet = [r for r in rules if r.kind not in ("exchange", "infrastructure")][:1]
    assert bridge.family_label("KuCoin", exchange) == "KuCoin API credential"
    assert bridge.family_label("EthereumPrivateKey", wallet) == "Ethereum Private Key"
    assert bridge.family_label("QuickNode", [wallet[0]._replace(kind="infrastructure")]) == "QuickNode credential"


def test_uuid_normalised_form(fake) -> None:
    for value in (fake("{uuid}"), fake("organizations/{uuid}/apiKeys/{uuid}"), fake("{uuid}").upper()):
        assert is_potential_uuid(value)
        normal = bridge.normalise(value)
        assert not is_potential_uuid(normal)
        assert normal == value.replace("-", "") and bridge.normalise(normal) == normal
    plain = fake("{alnum:64}")
    assert bridge.normalise(plain) == plain


# -- the plain CLI ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> tuple[Path, dict]:
    """One repository scanned once by `detect-secrets scan --plugin` (each scan is a ~1 s subprocess)."""
    repo = tmp_path_factory.mktemp("ds") / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    rng = seeded("detect-secrets-plugin")
    files = {
        "binance.py": 'import os\nBINANCE_API_KEY = "{alnum:64}"\nBINANCE_API_SECRET = "{alnum:64}"\n',
        "uuid_secret.yaml": 'exchange:\n  api_key: "{hex:24}"\n  api_secret: "{uuid}"\n',
        "key.pem": "-----BEGIN EC PRIVATE KEY-----\n{base64:64}\n{base64:64}\n{base64:20}==\n"
                   "-----END EC PRIVATE KEY-----\n",
        "ccxt_line.py": "ex = ccxt.binance({'apiKey': '{alnum:64}', 'secret': '{alnum:64}'})\n",
        "clean.py": 'import os\nKEY = os.environ["BINANCE_API_KEY"]\n',
    }
    for name, template in files.items():
        (repo / name).write_text(expand(template, rng))
    git(repo, "add", "-A")
    return repo, ds_scan(repo, "--plugin", bridge.plugin_file(), ".")


def engine_view(repo: Path, names) -> set[tuple[str, int, str]]:
    """What crypto-key-patterns reports, as (file, line, secret type): the plugin must report the same."""
    from crypto_key_guard.engine.scanner import Scanner

    types = {cls.family: cls.secret_type for cls in bridge.plugin_classes().values()}
    rules = {r.id: bridge.family_of(r) for r in default_rules().rules}
    return {(name, f.line, types[rules[f.rule]])
            for name in names for f in Scanner().scan_content((repo / name).read_bytes(), name)[0]}


def test_cli_scan_with_plugin(scanned) -> None:
    repo, doc = scanned
    found = results(doc)
    ours = {(f, line, t) for f, line, t in found if t.endswith(OURS)}
    # ccxt_line.py: is_indirect_reference drops the whole line for every plugin (a documented limit)
    assert ours == engine_view(repo, ["binance.py", "uuid_secret.yaml", "key.pem", "clean.py"])
    assert {(f, line) for f, line, _ in ours} == {
        ("binance.py", 2), ("binance.py", 3),
        ("uuid_secret.yaml", 2),
        ("uuid_secret.yaml", 3),  # the value is a UUID: reported in its normalised form despite is_potential_uuid
        ("key.pem", 1),           # a multi-line secret, on its first line (the plugin scans the whole file)
    }
    assert ("binance.py", 2, "Binance API credential (crypto-key-guard)") in ours
    assert not any(f == "clean.py" for f, _, _ in found)
    assert {p["path"] for p in doc["plugins_used"] if "path" in p} == {"file://" + bridge.plugin_file()}


def test_cli_scan_with_plugin_sees_what_default_plugins_miss(scanned) -> None:
    repo, doc = scanned
    default = results(ds_scan(repo, "."))
    assert not any(f == "uuid_secret.yaml" and line == 3 for f, line, _ in default)
    assert any(f == "uuid_secret.yaml" and line == 3 for f, line, _ in results(doc) - default)


def test_cli_adhoc_string_uses_the_engine_on_the_line(capsys, fake) -> None:
    line = fake('BINANCE_API_SECRET = "{alnum:64}"')
    out = subprocess.run([sys.executable, "-m", "detect_secrets", "scan", "--plugin", plugin_path(capsys),
                          "--string", line], capture_output=True, text=True, check=True).stdout
    verdicts = {k.strip(): v.strip() for k, v in (row.split(":", 1) for row in out.splitlines() if ":" in row)}
    assert verdicts["CryptoKeyGuardBinanceDetector"].startswith("True")
    assert verdicts["CryptoKeyGuardPrivateKeyDetector"] == "False"


def test_plugin_answers_for_a_transformed_line(tmp_path, fake) -> None:
    """detect-secrets' YAML transformer rewrites lines but keeps their numbers: the value is still found."""
    path = tmp_path / "k.yaml"
    secret = fake("{uuid}")
    path.write_text(f'exchange:\n  api_secret: "{secret}"\n')
    cls = bridge.plugin_classes()["CryptoKeyGuardGenericCredentialDetector"]
    found = cls().analyze_line(str(path), f'api_secret: "{secret}"', 2)
    assert [s.secret_value for s in found] == [bridge.normalise(secret)]
    # a line that is not the file's and does not hold the value gets nothing from the file's index
    assert not cls().analyze_line(str(path), "unrelated: 1", 2)


def test_audit_report_on_a_baseline_with_our_findings(scanned, capsys, monkeypatch) -> None:
    from crypto_key_guard.commands.detect_secrets import main as ds_cli

    repo, doc = scanned
    (repo / ".secrets.baseline").write_text(json.dumps(doc, indent=2) + "\n")
    monkeypatch.chdir(repo)
    assert ds_cli(["audit", "--report", ".secrets.baseline"]) == 0
    report = json.loads(capsys.readouterr().out)["results"]
    located = {(r["filename"], int(line), t) for r in report for line in r["lines"] for t in r["types"]}
    assert {(f, line, t) for f, line, t in results(doc) if t.endswith(OURS)} <= located


def test_audit_report_prints_no_secret(scanned) -> None:
    """detect-secrets puts each raw secret in the report ('secrets' and the quoted lines); ours is redacted
    (issue 17, item 3). Through the `crypto-key-guard detect-secrets` process."""
    repo, doc = scanned
    (repo / ".secrets.baseline").write_text(json.dumps(doc, indent=2) + "\n")
    cli = Path(sys.executable).parent / "crypto-key-guard"
    out = subprocess.run([str(cli), "detect-secrets", "audit", "--report", ".secrets.baseline"], cwd=repo,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)["results"]
    assert report and all("\u2026" in r["secrets"] for r in report)
    raw_values = {v for name in ("binance.py", "ccxt_line.py", "uuid_secret.yaml")
                  for v in __import__("re").findall(r"[A-Za-z0-9-]{24,}", (repo / name).read_text())}
    assert raw_values and not any(v in out.stdout for v in raw_values)


def test_audit_with_a_missing_plugin_file_is_an_error(git_repo, capsys, monkeypatch) -> None:
    from crypto_key_guard.commands.detect_secrets import main as ds_cli

    (git_repo / ".secrets.baseline").write_text(json.dumps({
        "version": "1.5.0", "plugins_used": [{"name": "Gone", "path": "file:///nonexistent/plugin.py"}],
        "filters_used": [], "results": {}}))
    monkeypatch.chdir(git_repo)
    assert ds_cli(["audit", "--report", ".secrets.baseline"]) == 2
    assert "cannot be loaded" in capsys.readouterr().err


def test_rule_examples_are_not_empty() -> None:
    """The agreement test (test_detect_secrets_hook) iterates these; make sure it has work to do."""
    templates = [t for r in default_rules().rules for t in r.examples["match"]]
    assert len(templates) >= 10
    assert any("\n" in expand(t, seeded(0)) for t in templates)  # multi-line cases are among them


def test_yelp_hook_with_a_committed_one_line_plugin_file(git_repo, fake) -> None:
    """The README recipe for Yelp's own hook: a committed shim, a relative file:// path in the baseline."""
    (git_repo / "bot.py").write_text(fake('BINANCE_API_KEY = "{alnum:64}"\n'))
    shim = git_repo / ".detect-secrets" / "crypto_key_guard_plugin.py"
    shim.parent.mkdir()
    shim.write_text("from crypto_key_guard.detect_secrets_plugin import *  # noqa: F401,F403\n")
    git(git_repo, "add", "-A")
    doc = ds_scan(git_repo, "--plugin", ".detect-secrets/crypto_key_guard_plugin.py", "bot.py")
    text = json.dumps(doc, indent=2).replace(f"file://{git_repo}/", "file://")
    assert '"file://.detect-secrets/crypto_key_guard_plugin.py"' in text
    assert ("bot.py", 1, "Binance API credential (crypto-key-guard)") in results(doc)
    (git_repo / ".secrets.baseline").write_text(text)
    (git_repo / "bot.py").write_text((git_repo / "bot.py").read_text() + fake('BINANCE_SECRET = "{alnum:64}"\n'))
    git(git_repo, "add", "-A")
    out = subprocess.run([sys.executable, "-m", "detect_secrets.pre_commit_hook", "--baseline",
                          ".secrets.baseline", "bot.py"], cwd=git_repo, capture_output=True, text=True)
    assert out.returncode == 1 and "Binance API credential (crypto-key-guard)" in out.stdout
    assert "Location:    bot.py:2" in out.stdout


def test_plain_cli_reports_every_rule_example_its_filters_allow(tmp_path) -> None:
    """`detect-secrets scan --plugin` reports what crypto-key-patterns reports, except where detect-secrets'
    own filters (which a plugin cannot turn off) drop the line or the value: computed here with those filters."""
    from detect_secrets.filters import heuristic

    from crypto_key_guard.engine.scanner import Scanner

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    names = []
    for rule in default_rules().rules:
        for i, template in enumerate(rule.examples["match"]):
            names.append(f"{rule.id}-{i}.py")  # .py: no detect-secrets transformer rewrites it
            (repo / names[-1]).write_text(expand(template, seeded(f"cli-{rule.id}-{i}")), newline="")
    git(repo, "add", "-A")
    found = {(f, line, t) for f, line, t in results(ds_scan(repo, "--plugin", bridge.plugin_file(), "."))
             if t.endswith(OURS)}
    types = {cls.family: cls.secret_type for cls in bridge.plugin_classes().values()}
    value_filters = (heuristic.is_sequential_string, heuristic.is_potential_uuid, heuristic.is_templated_secret,
                     heuristic.is_prefixed_with_dollar_sign, heuristic.is_not_alphanumeric_string)
    expected, dropped = set(), 0
    for name in names:
        data = (repo / name).read_bytes()
        lines = data.decode().replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for m in Scanner().iter_matches(data, name):
            before = data[: m.start].decode().replace("\r\n", "\n")
            number = before.count("\n") + before.count("\r") + 1  # universal newlines, as detect-secrets
            value = bridge.normalise(m.value)
            if heuristic.is_indirect_reference(lines[number - 1].rstrip()) or any(f(value) for f in value_filters):
                dropped += 1
                continue
            expected.add((name, number, types[bridge.family_of(m.rule)]))
    assert found == expected
    assert len(expected) > 2 * dropped  # the filters cost little
    # values holding a UUID (KuCoin secrets, OKX keys, ...) get through is_potential_uuid
    uuid_files = {f"{r.id}-{i}.py" for r in default_rules().rules
                  for i, t in enumerate(r.examples["match"]) if "{uuid}" in t}
    assert uuid_files and {f for f, _, _ in found} & uuid_files
