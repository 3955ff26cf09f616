"""Push protection benchmark: what the pre-receive and pre-push scans add to a push of 100 commits.

    .venv/bin/python bench/push_bench.py [--commits 100] [--runs 5] [--json FILE]

A generated project (seeded: Python-like sources, no real keys) is pushed once to a bare server; then 100
commits on top of it (each edits three files and adds one) are pushed:

- pre-receive: `git push` to a copy of that server with `crypto-key-guard pre-receive` as its hook, against the
  same push to a copy without the hook; the hook's cost is the difference of the medians;
- pre-push: `crypto-key-guard pre-push` with git's ref line on stdin, and `crypto-key-patterns` the way
  pre-commit runs it at the pre-push stage (PRE_COMMIT_FROM_REF/TO_REF), each a whole process on the client.

Reported per pushed commit and per MB of new blob content (what the scan reads). Times are medians of
--runs runs after a warm-up; the machine is shared, so the with/without pair runs interleaved.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
WORDS = ("order", "price", "amount", "symbol", "balance", "market", "ticker", "depth", "fill", "fee", "side",
         "limit", "stop", "trade", "position", "leverage", "margin", "funding", "candle", "volume")


def source_file(rng: random.Random, lines: int) -> str:
    out = [f"import {rng.choice(['os', 'json', 'time', 'math'])}\n"]
    for i in range(lines):
        a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
        out.append(f"def {a}_{b}_{i}(x, y):\n    return x.get('{c}', 0) * y + {rng.randrange(1000)}\n")
    return "".join(out)


def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


def build(root: Path, commits: int, rng: random.Random) -> tuple[Path, Path, str, str, int]:
    """(client, base server, old tip, new tip, bytes of new blobs)."""
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.invalid", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@example.invalid", GIT_CEILING_DIRECTORIES=str(root))
    client, server = root / "client", root / "server.git"
    client.mkdir()
    git(root, "init", "-q", "--bare", str(server))
    git(client, "init", "-q", "-b", "main")
    for i in range(200):
        (client / f"pkg{i % 10}").mkdir(exist_ok=True)
        (client / f"pkg{i % 10}" / f"mod{i}.py").write_text(source_file(rng, rng.randrange(20, 120)))
    git(client, "add", "-A")
    git(client, "commit", "-qm", "base", env=env)
    git(client, "remote", "add", "origin", str(server))
    git(client, "push", "-q", "origin", "main", env=env)
    old = git(client, "rev-parse", "HEAD")
    for c in range(commits):
        for _ in range(3):
            i = rng.randrange(200)
            path = client / f"pkg{i % 10}" / f"mod{i}.py"
            path.write_text(path.read_text() + source_file(rng, rng.randrange(5, 40)))
        (client / f"pkg{c % 10}" / f"new{c}.py").write_text(source_file(rng, rng.randrange(20, 80)))
        git(client, "add", "-A")
        git(client, "commit", "-qm", f"change {c}", env=env)
    new = git(client, "rev-parse", "HEAD")
    sizes = git(client, "rev-list", "--objects", new, "--not", old)
    ids = "\n".join(line.split()[0] for line in sizes.splitlines()) + "\n"
    check = subprocess.run(["git", "cat-file", "--batch-check=%(objecttype) %(objectsize)"], cwd=client,
                           input=ids, capture_output=True, text=True, check=True).stdout
    new_bytes = sum(int(s) for t, s in (line.split() for line in check.splitlines()) if t == "blob")
    return client, server, old, new, new_bytes


CPU: dict[str, list[float]] = {}


def timed(cmd: list[str], cwd: Path, stdin: str = "", env: dict | None = None, label: str = "") -> float:
    """Wall seconds; the CPU seconds of the process tree (user + system, from the children's rusage) are kept
    under `label`: on a shared machine they move less than wall time."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stdout}{out.stderr}")
    if label:
        CPU.setdefault(label, []).append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return elapsed


