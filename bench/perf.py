"""Performance benchmark: commit latency, full-scan throughput, scaling and import time, side by side.

    .venv/bin/python bench/perf.py [--json FILE] [--quick]

Every tool runs as a whole process, as a user runs it: `crypto-key-patterns` on a typical commit (10 source
files, ~64 KB, two planted fake keys) against `detect-secrets-hook` on the same files and `python -c pass`;
`crypto-key-guard scan` on the real-world corpus (pinned ccxt, freqtrade and jesse sources, see corpus.py)
against `detect-secrets scan --all-files` and ripgrep searching the same tree for every keyword of our rules
(case-insensitive: the floor no regex scanner can beat); the scan again on 4 and 16 copies of the corpus; and
`python -X importtime` of each console-script entry point. Times are medians of several runs after a warm-up;
ratios are ratios of medians. Peak RSS is the largest resident set of the process and the children it waited
for (worker processes included), from wait4().

The trees are plain directories (a walk, not `git ls-files`) under bench/.cache/perf; GIT_CEILING_DIRECTORIES
keeps git from seeing this repository around them.
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CACHE, PINNED, real_world_corpus  # noqa: E402
from perf_inputs import make_commit, scaled_tree, tree_bytes  # noqa: E402

BIN = Path(sys.executable).parent
PERF_ROOT = CACHE / "perf"
TARGETS = {
    "latency_vs_detect_secrets": 1 / 5,   # our hook's wall time <= 1/5 of detect-secrets-hook's
    "latency_vs_python": 6.0,             # <= 6x bare `python -c pass`
    "throughput_vs_detect_secrets": 100.0,  # >= 100x detect-secrets' MB/s
    "throughput_vs_ripgrep": 1 / 10,      # >= 1/10 of ripgrep's keyword pass
    "rss_16x_vs_1x": 1.5,                 # peak RSS on 16 copies <= 1.5x that on one
}


def tool(name: str) -> str | None:
    """A console script of this environment first (the installed version under test), else PATH."""
    for candidate in (BIN / name, BIN / (name + ".exe")):
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def run_once(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, int | None, int]:
    """(wall seconds, peak RSS in KiB or None, exit code) of one run, output discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss = usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    else:  # Windows: no rusage
        proc.wait()
        wall, rss = time.perf_counter() - start, None
    return wall, rss, proc.returncode


def measure(cmd: list[str], runs: int, warmup: int = 1, cwd: Path | None = None, env: dict | None = None,
            ok: tuple[int, ...] = (0, 1)) -> dict:
    for _ in range(warmup):
        run_once(cmd, cwd, env)
    walls, rsses = [], []
    for _ in range(runs):
        wall, rss, code = run_once(cmd, cwd, env)
        if code not in ok:
            raise SystemExit(f"perf: {Path(cmd[0]).name} exited {code}: {' '.join(cmd[:3])} ...")
        walls.append(wall)
        if rss is not None:
            rsses.append(rss)
    return {"median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls), "runs": runs,
            "peak_rss_kib": max(rsses) if rsses else None}


