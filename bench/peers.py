"""crypto-key-guard against the real peers, side by side: kingfisher, betterleaks, ripgrep (the floor).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/peers.py [--jobs hook,tree,history,push] [--runs 5] [--json FILE] [--markdown FILE]

Four jobs, every tool a whole process, all tools of a job interleaved in one run (each repetition runs every
tool once, in rotated order, after one warm-up round), so load from other work on a shared machine falls on
every tool alike. Times are medians (min and max shown); ratios are ratios of medians.

- hook:    a typical commit (10 seeded source files, 64 KB, two planted fake keys) staged in a fresh repository:
           `crypto-key-patterns FILES` (what pre-commit runs) against betterleaks (`git --staged`, its
           pre-commit mode, and `fs FILES`), kingfisher (`scan --staged` and `scan FILES`) and `python -c pass`.
- tree:    the pinned real-world corpus (bench/corpus.py: ccxt, freqtrade, jesse sources, 138 MB, a directory):
           `crypto-key-guard scan` against `kingfisher scan`, `betterleaks fs` and ripgrep searching the tree
           for every keyword of our rules (`rg -i -F`: the floor for any keyword-gated regex scanner).
- history: the full history of freqtrade (pinned, see FREQTRADE below): `crypto-key-guard scan --history`
           against `kingfisher scan` (its default: full history) and `betterleaks git`.
- push:    the newest 100 commits of that history as one push: `crypto-key-guard scan --history --range A..B`
           against `kingfisher scan --since-commit A --branch B` and `betterleaks git --pre-receive` fed
           "A B refs/heads/develop" on stdin, as git feeds a server hook.

Peers run with their network features off (no validation, no update check, nothing to fetch: GIT_NO_LAZY_FETCH).
Memory: "RSS" is the peak resident set of the largest single process (wait4; the worker processes we wait for
count too), "tree MB" the peak of the summed proportional set size (PSS, shared pages split between the
processes sharing them) of the process and all its descendants, sampled every 20 ms from /proc (Linux only):
the honest figure for a tool that forks workers.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import CACHE, PINNED, real_world_corpus  # noqa: E402
from perf import keywords, machine, tool, tree_bytes  # noqa: E402
from perf_inputs import make_commit  # noqa: E402

PEERS_ROOT = CACHE / "peers"

# -- the pinned history --------------------------------------------------------------------------------------
# freqtrade's `develop` at this commit (2024-10-24): 26,408 commits. The repository the benchmark scans is
# rebuilt from it deterministically (git fast-export --no-data | fast-import, then repacked: only objects
# reachable from the pin, nothing from pull-request refs): commit signatures are dropped (git 2.39's
# fast-export does not carry them) and the 28 blobs listed below become the empty blob. They are binary
# (armv7 pyarrow wheels, three PNGs, a .feather file) and were absent from the snapshot available when this
# benchmark was written (a partial clone without network access); a full clone from GitHub has them, and the
# rewrite drops them there too, so every source gives the same repository, REWRITTEN_TIP.
FREQTRADE = {
    "url": "https://github.com/freqtrade/freqtrade.git",
    "branch": "develop",
    "pin": "c9ae5e1e9ff25bb55dd61f5e5519f7c479291edb",
    "rewritten_tip": "7aa3a7d1bd9ff989af2b16e82907fd4bc107ae08",
}
EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
DROPPED_BLOBS = """
08226b794658e0d50c305d993cb414f12e8a2775 0cb93cbabfe56b786839fc5907c15b5a27710df9
0e1cb536d5eced56305954b8c6721a076b37bc14 112d0f96a678d99b86abaa89353299045651ac42
11cfc189536e611ac9cadbd7c6a3a4d23766a449 221d6561dc8546113c36b2a9227faa07461153dd
2a8d1ff51b041a9c1888f77de55931e897877401 345f2dd63090bb3f10dfead9c56fbfc0b8aeb9ca
3e6629608b25c933a0baab5227c45bfcbc3cba1d 46529fbe4defc03a6879ecff486d6f3ed3214aa7
4fe505588c523159a0e05d98dbb20cd02c277c3f 54d85662566a971ab32ee71ee17822d53dddbc06
55211ca01a1ac53b70cc7b5fd74621d5714bcddd 619e8a7e3a11d6dcd1f9910e63647c613a46e81e
638750fc2585576b1ea30526bf27a02038ff7b1a 69aa13bd4159b663aab7ddf678017666cd8df248
6dcca7db8969216d3793310ee135120cfcc86023 77545d082ad758796d019db25d8b10d1c1f95bb2
84943b4383c6c2873dd78cd4d0cb8f1733a00a2b a187ad4333cf6cb2906981df9e67f60b8f6b4511
a6c879cf5bcae378509a65c3794af137bf59e12c a7ad80bdf2d7f43cb4959b12f6750c0355bebb44
c1cbf19de29ed5c328682b741bd0d664d57235c3 d8c994f85311ae84d8e33197d4f700573c0118df
e27829a53981185e2a08fed6a64cf8a74109be4f f8022ffbf01cffb9dc48fd44f9bc412822a83fa8
fe2a1e85aa5d95dcb4a2fa5b0040cc822db00937 ffbe09bf488f1ce0f204e7c2ba1976fc7e8ceab7
""".split()
PUSH_COMMITS = 100

TARGETS = {  # issue 19: (ratio name, limit); every ratio is ours / theirs of medians, lower is better
    "history_vs_kingfisher": 0.67,
    "history_tree_mb": 200.0,
    "tree_vs_kingfisher": 0.6,
    "tree_vs_ripgrep": 5.0,
    "hook_vs_betterleaks": 0.5,
    "hook_vs_python": 4.0,
}


def _git(*args: str, cwd: Path | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, check=True, **kw)


def freqtrade_repo(source: str) -> Path:
    """bench/.cache/peers/freqtrade.git, built once from `source` (a URL or a local repository holding the pin)."""
    repo = PEERS_ROOT / "freqtrade.git"
    if (repo / "HEAD").exists():
        return repo
    PEERS_ROOT.mkdir(parents=True, exist_ok=True)
    local = Path(source)
    if not local.exists():  # a URL: clone the branch once (bare), then read the pin from it
        local = PEERS_ROOT / "freqtrade-source.git"
        if not (local / "HEAD").exists():
            print(f"cloning {source} ({FREQTRADE['branch']}) into {local} ...", file=sys.stderr)
            _git("clone", "-q", "--bare", "--single-branch", "--branch", FREQTRADE["branch"], source, str(local))
    print(f"rebuilding freqtrade@{FREQTRADE['pin'][:12]} into {repo} ...", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix="freqtrade.", dir=PEERS_ROOT))
    _git("init", "-q", "--bare", str(tmp))
    objects = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-path", "objects"], cwd=local,
                             check=True, capture_output=True, text=True).stdout.strip()
    (tmp / "objects" / "info" / "alternates").write_text(objects + "\n")
    stream = subprocess.run(["git", "fast-export", "--no-data", "--signed-tags=strip", "--reencode=no",
                             FREQTRADE["pin"]], cwd=local, check=True, capture_output=True).stdout
    dropped = re.compile(rb"^(M \d+ )(" + b"|".join(s.encode() for s in DROPPED_BLOBS) + rb")( )", re.M)
    stream = dropped.sub(rb"\g<1>" + EMPTY_BLOB.encode() + rb"\g<3>", stream)
    # fast-export names the commits after the revision it was given: make that a branch
    stream = re.sub(rb"^(commit|reset) " + FREQTRADE["pin"].encode() + rb"$", rb"\1 refs/heads/develop", stream,
                    flags=re.M)
    _git("hash-object", "-w", "--stdin", cwd=tmp, input=b"", capture_output=True)
    _git("fast-import", "--quiet", cwd=tmp, input=stream)
    _git("symbolic-ref", "HEAD", "refs/heads/develop", cwd=tmp)
    _git("repack", "-a", "-d", "-q", cwd=tmp)
    (tmp / "objects" / "info" / "alternates").unlink()
    _git("prune", cwd=tmp)
    tip = subprocess.run(["git", "rev-parse", "develop"], cwd=tmp, check=True, capture_output=True,
                         text=True).stdout.strip()
    if tip != FREQTRADE["rewritten_tip"]:
        raise SystemExit(f"peers: rebuilt freqtrade tip is {tip}, expected {FREQTRADE['rewritten_tip']}; "
                         f"the source does not hold freqtrade@{FREQTRADE['pin']} as pinned")
    tmp.rename(repo)
    return repo


def push_range(repo: Path, commits: int) -> tuple[str, str, int]:
    """(old, new, n): the first-parent ancestor `old` of the tip such that old..tip holds at least `commits`."""
    tip = subprocess.run(["git", "rev-parse", "develop"], cwd=repo, check=True, capture_output=True,
                         text=True).stdout.strip()
    firsts = subprocess.run(["git", "rev-list", "--first-parent", f"--max-count={commits + 1}", tip], cwd=repo,
                            check=True, capture_output=True, text=True).stdout.split()
    for old in firsts[1:]:
        n = int(subprocess.run(["git", "rev-list", "--count", f"{old}..{tip}"], cwd=repo, check=True,
                               capture_output=True, text=True).stdout)
        if n >= commits:
            return old, tip, n
    raise SystemExit("peers: history too short for the push job")


def hook_repo() -> tuple[Path, list[str]]:
    """A repository with one commit and the 10 commit files staged (kingfisher --staged needs a HEAD)."""
    repo = PEERS_ROOT / "hook"
    if not (repo / ".git").exists():
        if repo.exists():
            shutil.rmtree(repo)
        repo.mkdir(parents=True)
        _git("init", "-q", cwd=repo)
        (repo / "README.md").write_text("a trading bot\n")
        _git("add", "README.md", cwd=repo)
        _git("-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "init",
             cwd=repo)
        make_commit(repo)
        _git("add", ".", cwd=repo)
    files = sorted(p.name for p in repo.iterdir() if p.is_file() and p.name != "README.md")
    return repo, files


# -- measuring -----------------------------------------------------------------------------------------------
def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Peak summed PSS of a process and its descendants, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, sum(_pss_kib(p) for p in _descendants(self.pid)))


def run_once(cmd: list[str], cwd: Path | None, env: dict, stdin: bytes | None, sample: bool = True) -> dict:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.PIPE if stdin is not None else
                            subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = TreeSampler(proc.pid) if sample and sys.platform.startswith("linux") else None
    if sampler:
        sampler.start()
    if stdin is not None:
        assert proc.stdin is not None
        proc.stdin.write(stdin)
        proc.stdin.close()
    assert proc.stderr is not None
    err = proc.stderr.read()  # drained while it runs: a full pipe would stall the tool
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if sampler:
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss,
            "tree_kib": sampler.peak if sampler else None, "code": proc.returncode,
            "stderr": err.decode("utf-8", "replace")[-2000:]}


class Tool:
    def __init__(self, name: str, cmd: list[str], cwd: Path | None = None, stdin: bytes | None = None,
                 ok: tuple[int, ...] = (0, 1), note: str = "", output: Path | None = None) -> None:
        self.name, self.cmd, self.cwd, self.stdin, self.ok, self.note = name, cmd, cwd, stdin, ok, note
        self.output = output
        self.runs: list[dict] = []


def side_by_side(tools: list[Tool], runs: int, warmup: int, env: dict, sample: bool = True) -> list[dict]:
    """Warm-up round(s), then `runs` rounds each running every tool once, in an order rotated per round.
    sample: also sample the process tree's PSS (off for the hook job: a 20 ms sampler would compete with
    100 ms processes for the same two cores, and they are single processes, so wait4's RSS says it all)."""
    for rnd in range(warmup + runs):
        shift = rnd % len(tools)
        for t in tools[shift:] + tools[:shift]:
            r = run_once(t.cmd, t.cwd, env, t.stdin, sample)
            if r["code"] not in t.ok:
                raise SystemExit(f"peers: {t.name} exited {r['code']}: {' '.join(t.cmd)[:200]}\n{r['stderr']}")
            if rnd >= warmup:
                t.runs.append(r)
        print(f"  round {rnd + 1}/{warmup + runs} done", file=sys.stderr)
    out = []
    for t in tools:
        walls = [r["wall"] for r in t.runs]
        trees = [r["tree_kib"] for r in t.runs if r["tree_kib"]]
        out.append({"tool": t.name, "note": t.note, "median_s": statistics.median(walls), "min_s": min(walls),
                    "max_s": max(walls), "runs": len(walls),
                    "cpu_s": statistics.median(r["cpu"] for r in t.runs),
                    "rss_mb": max(r["rss_kib"] for r in t.runs) / 1024,
                    "tree_mb": max(trees) / 1024 if trees else None, "findings": count_findings(t)})
    return out