def push_to_copy(client: Path, base: Path, work: Path, hook: bool) -> float:
    server = work / ("hooked.git" if hook else "plain.git")
    shutil.rmtree(server, ignore_errors=True)
    shutil.copytree(base, server)
    if hook:
        script = server / "hooks" / "pre-receive"
        script.write_text(f'#!/bin/sh\nexec "{BIN / "crypto-key-guard"}" pre-receive\n')
        script.chmod(0o755)
    return timed(["git", "push", "-q", "--no-verify", str(server), "main"], client,
                 label="hooked" if hook else "plain")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ckg-push-bench-") as tmp:
        root = Path(tmp)
        client, server, old, new, new_bytes = build(root, args.commits, random.Random(20261203))
        mb = new_bytes / 1e6
        hooked, plain, pre_push, pre_commit = [], [], [], []
        line = f"refs/heads/main {new} refs/heads/main {old}\n"
        env = dict(os.environ, PRE_COMMIT_FROM_REF=old, PRE_COMMIT_TO_REF=new)
        for run in range(args.runs + 1):  # the first run warms caches and is dropped
            p = push_to_copy(client, server, root, hook=False)
            h = push_to_copy(client, server, root, hook=True)
            a = timed([str(BIN / "crypto-key-guard"), "pre-push", "origin", str(server)], client, stdin=line,
                      label="pre_push")
            # through sh: each run has its own parent, as each push has its own pre-commit process (the hook
            # shares one scan between the parallel runs pre-commit starts for one push, keyed by the parent)
            b = timed(["sh", "-c", '"$0"; exit $?', str(BIN / "crypto-key-patterns")], client, env=env,
                      label="pre_commit")
            if run:
                plain.append(p), hooked.append(h), pre_push.append(a), pre_commit.append(b)
    med = statistics.median
    receive = med(hooked) - med(plain)
    cpu = {k: med(v[1:]) for k, v in CPU.items()}  # the warm-up run dropped, as for wall times
    receive_cpu = cpu["hooked"] - cpu["plain"]
    result = {
        "commits": args.commits, "new_blob_bytes": new_bytes, "runs": args.runs,
        "push_without_hook_s": round(med(plain), 4), "push_with_pre_receive_s": round(med(hooked), 4),
        "pre_receive_added_s": round(receive, 4),
        "pre_receive_ms_per_commit": round(receive / args.commits * 1000, 2),
        "pre_receive_ms_per_mb": round(receive / mb * 1000, 1),
        "pre_push_command_s": round(med(pre_push), 4),
        "pre_push_ms_per_commit": round(med(pre_push) / args.commits * 1000, 2),
        "pre_push_ms_per_mb": round(med(pre_push) / mb * 1000, 1),
        "pre_commit_hook_at_pre_push_s": round(med(pre_commit), 4),
        "cpu_s": {k: round(v, 4) for k, v in cpu.items()},
        "pre_receive_cpu_ms_per_commit": round(receive_cpu / args.commits * 1000, 2),
        "pre_receive_cpu_ms_per_mb": round(receive_cpu / mb * 1000, 1),
        "pre_push_cpu_ms_per_commit": round(cpu["pre_push"] / args.commits * 1000, 2),
        "pre_push_cpu_ms_per_mb": round(cpu["pre_push"] / mb * 1000, 1),
        "load_average": os.getloadavg(),
        "min_max": {"plain": [min(plain), max(plain)], "hooked": [min(hooked), max(hooked)],
                    "pre_push": [min(pre_push), max(pre_push)], "pre_commit": [min(pre_commit), max(pre_commit)]},
    }
    print(f"push of {args.commits} commits, {mb:.2f} MB of new blobs; medians of {args.runs} runs")
    print(f"  git push, no hook             {result['push_without_hook_s']:.3f} s")
    print(f"  git push, pre-receive hook    {result['push_with_pre_receive_s']:.3f} s  "
          f"(+{receive:.3f} s: {result['pre_receive_ms_per_commit']} ms/commit, "
          f"{result['pre_receive_ms_per_mb']} ms/MB)")
    print(f"  crypto-key-guard pre-push     {result['pre_push_command_s']:.3f} s  "
          f"({result['pre_push_ms_per_commit']} ms/commit, {result['pre_push_ms_per_mb']} ms/MB)")
    print(f"  crypto-key-patterns, pre-push stage (pre-commit's refs)  {result['pre_commit_hook_at_pre_push_s']:.3f} s")
    print(f"  CPU (user+sys): pre-receive adds {receive_cpu:.3f} s ({result['pre_receive_cpu_ms_per_commit']} ms/commit, "
          f"{result['pre_receive_cpu_ms_per_mb']} ms/MB); pre-push {cpu['pre_push']:.3f} s "
          f"({result['pre_push_cpu_ms_per_commit']} ms/commit, {result['pre_push_cpu_ms_per_mb']} ms/MB); "
          f"load average {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
