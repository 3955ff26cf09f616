"""History scan benchmark: unique blobs (`scan --history`) vs the naive walk over `git log -p` output.

Two repositories:
- a generated one (git fast-import, seeded): thousands of commits of trading-bot-like Python full of the
  words the rules key on (binance, api_key, secret ...), each commit editing a few lines of 1-3 files, side
  branches merged back; planted fake secrets, removed three commits later: plain ones, one whose exchange is
  named on an unchanged line above it, one in a UTF-16 file (git diff calls it binary) and one that only a
  merge commit holds (a conflict resolution; `git log -p` shows no patch for merges);
- this repository's own history.

Both ways use the same `engine.Scanner` (rules loaded once, outside the timings). The naive way is what
diff-walking peers do: scan the new side of every file patch of every commit, once with the plain
`git log -p --all` (three lines of context) and once as gitleaks runs it (`git log -p -U0 --full-history
--all`, added lines only). Wall and CPU time (this process plus git), median of --repeat interleaved runs.
Usage:

    .venv/bin/python bench/history_bench.py [--commits 3000] [--files 300] [--repo PATH ...] [--json FILE]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))

from crypto_key_guard.sources import history  # noqa: E402
from crypto_key_guard.engine.scanner import Scanner  # noqa: E402
from crypto_key_guard.engine.examples import expand  # noqa: E402

WORDS = ("exchange", "binance", "kraken", "order", "price", "amount", "symbol", "api_key", "secret", "balance",
         "ticker", "market", "ccxt", "config", "wallet", "signal", "strategy", "position", "leverage", "fee")


def _line(rng: random.Random) -> str:
    a, b, c = rng.sample(WORDS, 3)
    shape = rng.randrange(6)
    if shape == 0:
        return f"    {a}_{b} = self.{c}.get('{a}', {rng.randrange(1000)})"
    if shape == 1:
        return f"    if {a} > {b} * {rng.random():.4f}:  # {c} check"
    if shape == 2:
        return f"        logger.info('{a} %s {b} %s', {c}, self.{a})"
    if shape == 3:
        return f"    def {a}_{b}(self, {c}):"
    if shape == 4:
        return f"        return await self.{a}.fetch_{b}('{c.upper()}/USDT')"
    return f"    {a} = os.environ.get('{a.upper()}_{b.upper()}', '')"


def generate_repo(path: Path, commits: int, files: int, seed: int = 7) -> dict:
    """A seeded repository built with one `git fast-import` stream; returns what was planted."""
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    contents = {f"bot/module_{i:03d}.py": [_line(rng) for _ in range(rng.randrange(40, 300))] for i in range(files)}
    planted: list[dict] = []
    plant_at = {commits * k // 6: k for k in range(1, 6)}       # five planted secrets
    remove_at: dict[int, tuple[str, int]] = {}
    out = io.BytesIO()
    mark = 0

    def data(raw: bytes) -> None:
        out.write(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(ref: str, n: int, message: str, changes: dict, parents: list[int]) -> int:
        nonlocal mark
        blob_marks = {}
        for name, lines in changes.items():
            if lines is None:
                continue
            mark += 1
            out.write(b"blob\nmark :%d\n" % mark)
            data(lines if isinstance(lines, bytes) else ("\n".join(lines) + "\n").encode())
            blob_marks[name] = mark
        mark += 1
        stamp = 1_600_000_000 + n * 3600
        out.write(f"commit {ref}\nmark :{mark}\nauthor Bench <bench@example.invalid> {stamp} +0000\n"
                  f"committer Bench <bench@example.invalid> {stamp} +0000\n".encode())
        data(message.encode())
        for i, p in enumerate(parents):
            out.write(b"%s :%d\n" % (b"from" if i == 0 else b"merge", p))
        for name, lines in changes.items():
            if lines is None:
                out.write(f"D {name}\n".encode())
            else:
                out.write(f"M 100644 :{blob_marks[name]} {name}\n".encode())
        return mark

    out_utf16: dict[str, bytes] = {}
    head = commit("refs/heads/main", 0, "initial import", dict(contents), [])
    branch_tip = None
    for n in range(1, commits):
        changes: dict = {}
        for name in rng.sample(sorted(contents), rng.randrange(1, 4)):
            lines = contents[name]
            for _ in range(rng.randrange(1, 6)):
                lines[rng.randrange(len(lines))] = _line(rng)
            if rng.random() < 0.5:
                lines.insert(rng.randrange(len(lines)), _line(rng))
            changes[name] = list(lines)
        if n in plant_at:
            name = sorted(contents)[n % files]
            value = expand("{alnum:64}", rng)
            lines = contents[name]
            at = rng.randrange(len(lines))
            if plant_at[n] == 3:  # the exchange is named on the line above, which the diff does not show
                block = ["    exchange = ccxt.binance({", f"        'secret': '{value}',", "    })"]
            else:
                block = [f'    BINANCE_API_SECRET = "{value}"']
            lines[at:at] = block
            changes[name] = list(lines)
            remove_at[n + 3] = (name, at, len(block))
            planted.append({"commit": n, "file": name, "case": "context above" if plant_at[n] == 3 else "plain"})
        if n == commits // 2:  # a UTF-16 file (PowerShell, .reg): git diff calls it binary
            value = expand("{alnum:64}", rng)
            text = f'# deploy\r\n$env:BINANCE_API_SECRET = "{value}"\r\n'
            out_utf16[f"deploy/settings-{n}.ps1"] = ("\ufeff" + text).encode("utf-16-le")
            planted.append({"commit": n, "file": f"deploy/settings-{n}.ps1", "case": "UTF-16"})
        if n in remove_at:
            name, at, count = remove_at.pop(n)
            del contents[name][at:at + count]
            changes[name] = list(contents[name])
        changes.update(out_utf16)
        out_utf16.clear()
        if n % 200 == 100:  # a side branch of five commits, merged back below
            branch_tip = head
        if branch_tip is not None and n % 200 in range(101, 106):
            branch_tip = commit("refs/heads/side", n, f"side work {n}", changes, [branch_tip])
            continue
        if branch_tip is not None and n % 200 == 106:
            if n == 306:  # a conflict resolved with a key in it: only the merge commit holds it
                name = sorted(contents)[7]
                value = expand("{alnum:64}", rng)
                contents[name].insert(1, f'    BINANCE_API_SECRET = "{value}"')
                changes[name] = list(contents[name])
                planted.append({"commit": n, "file": name, "case": "evil merge"})
            head = commit("refs/heads/main", n, f"Merge side into main ({n})", changes, [head, branch_tip])
            branch_tip = None
            continue
        head = commit("refs/heads/main", n, f"change {n}: tune {rng.choice(WORDS)}", changes, [head])
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=out.getvalue(), check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=path, check=True)
    subprocess.run(["git", "gc", "-q"], cwd=path, check=True)  # packed, as a clone would be
    return {"planted": planted, "stream_mb": round(len(out.getvalue()) / 1e6, 1)}


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (git): steadier than wall time on a busy box."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def bench_history(path: Path, scanner: Scanner) -> dict:
    cpu, started = _cpu(), time.perf_counter()
    result = history.scan_history(history.open_repo(str(path)), scanner, io.StringIO())
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    s = result.stats
    return {"seconds": seconds, "cpu": cpu, "commits": s["commits"], "items": s["unique_blobs"],
            "mb": s["bytes"] / 1e6, "fingerprints": sorted(f.fingerprint for f in result.findings)}


NAIVE = {
    # what diff-walking peers run (gitleaks: `git log -p -U0 --full-history --all`): added lines only
    "naive -U0": ["git", "log", "-p", "-U0", "--full-history", "--all", "--no-color", "--no-ext-diff"],
    # the plain command: the new side of each hunk (added lines plus three lines of context)
    "naive -p": ["git", "log", "-p", "--all", "--no-color", "--no-ext-diff"],
}
# Plain Scanner() everywhere: built-in rules, no project configuration or ignore file (unlike the CLI).


def bench_naive(path: Path, scanner: Scanner, cmd: list[str]) -> dict:
    """Scan the new side of every file patch of every commit with the same scanner."""
    cpu, started = _cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=path, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    total = 0
    patches = 0
    fingerprints: set[str] = set()
    new_side: list[bytes] = []
    name = ""

    def flush() -> None:
        nonlocal patches
        if new_side:
            patches += 1
            found, _ = scanner.scan_content(b"".join(new_side), name)
            fingerprints.update(f.fingerprint for f in found)
            new_side.clear()

    in_patch = False
    for line in proc.stdout:
        total += len(line)
        if line.startswith(b"diff --git ") or line.startswith(b"commit "):
            flush()
            in_patch = False
        elif line.startswith(b"+++ "):
            name = line[6:].rstrip(b"\n").decode("utf-8", "replace")
        elif line.startswith(b"@@"):
            in_patch = True
        elif in_patch and line[:1] in (b"+", b" "):
            new_side.append(line[1:])
    flush()
    proc.wait()
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    commits = int(subprocess.run(["git", "rev-list", "--all", "--count"], cwd=path, capture_output=True,
                                 text=True).stdout or 0)
    return {"seconds": seconds, "cpu": cpu, "commits": commits, "items": patches, "mb": total / 1e6,
            "fingerprints": sorted(fingerprints)}


def checkout_walk_bytes(path: Path) -> tuple[int, int]:
    """(blob versions, bytes) a complete per-commit scan (check out every commit, scan its files) would read:
    each commit's tree size is its first parent's plus its tree diff, so one `git log --raw` pass gives it."""
    listing = history.list_blobs(history.open_repo(str(path)))
    size = history.blob_sizes(str(path), [b.sha for b in listing.blobs])
    size[history.ZERO] = 0
    cmd = ["git", "log", "--all", "-z", "--raw", "--no-abbrev", "--no-renames", "--root", "--topo-order",
           "--reverse", "--diff-merges=first-parent", "--format=%x01%H %P%x00%aI%x00%s"]
    proc = subprocess.Popen(cmd, cwd=path, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    trees: dict[str, tuple[int, int]] = {}
    total_files = total_bytes = 0
    current: tuple[str, tuple[int, int]] | None = None

    def close() -> None:
        nonlocal total_files, total_bytes
        if current:
            trees[current[0]] = current[1]
            total_files += current[1][0]
            total_bytes += current[1][1]

    for token, name in history._raw_tokens(proc.stdout):
        if name is None:
            close()
            sha, *parents = token[0].split()
            current = (sha, trees.get(parents[0], (0, 0)) if parents else (0, 0))
        elif current:
            meta = token[0].split()
            old, new = meta[2], meta[3]
            files, nbytes = current[1]
            files += (new != history.ZERO) - (old != history.ZERO)
            nbytes += size.get(new, 0) - size.get(old, 0)
            current = (current[0], (files, nbytes))
    close()
    proc.wait()
    return total_files, total_bytes


def best_of(runs: list[dict]) -> dict:
    """The median run by wall time (other load on the machine only ever adds time)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def report(name: str, results: dict) -> str:
    h = results["history"]
    cols = [("scan --history", h)] + [(k, v) for k, v in results.items() if k.startswith("naive")]
    rows = [
        ("commits", lambda r: f"{r['commits']}"),
        ("items scanned", lambda r: f"{r['items']} " + ("blobs" if r is h else "patches")),
        ("MB read", lambda r: f"{r['mb']:.1f}"),
        ("wall seconds", lambda r: f"{r['seconds']:.2f}"),
        ("CPU seconds", lambda r: f"{r['cpu']:.2f}"),
        ("blobs/s", lambda r: f"{h['items'] / r['seconds']:.0f}" if r is h else "-"),
        ("MB/s", lambda r: f"{r['mb'] / r['seconds']:.1f}"),
        ("secrets found", lambda r: f"{len(r['fingerprints'])}"),
        ("missed vs other", lambda r: f"{len(set(other_fps(results, r)) - set(r['fingerprints']))}"),
        ("speed-up (wall)", lambda r: "-" if r is h else f"{r['seconds'] / h['seconds']:.2f}x"),
        ("speed-up (CPU)", lambda r: "-" if r is h else f"{r['cpu'] / h['cpu']:.2f}x"),
    ]
    width = 22
    lines = [f"== {name}", f"{'':18}" + "".join(f"{c:<{width}}" for c, _ in cols)]
    lines += [f"{label:18}" + "".join(f"{fmt(r):<{width}}" for _, r in cols) for label, fmt in rows]
    return "\n".join(lines)


