"""Where the time goes in the hook and tree jobs of bench/peers.py: cProfile of one whole run, in a fresh process.

    .venv/bin/python bench/peers_profile.py [--top 25] [--jobs hook,tree]

hook: `crypto-key-patterns` on the 10 staged files of the peers benchmark, profiled from interpreter start-up
      (python -X importtime for the imports, cProfile for the rest), median of --runs for the importtime part.
tree: `crypto-key-guard scan CORPUS --jobs 1` (one process, so cProfile sees every call; the real run splits
      the same work over one worker per core).
The profiler's clock is CPU time (time.process_time), so load from other work does not move the shares.
Prints the functions with the most time of their own, and the time per group (RE2 calls, engine Python,
file reading, rule loading, imports), as a share of the profiled total.
"""
from __future__ import annotations

import argparse
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import real_world_corpus  # noqa: E402
from peers import hook_repo  # noqa: E402

GROUPS = (  # first match wins: (group, regex over "file:function"; "~" is the file of a built-in)
    ("RE2 matching (the C++ search, and the wrapper's Python around it)",
     r".*re2\._re2\.Match.*|.*re2/__init__\.py:(_match|search|finditer|match|fullmatch|findall|split|_split)$"),
    ("RE2 compiling", r".*re2/__init__\.py:.*|.*_re2\.(RE2|Set|Options).*"),
    ("rule loading and cache", r".*crypto_key_guard/engine/(rules|selftest|regex)\.py:.*"),
    ("engine: keyword positions and regions (Python)", r".*crypto_key_guard/engine/scanner\.py:(positions|plan|"
     r"_regions|region_spans|_unkeyed_starts|<genexpr>|<listcomp>|present|runnable|match)$"),
    ("engine: the rest (validators, context, findings)", r".*crypto_key_guard/engine/.*"),
    ("reading and listing files",
     r".*(crypto_key_guard/(sources|util)/.*|method 'read' of|posix\.(scandir|stat|lstat|open|listdir)"
     r"|DirEntry|built-in method io\.open$).*"),
    ("reports, policy and CLI", r".*crypto_key_guard/(reports|policy|commands)/.*|.*crypto_key_guard/[a-z_]+\.py:.*"),
    ("imports and start-up (module code, stdlib re compiles)",
     r".*(<frozen|marshal\.loads|__build_class__|_imp\.|/re/_(parser|compiler)\.py|argparse\.py|pathlib\.py).*"),
    ("list and dict bookkeeping (append, setdefault, len ...)", r"~:<(method|built-in method) .*"),
)


_RUNNER = """
import cProfile, os, runpy, sys, time
out, module, *args = sys.argv[1:]
def _exit(code):  # the hook's console script ends with os._exit: end the profile instead
    raise SystemExit(code)
os._exit = _exit
sys.argv = [module, *args]
profiler = cProfile.Profile(time.process_time)
profiler.enable()
try:
    runpy.run_module(module, run_name="__main__", alter_sys=True)
except SystemExit:
    pass
profiler.disable()
profiler.dump_stats(out)
"""


def profile(module: str, args: list[str], cwd: Path | None = None) -> pstats.Stats:
    """cProfile with the process's CPU time as its clock: on a shared machine, wall time would charge the
    time spent waiting for a core to whatever function was running (mostly system calls such as read)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "prof"
        subprocess.run([sys.executable, "-c", _RUNNER, str(out), module, *args], cwd=cwd, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return pstats.Stats(str(out))


def summarise(stats: pstats.Stats, top: int) -> str:
    rows = []
    total = 0.0
    for (file, line, func), (_cc, _nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tt, ct, f"{file}:{line}({func})" if line else f"{file}({func})", f"{file}:{func}"))
        total += tt
    groups: dict[str, float] = {}
    for tt, _ct, _label, key in rows:
        for name, pattern in GROUPS:
            if re.match(pattern, key):
                groups[name] = groups.get(name, 0.0) + tt
                break
        else:
            groups["other"] = groups.get("other", 0.0) + tt
    lines = [f"profiled total {total * 1000:.0f} ms (own time of every function)", "", "by group:"]
    for name, tt in sorted(groups.items(), key=lambda g: -g[1]):
        lines.append(f"  {tt * 1000:9.1f} ms  {100 * tt / total:5.1f}%  {name}")
    lines += ["", f"top {top} functions by own time (own ms, cumulative ms):"]
    for tt, ct, label, _key in sorted(rows, reverse=True)[:top]:
        label = re.sub(r".*/site-packages/", "", label)
        label = re.sub(r".*/hooks/crypto_key_guard/", "crypto_key_guard/", label)
        lines.append(f"  {tt * 1000:9.1f} {ct * 1000:9.1f}  {label}")
    return "\n".join(lines)


def import_ms(module: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                             text=True).stderr
        cumulative = [int(m.group(1)) for m in re.finditer(
            rf"^import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}\s*$", err, re.M)]
        if cumulative:
            samples.append(cumulative[-1] / 1000)
    return statistics.median(samples) if samples else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", default="hook,tree")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    jobs = args.jobs.split(",")
    if "hook" in jobs:
        repo, files = hook_repo()
        print(f"== hook: crypto-key-patterns on {len(files)} files")
        module = "crypto_key_guard.crypto_key_patterns"
        print(f"import of {module}: {import_ms(module, args.runs):.1f} ms (median, -X importtime)")
        profile(module, files, cwd=repo)  # warm the rule cache
        print(summarise(profile(module, files, cwd=repo), args.top))
    if "tree" in jobs:
        corpus = real_world_corpus()
        print(f"\n== tree: crypto-key-guard scan {corpus.name} --jobs 1")
        with tempfile.TemporaryDirectory() as tmp:
            stats = profile("crypto_key_guard.cli", ["scan", str(corpus), "--jobs", "1", "--format", "json",
                                                     "-o", str(Path(tmp) / "out.json")])
        print(summarise(stats, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