def count_findings(t: Tool) -> int | None:
    if t.output is None or not t.output.exists():
        return None
    text = t.output.read_text(encoding="utf-8", errors="replace")
    try:
        doc = json.loads(text)
    except ValueError:  # JSON lines
        return sum(1 for line in text.splitlines() if line.strip())
    if isinstance(doc, dict):
        for key in ("findings", "results"):
            if isinstance(doc.get(key), list):
                return len(doc[key])
        return None
    return len(doc) if isinstance(doc, list) else None


# -- the jobs ------------------------------------------------------------------------------------------------
def _out(name: str) -> Path:
    return PEERS_ROOT / "out" / name


def kingfisher(*args: str) -> list[str]:
    return [tool("kingfisher"), "scan", *args, "--no-validate", "--no-update-check", "--format", "json"]


def betterleaks(*args: str) -> list[str]:
    return [tool("betterleaks"), *args, "--no-banner", "--redact", "--log-level", "error"]


def job_hook() -> list[Tool]:
    repo, files = hook_repo()
    return [
        Tool("python -c pass", [sys.executable, "-c", "pass"]),
        Tool("crypto-key-patterns", [tool("crypto-key-patterns"), *files], cwd=repo, note="FILES (pre-commit)"),
        Tool("betterleaks git --staged", betterleaks("git", "--staged", "-o", str(_out("hook-bl.json")), "."),
             cwd=repo, note="its pre-commit mode", output=_out("hook-bl.json")),
        Tool("betterleaks fs", betterleaks("fs", "-o", str(_out("hook-bl-fs.json")), *files), cwd=repo,
             note="FILES", output=_out("hook-bl-fs.json")),
        Tool("kingfisher --staged", kingfisher(".", "--staged", "-o", str(_out("hook-kf.json"))), cwd=repo,
             ok=(0, 200, 205), output=_out("hook-kf.json")),
        Tool("kingfisher FILES", kingfisher(*files, "--git-history", "none", "-o", str(_out("hook-kf-fs.json"))),
             cwd=repo, ok=(0, 200, 205), output=_out("hook-kf-fs.json")),
    ]