def other_fps(results: dict, me: dict) -> set:
    return {fp for k, r in results.items() if r is not me and "fingerprints" in r for fp in r["fingerprints"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repo", action="append", default=[], help="also benchmark this repository")
    parser.add_argument("--keep", metavar="DIR", help="build the generated repository here and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="runs per way; the median is shown")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    args = parser.parse_args(argv)

    scanner = Scanner()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        gen = Path(args.keep) if args.keep else Path(tmp) / "generated"
        if not (gen / ".git").exists():
            t = time.perf_counter()
            info = generate_repo(gen, args.commits, args.files)
            print(f"generated {args.commits} commits x {args.files} files in {time.perf_counter() - t:.1f}s "
                  f"({info['stream_mb']} MB fast-import stream; planted secrets: "
                  f"{', '.join(p['case'] for p in info['planted'])})",
                  file=sys.stderr)
        targets = [("generated", gen), ("this repository", ROOT)] + [(r, Path(r)) for r in args.repo]
        for name, path in targets:
            runs: dict[str, list[dict]] = {"history": [], **{k: [] for k in NAIVE}}
            for _ in range(args.repeat):  # interleaved, so load on a shared machine hits every way alike
                runs["history"].append(bench_history(path, scanner))
                for k, cmd in NAIVE.items():
                    runs[k].append(bench_naive(path, scanner, cmd))
            results[name] = {k: best_of(v) for k, v in runs.items()}
            files, nbytes = checkout_walk_bytes(path)
            h = results[name]["history"]
            results[name]["checkout_walk"] = {"file_versions": files, "mb": nbytes / 1e6}
            mb = nbytes / 1e6
            print(report(name, results[name]) + "\n"
                  f"a complete per-commit checkout scan would read {files} file versions, {mb:.0f} MB: "
                  f"{mb / max(h['mb'], 1e-9):.0f}x the unique blobs "
                  f"(~{mb / max(h['mb'] / h['cpu'], 1e-9):.0f} CPU seconds at the history scan's rate)\n", flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    raise SystemExit(main())
