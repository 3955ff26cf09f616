"""Ready-made CI (examples/ci/, shown in docs/ci.md): each file parses, names real hooks and actions, and the
commands it runs are run here on a temporary repository, offline (`pip install` lines are the only ones skipped:
the test environment already has what they install). The hook repository is this working tree, as a local git
repository pre-commit clones and installs exactly as it would from GitHub."""
from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import PROJECT_ROOT, git

EXAMPLES = PROJECT_ROOT / "examples" / "ci"
UPSTREAM = "https://github.com/crypto-key-guard/crypto-key-guard"
BIN = Path(sys.executable).parent
SARIF_SCHEMA = json.loads((PROJECT_ROOT / "tests" / "data" / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
STAGES = {"pre-commit", "pre-push", "manual"}
# the keys pre-commit.ci reads from the `ci:` section (https://pre-commit.ci, "configuration")
PRE_COMMIT_CI_KEYS = {"autofix_commit_msg", "autofix_prs", "autoupdate_branch", "autoupdate_commit_msg",
                      "autoupdate_schedule", "skip", "submodules"}

pytestmark = pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None,
                                reason="needs git and bash")


def load(name: str) -> dict:
    return yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def console_scripts() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(PROJECT_ROOT / "setup.cfg")
    lines = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    return {line.split("=")[0].strip() for line in lines if line.strip()}


def published_hooks() -> list[dict]:
    return yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


# -- static checks -------------------------------------------------------------------------------------------
# Hooks that judge what is committed run at commit and push and by hand; key-rotation-check judges today's date,
# so it runs at push (a date passing must not fail an unrelated commit); hooks that write files run only by hand.
OWN_STAGES = {"key-rotation-check": {"pre-push", "manual"}, "gitignore-enforcer-fix": {"manual"},
              "detect-exchange-secrets-baseline": {"manual"}}


def test_every_published_hook_runs_at_the_stages_that_fit_it() -> None:
    hooks = published_hooks()
    assert {"crypto-key-patterns", "env-file-guard", "gitignore-enforcer"} <= {h["id"] for h in hooks}
    scripts = console_scripts()
    for hook in hooks:
        assert set(hook.get("stages", [])) == OWN_STAGES.get(hook["id"], STAGES), hook["id"]
        # the new stage names need pre-commit 3.2
        version = tuple(int(x) for x in hook.get("minimum_pre_commit_version", "0").split("."))
        assert version >= (3, 2, 0), hook["id"]
        assert hook["entry"].split()[0] in scripts, hook["id"]


def test_examples_parse_and_name_real_hooks() -> None:
    known = {h["id"] for h in published_hooks()}
    config = load("pre-commit-config.yaml")
    [repo] = config["repos"]
    assert repo["repo"] == UPSTREAM and repo["rev"].startswith("v")
    assert {h["id"] for h in repo["hooks"]} <= known
    assert set(config["default_install_hook_types"]) == {"pre-commit", "pre-push"}
    assert set(config["ci"]) <= PRE_COMMIT_CI_KEYS
    assert set(config["ci"].get("skip", [])) <= known
    gitlab = load("gitlab-ci.yml")
    job = gitlab["crypto-key-guard"]
    assert job["stage"] in gitlab["stages"] and job["stage"] == "lint"
    assert any("pre-commit run --all-files" in line for line in job["script"])


def test_github_workflow_uploads_the_sarif_it_writes() -> None:
    workflow = load("github-actions.yml")
    assert set(workflow[True]) == {"push", "pull_request"}  # `on:` is YAML 1.1's true
    jobs = workflow["jobs"]
    scan = jobs["code-scanning"]
    assert scan["permissions"]["security-events"] == "write"
    uses = [s["uses"] for job in jobs.values() for s in job["steps"] if "uses" in s]
    assert "actions/checkout@v4" in uses and "github/codeql-action/upload-sarif@v3" in uses
    upload = next(s for s in scan["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["if"] == "always()"  # findings fail the scan step; they must still reach code scanning
    command = next(s["run"] for s in scan["steps"] if "crypto-key-guard scan" in s.get("run", ""))
    assert re.search(rf"--output {re.escape(upload['with']['sarif_file'])}\b", command)
    assert "--format sarif" in command
    install = next(s["run"] for s in scan["steps"] if "pip install" in s.get("run", ""))
    rev = load("pre-commit-config.yaml")["repos"][0]["rev"]
    assert f"git+{UPSTREAM}@{rev}" in install  # the same release as the hooks


def test_pre_commit_accepts_the_configurations() -> None:
    for path in (EXAMPLES / "pre-commit-config.yaml", PROJECT_ROOT / ".pre-commit-config.yaml"):
        proc = subprocess.run([sys.executable, "-m", "pre_commit", "validate-config", str(path)],
                              capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stdout.strip() and "Warn" not in proc.stderr, proc.stderr


def test_own_configuration_dogfoods_every_published_hook_but_the_baseline_one() -> None:
    own = yaml.safe_load((PROJECT_ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [local] = own["repos"]
    assert local["repo"] == "local"
    published = {h["id"]: h for h in published_hooks()}
    scripts = console_scripts()
    for hook in local["hooks"]:
        assert hook["entry"] in scripts and hook["language"] == "system"
        assert set(hook["stages"]) == OWN_STAGES.get(hook["id"], STAGES), hook["id"]
        for key in ("pass_filenames", "always_run", "types"):  # the same file selection as users get
            assert hook.get(key) == published[hook["id"]].get(key), (hook["id"], key)
    # detect-exchange-secrets needs a .secrets.baseline: not used here; the manual -fix/-baseline hooks write files
    assert set(published) - {h["id"] for h in local["hooks"]} <= {
        "detect-exchange-secrets", "detect-exchange-secrets-baseline", "gitignore-enforcer-fix"}


def test_docs_show_the_example_files_verbatim() -> None:
    doc = (PROJECT_ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, flags=re.S)
    for name in ("github-actions.yml", "gitlab-ci.yml", "pre-commit-config.yaml"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        assert text in blocks, f"docs/ci.md does not show examples/ci/{name} as it is"


# -- the commands, run ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[str, str]:
    """This working tree (tracked and new files) committed to a scratch repository: (path, commit)."""
    dest = tmp_path_factory.mktemp("hook-repo")
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=PROJECT_ROOT,
                           capture_output=True, check=True).stdout.split(b"\0")
    for raw in filter(None, names):
        name = raw.decode()
        src = PROJECT_ROOT / name
        if src.is_file() and not src.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "snapshot")
    return str(dest), git(dest, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="session")
def ci_env(tmp_path_factory) -> dict[str, str]:
    """PATH with this environment's scripts first (what `pip install` put on the CI machine) and one pre-commit
    cache for the session, so the hook environment is built once."""
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("NO_COLOR", None)
    return env


def pinned_config(hook_repo: tuple[str, str]) -> str:
    """examples/ci/pre-commit-config.yaml pointing at the local snapshot instead of GitHub."""
    text = (EXAMPLES / "pre-commit-config.yaml").read_text(encoding="utf-8")
    assert f"repo: {UPSTREAM}\n" in text and "rev: v0.1.0\n" in text
    return text.replace(f"repo: {UPSTREAM}\n", f"repo: {hook_repo[0]}\n").replace("rev: v0.1.0\n",
                                                                                  f"rev: {hook_repo[1]}\n")


def run(command: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def ci_repo(git_repo: Path, hook_repo, key: str | None = None) -> Path:
    (git_repo / ".pre-commit-config.yaml").write_text(pinned_config(hook_repo))
    (git_repo / ".gitignore").write_text(".env\n.env.*\n!.env.example\n*.env\nsecrets/\nconfig/secrets.yaml\n"
                                         "__pycache__/\n*.pyc\n.cache/\n")
    (git_repo / "bot.py").write_text('import os\nBINANCE_API_SECRET = os.environ["BINANCE_API_SECRET"]\n')
    if key:
        (git_repo / "settings.py").write_text(f'BINANCE_API_SECRET = "{key}"\n')
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "--no-verify", "-m", "code")
    return git_repo


def run_steps(commands: list[str], repo: Path, env: dict) -> list[tuple[str, subprocess.CompletedProcess]]:
    done = []
    for command in commands:
        if command.startswith("pip install"):
            continue  # already installed here (and offline)
        done.append((command, run(command, repo, env)))
    return done


@pytest.mark.parametrize("leak", [False, True], ids=["clean", "leak"])
def test_github_workflow_steps_run(git_repo, hook_repo, ci_env, fake, leak) -> None:
    key = fake("{alnum:64}") if leak else None
    repo = ci_repo(git_repo, hook_repo, key)
    workflow = load("github-actions.yml")
    expected = 1 if leak else 0
    for job in ("pre-commit", "code-scanning"):
        commands = [s["run"] for s in workflow["jobs"][job]["steps"] if "run" in s]
        for command, proc in run_steps(commands, repo, ci_env):
            output = proc.stdout + proc.stderr
            assert proc.returncode == expected, (command, output)
            if key:
                assert key not in output
    upload = next(s for s in workflow["jobs"]["code-scanning"]["steps"] if "upload-sarif" in s.get("uses", ""))
    sarif_path = repo / upload["with"]["sarif_file"]
    doc = json.loads(sarif_path.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    results = doc["runs"][0]["results"]
    assert len(results) == (1 if leak else 0)
    if key:
        assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "settings.py"
        assert key not in sarif_path.read_text(encoding="utf-8")


def test_gitlab_lint_job_runs(git_repo, hook_repo, ci_env, fake) -> None:
    repo = ci_repo(git_repo, hook_repo, fake("{alnum:64}"))
    job = load("gitlab-ci.yml")["crypto-key-guard"]
    # GitLab's variables; its cache directory is the session's pre-commit cache, so nothing is built twice
    env = dict(ci_env, CI_PROJECT_DIR=str(repo))
    for name, value in job["variables"].items():
        env[name] = os.path.expandvars(value.replace("${CI_PROJECT_DIR}", str(repo)))
    assert env["PRE_COMMIT_HOME"] == str(repo / ".cache" / "pre-commit")
    (repo / ".cache").mkdir()
    os.symlink(ci_env["PRE_COMMIT_HOME"], env["PRE_COMMIT_HOME"])
    [(command, proc)] = run_steps(job["script"], repo, env)
    assert proc.returncode == 1 and "binance-api-credential" in proc.stdout, proc.stdout + proc.stderr
    git(repo, "rm", "-q", "settings.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "remove the key")
    [(command, proc)] = run_steps(job["script"], repo, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_own_configuration_passes_on_this_repository(hook_repo, ci_env) -> None:
    """The repository passes its own hooks (the checkout as committed to the snapshot)."""
    proc = run("pre-commit run --all-files", Path(hook_repo[0]), ci_env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "crypto key patterns (this checkout)" in proc.stdout


def test_readme_walkthrough_from_an_empty_repository(git_repo, hook_repo, ci_env, fake, tmp_path) -> None:
    """Hooks installed, a finding fixed, an accepted finding ignored without line numbers, SARIF for upload,
    and pre-push blocking a commit that skipped the pre-commit hook."""
    repo, env = git_repo, ci_env
    (repo / ".pre-commit-config.yaml").write_text(pinned_config(hook_repo))
    assert run("gitignore-enforcer --fix", repo, env).returncode == 1  # a fresh repository ignores nothing yet
    installed = run("pre-commit install", repo, env)
    assert installed.returncode == 0 and (repo / ".git" / "hooks" / "pre-push").exists(), installed.stderr
    git(repo, "add", "-A")
    assert run("git commit -q -m 'set up crypto-key-guard'", repo, env).returncode == 0

    key = fake("{alnum:64}")
    (repo / "bot.py").write_text(f'import ccxt\n\nexchange = ccxt.binance({{"secret": "{key}"}})\n')
    git(repo, "add", "bot.py")
    blocked = run("git commit -m 'bot'", repo, env)
    said = blocked.stdout + blocked.stderr  # git shows hook output on stderr
    assert blocked.returncode == 1 and "bot.py:3:" in said and "binance-api-credential" in said, said
    assert "Binance > Account > API Management" in said and key not in said
    (repo / "bot.py").write_text('import os\n\nimport ccxt\n\n'
                                 'exchange = ccxt.binance({"secret": os.environ["BINANCE_API_SECRET"]})\n')
    git(repo, "add", "bot.py")
    assert run("git commit -q -m 'bot'", repo, env).returncode == 0  # fixed

    (repo / "tests").mkdir()
    fixture = f'BYBIT_API_KEY = "{fake("{alnum:18}")}"\nBYBIT_API_SECRET = "{fake("{alnum:36}")}"\n'
    (repo / "tests" / "test_bot.py").write_text(fixture)
    git(repo, "add", "tests")
    assert run("git commit -q -m 'tests'", repo, env).returncode == 1
    accepted = run("crypto-key-guard ignore add --yes tests", repo, env)
    assert accepted.returncode == 0 and "added" in accepted.stdout
    ignore_text = (repo / ".crypto-key-guard-ignore").read_text(encoding="utf-8")
    assert not re.search(r"^[^#]*:\d+\s*$", ignore_text, flags=re.M)  # no line numbers outside comments
    git(repo, "add", "tests", ".crypto-key-guard-ignore")
    assert run("git commit -q -m 'tests'", repo, env).returncode == 0
    (repo / "tests" / "test_bot.py").write_text("import pytest\n\n\n" + fixture)  # the code moves
    git(repo, "add", "tests")
    assert run("git commit -q -m 'move'", repo, env).returncode == 0

    scan = next(s["run"] for s in load("github-actions.yml")["jobs"]["code-scanning"]["steps"]
                if "crypto-key-guard scan" in s.get("run", ""))
    assert run(scan, repo, env).returncode == 0
    doc = json.loads((repo / "crypto-key-guard.sarif").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    assert doc["runs"][0]["results"] == []  # the accepted findings are not uploaded

    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    (repo / "late.py").write_text(f'KRAKEN_API_SECRET = "{fake("{base64:88}")}"\n')
    git(repo, "add", "late.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "skipped the hook")
    pushed = run(f"git push -q {remote} HEAD:refs/heads/main", repo, env)
    assert pushed.returncode != 0 and "kraken-api-secret" in pushed.stdout + pushed.stderr


def test_version_and_changelog_agree() -> None:
    from crypto_key_guard import __version__

    proc = subprocess.run([str(BIN / "crypto-key-guard"), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"crypto-key-guard {__version__}"
    changelog = (PROJECT_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{__version__}]" in changelog  # a release without an entry fails here