def baseline_label(spec: str) -> tuple[str, str]:
    """(label, bin directory) of a --baseline value: `BIN_DIR` is labelled 'baseline', `LABEL=BIN_DIR` LABEL."""
    label, sep, bin_dir = spec.partition("=")
    return (label, bin_dir) if sep and label and "/" not in label else ("baseline", spec)


def baseline_tools(job: str, tools: list[Tool], specs: list[str]) -> list[Tool]:
    """Copies of our rows run by other installations (--baseline: e.g. a venv with main installed, another with
    an older release), so before and after are measured side by side too; each named `TOOL (LABEL)`."""
    ours = Path(tool("crypto-key-guard") or "").parent
    extra = []
    for spec in specs:
        label, bin_dir = baseline_label(spec)
        for t in tools:
            if t.cmd and Path(t.cmd[0]).parent == ours and Path(t.cmd[0]).name.startswith("crypto-key-"):
                out = t.output.with_name(f"{label}-" + t.output.name) if t.output else None
                cmd = [str(Path(bin_dir) / Path(t.cmd[0]).name)] + [
                    str(out) if t.output and a == str(t.output) else a for a in t.cmd[1:]]
                extra.append(Tool(f"{t.name} ({label})", cmd, t.cwd, t.stdin, t.ok, f"installed in {bin_dir}", out))
    return tools[:1 + (job == "hook")] + extra + tools[1 + (job == "hook"):]


