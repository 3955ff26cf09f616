"""Output that fits the user's tools and the moment: a summary line, stdin, --exit-code, gitleaks:allow, GitLab
Secret Detection reports, the same paths in every format, and advice that depends on where the secret is."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import jsonschema
import pytest

from conftest import git

BIN = Path(sys.executable).parent

# GitLab's secret-detection-report-format (v15), as far as a report must satisfy it: our own subset, written from
# the published schema's requirements (https://gitlab.com/gitlab-org/security-products/security-report-schemas).
VENDOR = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}
TOOL = {"type": "object", "required": ["id", "name", "version", "vendor"],
        "properties": {"id": {"type": "string", "minLength": 1}, "name": {"type": "string", "minLength": 1},
                       "version": {"type": "string", "minLength": 1}, "vendor": VENDOR,
                       "url": {"type": "string", "pattern": "^https?://.+"}}}
GITLAB_SUBSET = {
    "type": "object",
    "required": ["version", "scan", "vulnerabilities"],
    "properties": {
        "version": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"},
        "scan": {"type": "object", "required": ["analyzer", "scanner", "type", "start_time", "end_time", "status"],
                 "properties": {"analyzer": TOOL, "scanner": TOOL, "type": {"enum": ["secret_detection"]},
                                "start_time": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"},
                                "end_time": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"},
                                "status": {"enum": ["success", "failure"]}}},
        "vulnerabilities": {"type": "array", "items": {
            "type": "object", "required": ["id", "identifiers", "location"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
                "identifiers": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "name", "value"],
                    "properties": {k: {"type": "string", "minLength": 1} for k in ("type", "name", "value")}}},
                "location": {"type": "object", "required": ["commit"], "properties": {
                    "file": {"type": "string", "minLength": 1}, "start_line": {"type": "integer"},
                    "commit": {"type": "object", "required": ["sha"],
                               "properties": {"sha": {"type": "string", "minLength": 1}}}}}}}},
    },
}
OFFICIAL = ("https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/master/dist/"
            "secret-detection-report-format.json")


def cli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "crypto-key-guard"), *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def leak(git_repo: Path, fake) -> tuple[Path, str]:
    secret = fake("{alnum:64}")
    (git_repo / "src").mkdir()
    (git_repo / "src" / "bot.py").write_text(f'BINANCE_API_SECRET = "{secret}"\n')
    (git_repo / "clean.py").write_text("print(1)\n")
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-qm", "a", "--no-verify")
    return git_repo, secret


def test_text_output_ends_with_a_summary_line_even_when_clean(leak) -> None:
    repo, secret = leak
    clean = cli("scan", "clean.py", cwd=repo)
    assert clean.returncode == 0 and clean.stdout == ""
    assert clean.stderr.strip().startswith("crypto-key-guard: 1 file, 0 findings, ")
    found = cli("scan", cwd=repo)
    assert found.returncode == 1 and "crypto-key-guard: 2 files, 1 finding, " in found.stderr
    assert secret not in found.stdout + found.stderr
    json_run = cli("scan", "--format", "json", cwd=repo)  # machine formats: stdout is the document, no summary
    assert json.loads(json_run.stdout)["findings"] and "finding," not in json_run.stderr


def test_scan_reads_standard_input(leak) -> None:
    repo, secret = leak
    proc = cli("scan", "-", cwd=repo, stdin=f'BINANCE_API_SECRET = "{secret}"\n')
    assert proc.returncode == 1 and proc.stdout.startswith("<stdin>:1:"), proc.stdout + proc.stderr
    assert secret not in proc.stdout + proc.stderr
    assert cli("scan", "-", cwd=repo, stdin="print(1)\n").returncode == 0
    mixed = cli("scan", "-", "clean.py", cwd=repo, stdin="")
    assert mixed.returncode == 2 and "standard input" in mixed.stderr


def test_exit_code_when_something_is_found(leak) -> None:
    repo, _ = leak
    assert cli("scan", "--exit-code", "7", "src/bot.py", cwd=repo).returncode == 7
    assert cli("scan", "--exit-code", "7", "clean.py", cwd=repo).returncode == 0
    assert cli("scan", "--exit-code", "0", "src/bot.py", cwd=repo).returncode == 0  # report only
    refused = cli("scan", "--exit-code", "2", "src/bot.py", cwd=repo)
    assert refused.returncode == 2 and "usage error" in refused.stderr


def test_gitleaks_allow_is_honoured_like_the_detect_secrets_pragma(tmp_path: Path, fake) -> None:
    secret = fake("{alnum:64}")
    for marker, expected in (("# gitleaks:allow", 0), ("# pragma: allowlist secret", 0), ("# fine", 1)):
        path = tmp_path / "c.py"
        path.write_text(f'BINANCE_API_SECRET = "{secret}"  {marker}\n')
        proc = subprocess.run([str(BIN / "crypto-key-patterns"), str(path)], capture_output=True, text=True)
        assert proc.returncode == expected, (marker, proc.stdout)


def test_gitlab_report_satisfies_the_schema_with_the_same_paths_as_every_format(leak) -> None:
    repo, secret = leak
    head = git(repo, "rev-parse", "HEAD").stdout.strip()
    docs = {}
    for fmt in ("gitlab", "json", "sarif"):
        out = repo / f"report.{fmt}"
        assert cli("scan", "--format", fmt, "-o", str(out), cwd=repo).returncode == 1
        text = out.read_text(encoding="utf-8")
        assert secret not in text
        docs[fmt] = json.loads(text)
    report = docs["gitlab"]
    jsonschema.validate(report, GITLAB_SUBSET)
    [vulnerability] = report["vulnerabilities"]
    assert vulnerability["location"] == {"file": "src/bot.py", "start_line": 1, "end_line": 1,
                                         "commit": {"sha": head}}
    assert vulnerability["severity"] in ("High", "Critical") and vulnerability["id"]
    text = cli("scan", cwd=repo).stdout
    assert docs["json"]["findings"][0]["file"] == "src/bot.py" and text.startswith("src/bot.py:1:")
    sarif_uri = docs["sarif"]["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert sarif_uri["uri"] == "src/bot.py"


def test_gitlab_report_against_the_published_schema_when_reachable(leak) -> None:
    try:
        with urllib.request.urlopen(OFFICIAL, timeout=20) as response:
            schema = json.load(response)
    except Exception as exc:  # no network here: the subset above still holds
        pytest.skip(f"GitLab's schema not reachable ({type(exc).__name__})")
    repo, _ = leak
    out = repo / "gl.json"
    cli("scan", "--format", "gitlab", "-o", str(out), cwd=repo)
    jsonschema.validate(json.loads(out.read_text()), schema)


def test_advice_fits_where_the_secret_is(leak) -> None:
    repo, secret = leak
    (repo / ".env").write_text(f"BINANCE_API_SECRET={secret}\n")
    blocked = subprocess.run([str(BIN / "crypto-key-patterns"), "src/bot.py", ".env"], cwd=repo,
                             capture_output=True, text=True)
    assert "blocked before commit" in blocked.stdout and "never left your machine" in blocked.stdout
    env_lines = [line for line in blocked.stdout.splitlines() if line.startswith(".env:")]
    env_advice = blocked.stdout.split(env_lines[0], 1)[1].splitlines()[1]
    assert "must not be committed" in env_advice and "git-ignored .env" not in env_advice
    assert "gitignore-enforcer-fix --hook-stage manual" in env_advice  # runnable by a pre-commit-only user
    assert "crypto-key-patterns: 2 files, 2 findings, " in blocked.stderr
    history = cli("scan", "--history", cwd=repo)
    assert history.returncode == 1 and "Rotate it first" in history.stdout
    tree = cli("scan", "src", cwd=repo)
    assert "rotate the key at the exchange first" in tree.stdout and "never left" not in tree.stdout


def test_detect_exchange_secrets_first_use_says_how_to_make_a_baseline(leak) -> None:
    repo, _ = leak
    proc = subprocess.run([str(BIN / "detect-exchange-secrets"), "--baseline", ".secrets.baseline", "clean.py"],
                          cwd=repo, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "usage:" not in output.lower()
    assert len(output.strip().splitlines()) == 1 and "detect-exchange-secrets-baseline" in output
    made = subprocess.run([str(BIN / "detect-exchange-secrets"), "--create-baseline", ".secrets.baseline"],
                          cwd=repo, capture_output=True, text=True)
    assert made.returncode == 0 and json.loads((repo / ".secrets.baseline").read_text())["results"]
    again = subprocess.run([str(BIN / "detect-exchange-secrets"), "--create-baseline", ".secrets.baseline"],
                           cwd=repo, capture_output=True, text=True)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_a_subdirectory_scan_names_files_alike_in_every_format(leak) -> None:
    """Run from the repository root, every format names the file the same (docs/hooks.md: text and JSON as you
    can open it from where you ran the command, SARIF and GitLab from the repository root)."""
    repo, _ = leak
    paths = {}
    for fmt in ("text", "json", "sarif", "gitlab"):
        out = repo / f"sub.{fmt}"
        assert cli("scan", "--format", fmt, "-o", str(out), "src", cwd=repo).returncode == 1
        text = out.read_text(encoding="utf-8")
        paths[fmt] = (text.split(":", 1)[0] if fmt == "text" else
                      json.loads(text)["findings"][0]["file"] if fmt == "json" else
                      json.loads(text)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
                          "artifactLocation"]["uri"] if fmt == "sarif" else
                      json.loads(text)["vulnerabilities"][0]["location"]["file"])
    assert set(paths.values()) == {"src/bot.py"}, paths