def user_env() -> dict:
    """The environment a user's hook runs in: bytecode caches on (pip compiles them at install; a
    PYTHONDONTWRITEBYTECODE in a dev shell would make every run recompile our modules from source)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def walk_env() -> dict:
    env = user_env()
    env["GIT_CEILING_DIRECTORIES"] = str(PERF_ROOT)
    return env


# -- sections -------------------------------------------------------------------------------------------------
def commit_latency(runs: int) -> dict:
    files = [str(p) for p in make_commit(PERF_ROOT / "commit")]
    size = sum(os.path.getsize(p) for p in files)
    out = {"files": len(files), "bytes": size}
    env = user_env()
    out["python -c pass"] = measure([sys.executable, "-c", "pass"], runs, env=env)
    out["crypto-key-patterns"] = measure([tool("crypto-key-patterns"), *files], runs, env=env)
    ds = tool("detect-secrets-hook")
    out["detect-secrets-hook"] = measure([ds, *files], runs, env=env) if ds else None
    return out


def import_times(runs: int) -> dict:
    from importlib import metadata

    eps = sorted({ep.value.split(":")[0] for ep in metadata.distribution("crypto-key-guard").entry_points
                  if ep.group == "console_scripts"})
    result = {}
    for module in eps:
        samples = []
        for _ in range(runs + 1):
            proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                                  capture_output=True, text=True, env=user_env())
            if proc.returncode != 0:
                samples = None
                break
            # the last line naming the module itself: "import time: self | cumulative | name"
            cumulative = [int(m.group(1)) for m in re.finditer(
                rf"^import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}\s*$", proc.stderr, re.M)]
            samples.append(cumulative[-1] / 1000 if cumulative else float("nan"))
        result[module] = {"median_ms": statistics.median(samples[1:])} if samples else {"median_ms": None,
                                                                                      "error": "import failed"}
    return result


def keywords() -> list[str]:
    from crypto_key_guard.engine.rules import default_rules

    return sorted({k.decode("utf-8") for r in default_rules().rules for k in r.keywords})


def ckg_scan(tree: Path, runs: int) -> dict:
    out_file = PERF_ROOT / "scan-output.json"
    res = measure([tool("crypto-key-guard"), "scan", str(tree), "--format", "json", "-o", str(out_file)], runs,
                  env=walk_env())
    doc = json.loads(out_file.read_text(encoding="utf-8"))
    res["findings"] = len(doc["findings"])
    res["files_scanned"] = doc["stats"].get("files_scanned")
    return res


def rg_scan(tree: Path, runs: int) -> dict | None:
    rg = tool("rg")
    if rg is None:
        return None
    args = [rg, "--ignore-case", "--fixed-strings", "--count", "--no-ignore", "--hidden", "--no-messages"]
    for k in keywords():
        args += ["-e", k]
    return measure(args + [str(tree)], runs, env=walk_env())


def ds_scan(tree: Path, sample: int) -> dict | None:
    """detect-secrets scan --all-files, once (it takes minutes); on every `sample`-th file when sample > 1."""
    ds = tool("detect-secrets")
    if ds is None:
        return None
    target, note = tree, "whole tree"
    if sample > 1:
        target = PERF_ROOT / f"ds-sample-{sample}"
        if not target.exists():
            tmp = Path(tempfile.mkdtemp(dir=PERF_ROOT))
            for i, path in enumerate(sorted(p for p in tree.rglob("*") if p.is_file() and not p.is_symlink())):
                if i % sample == 0:
                    dest = tmp / path.relative_to(tree)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.link(path, dest)
            tmp.rename(target)
        note = f"every {sample}th file (sorted paths)"
    res = measure([ds, "scan", "--all-files", "."], runs=1, warmup=0, cwd=target, env=walk_env())
    res["files"], res["bytes"] = tree_bytes(target)
    res["note"] = note
    return res


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from crypto_key_guard import __version__

    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(terse=True),
            "python": platform.python_version(), "crypto_key_guard": __version__,
            "date": datetime.date.today().isoformat()}


# -- report ---------------------------------------------------------------------------------------------------
def mbps(nbytes: int, seconds: float) -> float:
    return nbytes / 1e6 / seconds


def evaluate(res: dict) -> dict:
    c, s = res["commit"], res["scan"]
    ours = c["crypto-key-patterns"]["median_s"]
    checks = {}
    if c.get("detect-secrets-hook"):
        checks["latency_vs_detect_secrets"] = ours / c["detect-secrets-hook"]["median_s"]
    checks["latency_vs_python"] = ours / c["python -c pass"]["median_s"]
    if s.get("detect-secrets"):
        checks["throughput_vs_detect_secrets"] = s["crypto-key-guard"]["mbps"] / s["detect-secrets"]["mbps"]
    if s.get("ripgrep"):
        checks["throughput_vs_ripgrep"] = s["crypto-key-guard"]["mbps"] / s["ripgrep"]["mbps"]
    scales = res["scaling"]
    if scales and scales[0]["rss_kib"] and scales[-1]["rss_kib"]:
        checks["rss_16x_vs_1x"] = scales[-1]["rss_kib"] / scales[0]["rss_kib"]
    out = {}
    for name, value in checks.items():
        target = TARGETS[name]
        higher_is_better = name.startswith("throughput")
        out[name] = {"value": value, "target": target,
                     "met": value >= target if higher_is_better else value <= target}
    return out


def table(res: dict) -> str:
    m, c, s = res["machine"], res["commit"], res["scan"]
    lines = [f"crypto-key-guard {m['crypto_key_guard']} on {m['cpu']}, {m['cores']} cores, {m['os']}, "
             f"Python {m['python']}, {m['date']}", ""]
    py = c["python -c pass"]["median_s"]
    lines.append(f"Commit latency ({c['files']} files, {c['bytes'] / 1024:.0f} KB; median of {c['python -c pass']['runs']} runs)")
    lines.append(f"  {'command':<24}{'median ms':>10}{'x python':>10}{'peak RSS MB':>13}")
    for name in ("python -c pass", "crypto-key-patterns", "detect-secrets-hook"):
        r = c.get(name)
        if r:
            lines.append(f"  {name:<24}{r['median_s'] * 1000:>10.1f}{r['median_s'] / py:>10.1f}"
                         f"{(r['peak_rss_kib'] or 0) / 1024:>13.1f}")
    lines.append("")
    lines.append(f"Full scan of the real-world corpus ({', '.join(f'{k} {v}' for k, v in PINNED.items())}: "
                 f"{s['files']} files, {s['bytes'] / 1e6:.1f} MB)")
    lines.append(f"  {'tool':<24}{'median s':>10}{'MB/s':>10}{'peak RSS MB':>13}  notes")
    for name in ("crypto-key-guard", "ripgrep", "detect-secrets"):
        r = s.get(name)
        if r:
            lines.append(f"  {name:<24}{r['median_s']:>10.2f}{r['mbps']:>10.1f}"
                         f"{(r['peak_rss_kib'] or 0) / 1024:>13.1f}  {r.get('note', '')}")
    lines.append("")
    lines.append("Scaling: crypto-key-guard scan on N copies of the corpus (directory walk)")
    lines.append(f"  {'copies':<8}{'MB':>10}{'median s':>10}{'MB/s':>10}{'peak RSS MB':>13}{'findings':>10}"
                 f"{'rg MB/s':>10}")
    for r in res["scaling"]:
        lines.append(f"  {r['copies']:<8}{r['bytes'] / 1e6:>10.0f}{r['median_s']:>10.2f}{r['mbps']:>10.1f}"
                     f"{(r['rss_kib'] or 0) / 1024:>13.1f}{r['findings']:>10}"
                     f"{(r['rg_mbps'] or 0):>10.0f}")
    lines.append("")
    lines.append("Import time of each console-script entry point (python -X importtime, cumulative)")
    for module, r in res["imports"].items():
        value = f"{r['median_ms']:.1f} ms" if r["median_ms"] is not None else r.get("error", "")
        lines.append(f"  {module:<44}{value:>12}")
    lines.append("")
    lines.append("Targets")
    for name, r in res["targets"].items():
        op = ">=" if name.startswith("throughput") else "<="
        lines.append(f"  {name:<32}{r['value']:>9.3f}  {op} {r['target']:.3f}  {'met' if r['met'] else 'NOT MET'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--runs", type=int, default=11, help="timed runs per command (commit latency, imports)")
    parser.add_argument("--scan-runs", type=int, default=3, help="timed runs per full scan")
    parser.add_argument("--scales", default="1,4,16", help="corpus copies for the scaling table")
    parser.add_argument("--ds-sample", type=int, default=16, metavar="N",
                        help="run detect-secrets on every Nth file only (default 16; 1: the whole tree, which "
                             "takes it about 13 CPU-minutes)")
    parser.add_argument("--no-detect-secrets-scan", action="store_true",
                        help="skip detect-secrets' full scan (it takes minutes)")
    parser.add_argument("--quick", action="store_true", help="3 runs, scales 1,4, detect-secrets on 1/16")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.scan_runs, args.scales, args.ds_sample = 3, 3, "1,4", max(args.ds_sample, 16)
    scales = [int(x) for x in args.scales.split(",") if x.strip()]
    for name in ("crypto-key-patterns", "crypto-key-guard"):
        if tool(name) is None:
            raise SystemExit(f"perf: {name} is not installed in this environment (pip install .)")

    PERF_ROOT.mkdir(parents=True, exist_ok=True)
    corpus = real_world_corpus()
    res: dict = {"machine": machine()}
    print("commit latency ...", file=sys.stderr)
    res["commit"] = commit_latency(args.runs)
    print("import times ...", file=sys.stderr)
    res["imports"] = import_times(args.runs)

    print("building scaled trees ...", file=sys.stderr)
    trees = {n: scaled_tree(corpus, PERF_ROOT / "trees", n) for n in sorted(set(scales) | {1})}
    files, size = tree_bytes(trees[1])
    scan: dict = {"files": files, "bytes": size}
    print("full scan ...", file=sys.stderr)
    ours = ckg_scan(trees[1], args.scan_runs)
    scan["crypto-key-guard"] = dict(ours, mbps=mbps(size, ours["median_s"]))
    rg = rg_scan(trees[1], args.scan_runs)
    scan["ripgrep"] = dict(rg, mbps=mbps(size, rg["median_s"]), note=f"{len(keywords())} keywords, -i -F") \
        if rg else None
    if not args.no_detect_secrets_scan:
        print("detect-secrets full scan (minutes) ...", file=sys.stderr)
        ds = ds_scan(trees[1], args.ds_sample)
        scan["detect-secrets"] = dict(ds, mbps=mbps(ds["bytes"], ds["median_s"])) if ds else None
    res["scan"] = scan

    res["scaling"] = []
    for n in scales:
        print(f"scaling x{n} ...", file=sys.stderr)
        nfiles, nbytes = tree_bytes(trees[n])
        r = ours if n == 1 else ckg_scan(trees[n], max(1, args.scan_runs if n <= 4 else 3))
        g = rg if n == 1 else rg_scan(trees[n], max(1, args.scan_runs if n <= 4 else 3))
        res["scaling"].append({"copies": n, "files": nfiles, "bytes": nbytes, "median_s": r["median_s"],
                               "mbps": mbps(nbytes, r["median_s"]), "rss_kib": r["peak_rss_kib"],
                               "findings": r["findings"],
                               "rg_mbps": mbps(nbytes, g["median_s"]) if g else None})
    res["targets"] = evaluate(res)
    text = table(res)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