def job_tree() -> list[Tool]:
    corpus = real_world_corpus()
    rg = [tool("rg"), "--ignore-case", "--fixed-strings", "--count", "--no-ignore", "--hidden", "--no-messages"]
    for k in keywords():
        rg += ["-e", k]
    return [
        Tool("crypto-key-guard scan", [tool("crypto-key-guard"), "scan", str(corpus), "--format", "json", "-o",
                                       str(_out("tree-ckg.json"))], output=_out("tree-ckg.json")),
        Tool("kingfisher", kingfisher(str(corpus), "--git-history", "none", "-o", str(_out("tree-kf.json"))),
             ok=(0, 200, 205), output=_out("tree-kf.json")),
        Tool("betterleaks fs", betterleaks("fs", "-o", str(_out("tree-bl.json")), str(corpus)),
             output=_out("tree-bl.json")),
        Tool("ripgrep keywords", rg + [str(corpus)], note=f"{len(keywords())} keywords, -i -F"),
    ]


def job_history(repo: Path) -> list[Tool]:
    return [
        Tool("crypto-key-guard --history", [tool("crypto-key-guard"), "scan", "--history", str(repo), "--format",
                                            "json", "-o", str(_out("history-ckg.json"))],
             output=_out("history-ckg.json")),
        Tool("kingfisher", kingfisher(str(repo), "-o", str(_out("history-kf.json"))), ok=(0, 200, 205),
             output=_out("history-kf.json")),
        Tool("betterleaks git", betterleaks("git", "-o", str(_out("history-bl.json")), str(repo)),
             output=_out("history-bl.json")),
    ]


def job_push(repo: Path, old: str, new: str) -> list[Tool]:
    return [
        Tool("crypto-key-guard --range", [tool("crypto-key-guard"), "scan", "--history", "--range",
                                          f"{old}..{new}", str(repo), "--format", "json", "-o",
                                          str(_out("push-ckg.json"))], output=_out("push-ckg.json")),
        Tool("kingfisher --since-commit", kingfisher(str(repo), "--since-commit", old, "--branch", new, "-o",
                                                     str(_out("push-kf.json"))),
             ok=(0, 200, 205), output=_out("push-kf.json")),
        Tool("betterleaks --pre-receive", betterleaks("git", "--pre-receive", "-o", str(_out("push-bl.json")),
                                                      str(repo)),
             stdin=f"{old} {new} refs/heads/develop\n".encode(), output=_out("push-bl.json")),
    ]


# -- report --------------------------------------------------------------------------------------------------
def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def versions() -> dict:
    def first_line(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"
    return {"kingfisher": first_line([tool("kingfisher"), "--version"]),
            "betterleaks": first_line([tool("betterleaks"), "version"]),
            "ripgrep": first_line([tool("rg"), "--version"]),
            "git": first_line(["git", "--version"])}


def ratios(res: dict) -> dict:
    def med(job: str, name: str) -> float | None:
        for row in res.get(job, {}).get("tools", []):
            if row["tool"] == name:
                return row["median_s"]
        return None

    def fastest(job: str, prefix: str) -> float | None:
        rows = [r["median_s"] for r in res.get(job, {}).get("tools", []) if r["tool"].startswith(prefix)]
        return min(rows) if rows else None

    checks: dict[str, float] = {}
    if "hook" in res:
        ours = med("hook", "crypto-key-patterns")
        checks["hook_vs_betterleaks"] = ours / fastest("hook", "betterleaks")
        checks["hook_vs_python"] = ours / med("hook", "python -c pass")
        checks["hook_vs_kingfisher"] = ours / fastest("hook", "kingfisher")
    if "tree" in res:
        ours = med("tree", "crypto-key-guard scan")
        checks["tree_vs_kingfisher"] = ours / med("tree", "kingfisher")
        checks["tree_vs_betterleaks"] = ours / med("tree", "betterleaks fs")
        checks["tree_vs_ripgrep"] = ours / med("tree", "ripgrep keywords")
    if "history" in res:
        ours = med("history", "crypto-key-guard --history")
        checks["history_vs_kingfisher"] = ours / med("history", "kingfisher")
        checks["history_vs_betterleaks"] = ours / med("history", "betterleaks git")
        row = next(r for r in res["history"]["tools"] if r["tool"] == "crypto-key-guard --history")
        checks["history_tree_mb"] = row["tree_mb"] or row["rss_mb"]
    if "push" in res:
        ours = med("push", "crypto-key-guard --range")
        checks["push_vs_kingfisher"] = ours / med("push", "kingfisher --since-commit")
        checks["push_vs_betterleaks"] = ours / med("push", "betterleaks --pre-receive")
    labels = [baseline_label(spec)[0] for spec in res.get("baselines", [])]
    for job, name in (("hook", "crypto-key-patterns"), ("tree", "crypto-key-guard scan"),
                      ("history", "crypto-key-guard --history"), ("push", "crypto-key-guard --range")):
        for label in labels:
            base = med(job, f"{name} ({label})")
            if base:
                checks[f"{job}_vs_{label}"] = med(job, name) / base
    return {k: {"value": v, "target": TARGETS.get(k), "met": (v <= TARGETS[k]) if k in TARGETS else None}
            for k, v in checks.items()}


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [f"crypto-key-guard {m['crypto_key_guard']}, {res['date']}: {m['cpu']}, {m['cores']} cores, "
             f"{m['os']}, Python {m['python']}; {res['versions']['kingfisher']}, {res['versions']['betterleaks']}"
             f", {res['versions']['ripgrep']}, {res['versions']['git']}.",
             f"Load average (1, 5, 15 min) {res['load_before']} before, {res['load_after']} after; "
             f"Timed rounds per job: {res['runs']}, after {res['warmup']} warm-up round(s).", ""]
    for job, title in (("hook", "Hook on a 10-file commit (64 KB, 2 planted fake keys)"),
                       ("tree", "Tree scan of the real-world corpus"),
                       ("history", "Full history of freqtrade"),
                       ("push", f"Push of {PUSH_COMMITS} commits (pre-receive / pre-push)")):
        if job not in res:
            continue
        j = res[job]
        lines += [f"**{title}**{': ' + j['about'] if j.get('about') else ''}", "",
                  "| tool | median | min - max | CPU s | x ours | RSS MB | tree MB | findings | note |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        ours = j["tools"][0]["median_s"] if job != "hook" else j["tools"][1]["median_s"]
        unit, scale, digits = ("ms", 1000, 0) if job == "hook" else ("s", 1, 2)
        for r in j["tools"]:
            tree_mb = "" if r["tree_mb"] is None else f"{r['tree_mb']:.0f}"
            findings = "" if r["findings"] is None else str(r["findings"])
            lines.append(
                f"| {r['tool']} | {r['median_s'] * scale:.{digits}f} {unit} | "
                f"{r['min_s'] * scale:.{digits}f} - {r['max_s'] * scale:.{digits}f} | {r['cpu_s']:.2f} | "
                f"{r['median_s'] / ours:.2f} | {r['rss_mb']:.0f} | {tree_mb} | {findings} | {r['note']} |")
        lines.append("")
    lines += ["**Targets** (ratios of medians from the tables above; MB: peak summed PSS of the process tree)", "",
              "| check | value | target | met |", "|---|---:|---:|---|"]
    for name, c in res["ratios"].items():
        target = "" if c["target"] is None else f"<= {c['target']}"
        met = "" if c["met"] is None else ("yes" if c["met"] else "**no**")
        lines.append(f"| {name} | {c['value']:.2f} | {target} | {met} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", default="hook,tree,history,push", help="which jobs (comma-separated)")
    parser.add_argument("--runs", type=int, default=0, help="timed rounds per job (default: 11 for the hook, "
                                                            "5 for the tree, 3 for history and push)")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--freqtrade-source", default=os.environ.get("CKG_BENCH_FREQTRADE_SOURCE",
                                                                     FREQTRADE["url"]),
                        help="where to read freqtrade's history from once: a URL (cloned) or a local "
                             "repository holding the pinned commit (env CKG_BENCH_FREQTRADE_SOURCE)")
    parser.add_argument("--baseline", metavar="[LABEL=]BIN_DIR", action="append", default=[],
                        help="also run crypto-key-guard from this directory of console scripts (another venv's "
                             "bin/, e.g. one with main installed) beside the version under test; repeatable, "
                             "rows and ratios named by LABEL (default 'baseline')")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="write the tables as Markdown")
    args = parser.parse_args(argv)
    jobs = [j.strip() for j in args.jobs.split(",") if j.strip()]
    for name in ("crypto-key-guard", "crypto-key-patterns", "kingfisher", "betterleaks", "rg"):
        if tool(name) is None:
            raise SystemExit(f"peers: {name} is not installed here (pip install -e '.[bench]')")
    (PEERS_ROOT / "out").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GIT_NO_LAZY_FETCH="1", GIT_TERMINAL_PROMPT="0", GIT_CEILING_DIRECTORIES=str(CACHE))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    res: dict = {"machine": machine(), "versions": versions(), "date": datetime.datetime.now().isoformat(
        timespec="minutes"), "load_before": load_average(), "warmup": args.warmup, "baselines": args.baseline}
    default_runs = {"hook": 11, "tree": 5, "history": 3, "push": 5}
    for job in jobs:
        runs = args.runs or default_runs[job]
        print(f"{job} ({runs} rounds) ...", file=sys.stderr)
        about = ""
        if job == "hook":
            tools = job_hook()
        elif job == "tree":
            tools = job_tree()
            files, size = tree_bytes(real_world_corpus())
            about = (f"{', '.join(f'{k} {v}' for k, v in PINNED.items())} sources, {files} files, "
                     f"{size / 1e6:.1f} MB, a directory")
        elif job in ("history", "push"):
            repo = freqtrade_repo(args.freqtrade_source)
            count = subprocess.run(["git", "rev-list", "--count", "--all"], cwd=repo, capture_output=True,
                                   text=True, check=True).stdout.strip()
            if job == "history":
                tools = job_history(repo)
                about = (f"freqtrade develop@{FREQTRADE['pin'][:12]} rebuilt as {FREQTRADE['rewritten_tip'][:12]}"
                         f", {count} commits, bare")
            else:
                old, new, n = push_range(repo, PUSH_COMMITS)
                tools = job_push(repo, old, new)
                about = f"{old[:12]}..{new[:12]} of the same repository, {n} commits"
        else:
            raise SystemExit(f"peers: unknown job {job!r}")
        if args.baseline:
            tools = baseline_tools(job, tools, args.baseline)
        res[job] = {"about": about, "tools": side_by_side(tools, runs, args.warmup, env, sample=job != "hook")}
        res.setdefault("rounds", {})[job] = runs
    res["runs"] = ", ".join(f"{k} {v}" for k, v in res.get("rounds", {}).items())
    res["load_after"] = load_average()
    res["ratios"] = ratios(res)
    text = markdown(res)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
