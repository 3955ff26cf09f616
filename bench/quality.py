"""Quality benchmark: recall per kind and false positives, crypto-key-guard versus detect-secrets.

    python bench/quality.py [--json results.json] [--seed 1] [--per-kind 40] [--no-realworld]
    python bench/quality.py --observed-only      # just the observed corpus, crypto-key-guard only (seconds)

1. Generates a labelled development corpus (bench/quality_corpus.py) in a temporary directory: planted secrets
   of every kind in realistic files, and hard negatives of every type.
2. Downloads (once, into bench/.cache) the real-world negative corpus: pinned ccxt, freqtrade and jesse sources.
3. Scans both with `crypto-key-guard scan --format json` and with detect-secrets' default plugins
   (`detect-secrets scan --all-files`), each as a user would run it, and times them.
4. Scans the observed corpus (bench/observed_layouts.py): layouts written down from public code, kept apart
   from the generator, with observed negatives; reports recall per layout family and findings on negatives.
5. Prints Markdown tables: recall per kind, false positives per negative type, both corpora side by side, every
   crypto-key-guard finding on the real-world corpus with the reviewer's reason, and timings. `--json FILE`
   writes the same numbers.

Findings are matched to labels by file and line span (a PEM block or a one-word-per-line mnemonic spans
several lines); a finding in a negative file, or one in a positive file that matches no planted value, is a
false positive. Generated values are fakes of the right structure, never printed whole.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

try:
    import observed_layouts
    import quality_corpus
    from corpus import CACHE, PINNED, real_world_corpus

    from crypto_key_guard.engine.findings import redact
    from crypto_key_guard.engine.rules import default_rules
except ImportError as exc:  # run outside the project's environment
    raise SystemExit(f"bench/quality.py: {exc.name} is missing; install the project with its test extras first: "
                     "pip install '.[test]'") from None

# Real-world findings a reviewer has looked at (pinned versions, so file and line are stable): why each is
# acceptable. A finding missing from this table is printed as UNREVIEWED.
_CCXT = "ccxt-4.5.90/ccxt-4.5.90/python/ccxt/"
_ETH_FIXTURE = "test fixture: Ethereum private key for ccxt's offline signing tests (genuine key material)"
_BACKPACK = "test fixture: Backpack API key/secret (base64 Ed25519) in ccxt's offline tests (genuine key material)"
_APEX = ("genuine third-party key: ApeX's public API response, quoted in a comment, carries its backup RPC URL "
         "with an Alchemy key")
_EXTENDED = ("test fixture: Extended's Starknet L2 key (its API key's private key) in ccxt's offline request tests "
             "(genuine key material)")
REVIEWED: dict[tuple[str, int], str] = {
    (_CCXT + "test/tests_async.py", 2817): _EXTENDED,
    (_CCXT + "test/tests_sync.py", 2814): _EXTENDED,
    (_CCXT + "apex.py", 455): _APEX,
    (_CCXT + "async_support/apex.py", 455): _APEX,
    (_CCXT + "test/tests_async.py", 1855): _ETH_FIXTURE,
    (_CCXT + "test/tests_async.py", 3167): _ETH_FIXTURE,
    (_CCXT + "test/tests_async.py", 3247): _ETH_FIXTURE,
    (_CCXT + "test/tests_async.py", 3276): _BACKPACK,
    (_CCXT + "test/tests_async.py", 3277): _BACKPACK,
    (_CCXT + "test/tests_sync.py", 1852): _ETH_FIXTURE,
    (_CCXT + "test/tests_sync.py", 3164): _ETH_FIXTURE,
    (_CCXT + "test/tests_sync.py", 3244): _ETH_FIXTURE,
    (_CCXT + "test/tests_sync.py", 3273): _BACKPACK,
    (_CCXT + "test/tests_sync.py", 3274): _BACKPACK,
    (_CCXT + "test/base/test_eth_methods.py", 21): "test fixture: the private key whose address the test derives",
}


# --- running the scanners ------------------------------------------------------------------------------------
def _tool(name: str, module: str) -> list[str]:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    return [found] if found else [sys.executable, "-m", module]


def run_ours(root: Path, bin_dir: Path | None = None) -> tuple[list[dict], float, dict]:
    """`crypto-key-guard scan` of root: the installation running this benchmark, or the one in bin_dir."""
    # git must not treat the corpus as part of an enclosing repository (bench/.cache is git-ignored there)
    env = dict(os.environ, GIT_CEILING_DIRECTORIES=str(root.parent))
    start = time.perf_counter()
    tool = [str(bin_dir / "crypto-key-guard")] if bin_dir else _tool("crypto-key-guard", "crypto_key_guard.cli")
    # "." from the corpus root: findings are named as opened from where the scan runs, i.e. relative to the root
    proc = subprocess.run(tool + ["scan", ".", "--format", "json"], capture_output=True, env=env, cwd=str(root))
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"crypto-key-guard scan failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    doc = json.loads(proc.stdout)
    return doc["findings"], elapsed, doc.get("stats", {})


def run_detect_secrets(root: Path, timeout: float | None = None) -> tuple[list[dict] | None, float]:
    """detect-secrets' default plugins over every file; (None, elapsed) when it ran out of time."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        # its own session, so a timeout ends the scan's worker processes too
        proc = subprocess.Popen(_tool("detect-secrets", "detect_secrets.main") + ["scan", "--all-files", "."],
                                stdout=out, stderr=err, cwd=str(root), start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            return None, time.perf_counter() - start
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code != 0:
        raise SystemExit(f"detect-secrets scan failed ({code}): {stderr.decode()[-500:]}")
    results = json.loads(stdout).get("results", {})
    findings = [{"file": os.path.normpath(name), "line": s["line_number"], "rule": s["type"]}
                for name, secrets in results.items() for s in secrets]
    return findings, elapsed


def detect_secrets_realworld(root: Path, ds_version: str, args) -> tuple[list[dict] | None, float | None, str]:
    """detect-secrets on the pinned real-world corpus. Its result depends only on the corpus and its own
    version, not on our rules, and it takes tens of minutes: cached in bench/.cache (--refresh-detect-secrets)."""
    cache = CACHE / f"detect-secrets-{ds_version}-realworld.json"
    key = {"detect_secrets": ds_version, "corpus": PINNED}
    if cache.exists() and not args.refresh_detect_secrets:
        doc = json.loads(cache.read_text(encoding="utf-8"))
        if doc.get("key") == key:
            print(f"detect-secrets on the real-world corpus: cached run of {doc['date']} ({cache})", file=sys.stderr)
            return doc["findings"], doc["seconds"], f"cached run of {doc['date']}" + (
                f"; {doc['note']}" if doc.get("note") else "")
    print("detect-secrets on the real-world corpus: running (tens of minutes on 2 cores) ...", file=sys.stderr)
    findings, seconds = run_detect_secrets(root, args.detect_secrets_timeout)
    if findings is not None:
        cache.write_text(json.dumps({"key": key, "date": datetime.date.today().isoformat(), "seconds": seconds,
                                     "findings": findings}), encoding="utf-8")
    return findings, seconds, "this run"


# --- matching findings to labels -----------------------------------------------------------------------------
def match(corpus: quality_corpus.Corpus, findings: list[dict], specific_rules: set[str]) -> dict:
    """Recall per kind, false positives per negative type, and the unmatched findings in positive files."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for f in findings:
        by_file[os.path.normpath(f["file"])].append(f)
    negatives = corpus.negative_files()
    recall: dict[str, dict] = defaultdict(lambda: {"samples": 0, "found": 0, "specific": 0})
    misses: list[dict] = []
    labels_by_file: dict[str, list] = defaultdict(list)
    for lab in corpus.positives():
        labels_by_file[lab.file].append(lab)
    extra: list[dict] = []
    for file, labels in labels_by_file.items():
        pool = sorted(by_file.get(file, []), key=lambda f: f["line"])
        used: set[int] = set()
        # a finding that starts exactly where a planted value starts belongs to it (two values on one line)
        exact: dict[int, int] = {}
        for li, lab in enumerate(labels):
            i = next((i for i, f in enumerate(pool) if i not in used and lab.column
                      and (f["line"], f.get("column")) == (lab.start, lab.column)), None)
            if i is not None:
                exact[li] = i
                used.add(i)
        # then by line span, narrow spans first, so a one-line label is not starved by a multi-line one
        for li, lab in sorted(enumerate(labels), key=lambda x: (x[1].end - x[1].start, x[1].start)):
            row = recall[lab.kind]
            row["samples"] += 1
            hit = exact.get(li)
            if hit is None:
                hit = next((i for i, f in enumerate(pool) if i not in used and lab.start <= f["line"] <= lab.end),
                           None)
            if hit is None:
                misses.append({"kind": lab.kind, "layout": lab.layout, "file": file, "line": lab.start})
                continue
            used.add(hit)
            row["found"] += 1
            row["specific"] += _names_kind(lab.kind, pool[hit], specific_rules)
        extra += [f for i, f in enumerate(pool) if i not in used]
    fps: dict[str, dict] = {neg: {"files": 0, "findings": 0, "files_flagged": 0} for neg in set(negatives.values())}
    fp_list: list[dict] = []
    for file, neg in negatives.items():
        fps[neg]["files"] += 1
        found = by_file.get(file, [])
        if found:
            fps[neg]["findings"] += len(found)
            fps[neg]["files_flagged"] += 1
            fp_list += [dict(f, negative=neg) for f in found]
    return {"recall": dict(recall), "misses": misses, "fp": fps, "fp_list": fp_list, "extra": extra}


def _names_kind(kind: str, finding: dict, specific_rules: set[str]) -> bool:
    """Found by a rule for this kind: for an exchange's key, a rule naming that exchange."""
    if finding["rule"] not in specific_rules:
        return False
    if "/" not in kind:
        return True
    if "=" in kind:  # venue=<id>/<field>, service=<id>/<field>: a rule of that entry
        return finding["rule"].startswith(kind.split("=", 1)[1].split("/")[0] + "-")
    venue = kind.split("/")[0].split()[0].split(".")[0].lower()     # "Coinbase legacy" -> coinbase, Gate.io -> gate
    return venue in (finding.get("exchange") or finding["rule"]).lower()


def totals(recall: dict) -> tuple[int, int]:
    return sum(r["samples"] for r in recall.values()), sum(r["found"] for r in recall.values())


# --- presentation --------------------------------------------------------------------------------------------
def pct(n: int, d: int) -> str:
    if not d:
        return "-"
    text = f"{100.0 * n / d:.1f}"
    if text == "100.0" and n != d:    # never round a miss up to 100%
        text = f"{int(10000 * n / d) / 100:.2f}"
    return text + "%"


_LONG_TOKEN = re.compile(r"""[^\s"'`,;(){}\[\]<>]{8,}""")


def _redacted_line(path: Path, line: int) -> str:
    """The line a miss sits on, each long token redacted (generated fakes are still never printed whole)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").split("\n")[line - 1]
    except (OSError, IndexError):
        return ""
    return _LONG_TOKEN.sub(lambda m: redact(m.group(0)), text.strip())[:160]


def kind_order(kind: str) -> tuple:
    exchange = "/" in kind
    return (0 if exchange else 1, kind)


TABLE_ROWS = {"venue": "every venue of venues.yaml, by its generated rules", "service": "every service of "
              "services.yaml, by its generated rules"}


def table_rows(recall: dict) -> tuple[dict, dict]:
    """The kinds of the tables' venues and services (venue=<id>/<field>) summed into one row per table; the rest."""
    summed: dict[str, dict] = {}
    rest = {}
    for kind, row in recall.items():
        table = kind.split("=", 1)[0] if "=" in kind else None
        if table in TABLE_ROWS:
            into = summed.setdefault(table, {"samples": 0, "found": 0, "specific": 0, "kinds": 0, "entries": set()})
            for key in ("samples", "found", "specific"):
                into[key] += row.get(key, 0)
            into["kinds"] += 1
            into["entries"].add(kind.split("=", 1)[1].split("/")[0])
        else:
            rest[kind] = row
    return summed, rest


def print_report(res: dict, out=sys.stdout) -> None:
    p = lambda *a: print(*a, file=out)  # noqa: E731
    dev_o, dev_d = res["dev"]["ours"], res["dev"]["detect_secrets"]
    p(f"Quality benchmark — {res['date']}, {res['machine']}; seed {res['seed']}, {res['per_kind']} samples per kind; "
      f"crypto-key-guard {res['version']}, detect-secrets {res['detect_secrets_version']}.")
    p()
    p("Recall on the generated corpus (planted secrets found; *specific* = found by a rule for that kind — for an "
      "exchange, one that names the right exchange — not only by a generic credential rule):")
    p()
    p("| kind | samples | crypto-key-guard | specific | detect-secrets |")
    p("|---|---:|---:|---:|---:|")
    summed, rest = table_rows(dev_o["recall"])
    summed_ds, _ = table_rows(dev_d["recall"])
    for kind in sorted(rest, key=kind_order):
        o, d = rest[kind], dev_d["recall"].get(kind, {"found": 0})
        p(f"| {kind} | {o['samples']} | {pct(o['found'], o['samples'])} | {pct(o['specific'], o['samples'])} | "
          f"{pct(d['found'], o['samples'])} |")
    for table, o in summed.items():
        d = summed_ds.get(table, {"found": 0})
        p(f"| {TABLE_ROWS[table]} ({len(o['entries'])} {table}s, {o['kinds']} fields) | {o['samples']} | "
          f"{pct(o['found'], o['samples'])} | {pct(o['specific'], o['samples'])} | {pct(d['found'], o['samples'])} |")
    n, fo = totals(dev_o["recall"])
    _, fd = totals(dev_d["recall"])
    spec = sum(r["specific"] for r in dev_o["recall"].values())
    p(f"| **all** | **{n}** | **{pct(fo, n)}** | **{pct(spec, n)}** | **{pct(fd, n)}** |")
    worst = min(dev_o["recall"].items(), key=lambda kv: kv[1]["found"] / kv[1]["samples"])
    p()
    p(f"Lowest kind for crypto-key-guard: {worst[0]} ({pct(worst[1]['found'], worst[1]['samples'])}).")
    short = sorted(k for k, r in dev_o["recall"].items() if "=" in k and r["found"] < r["samples"])
    if short:
        p()
        p(f"Venue and service fields not always found: {', '.join(short)}.")
    p()
    p("False positives on hard negatives (findings, files flagged / files):")
    p()
    p("| negative type | files | crypto-key-guard | detect-secrets |")
    p("|---|---:|---:|---:|")
    for neg in sorted(dev_o["fp"]):
        o, d = dev_o["fp"][neg], dev_d["fp"][neg]
        p(f"| {neg} | {o['files']} | {o['findings']} ({o['files_flagged']}/{o['files']}) | "
          f"{d['findings']} ({d['files_flagged']}/{d['files']}) |")
    fo_all = sum(v["findings"] for v in dev_o["fp"].values())
    fd_all = sum(v["findings"] for v in dev_d["fp"].values())
    p(f"| unplanted lines of positive files | - | {len(dev_o['extra'])} | {len(dev_d['extra'])} |")
    p(f"| **all** | **{sum(v['files'] for v in dev_o['fp'].values())}** | **{fo_all + len(dev_o['extra'])}** | "
      f"**{fd_all + len(dev_d['extra'])}** |")
    if res.get("observed"):
        p()
        print_observed(res, out)
    rw = res.get("realworld")
    if rw:
        p()
        ds = rw["detect_secrets"]
        if ds is None:
            ds_text = "not run" if res["timings"].get("rw_detect_secrets") is None else \
                f"did not finish within {res['timings']['rw_detect_secrets'] / 60:.0f} min"
        else:
            by_plugin = Counter(f["rule"] for f in ds) if isinstance(ds, list) else Counter(ds)
            ds_text = f"**{sum(by_plugin.values())}** ({', '.join(f'{k} {v}' for k, v in by_plugin.most_common(6))})"
        p(f"Real-world corpus ({', '.join(f'{k} {v}' for k, v in PINNED.items())}; {rw['files']} files, "
          f"{rw['mb']:.0f} MB, no known live secret): crypto-key-guard **{len(rw['ours'])}** findings, "
          f"detect-secrets {ds_text}.")
        p()
        if rw["ours"]:
            p("| file | line | rule | value | reason |")
            p("|---|---:|---|---|---|")
            for f in rw["ours"]:
                p(f"| {f['file']} | {f['line']} | {f['rule']} | `{f['redacted']}` | {f['reason']} |")
    p()
    t = res["timings"]
    p("Timings (wall clock, each tool started as a user would start it):")
    p()
    p("| corpus | files | crypto-key-guard | detect-secrets |")
    p("|---|---:|---:|---:|")
    p(f"| generated | {res['dev']['files']} | {t['dev_ours']:.1f} s | {t['dev_detect_secrets']:.1f} s |")
    if rw:
        ds_time = "not run" if t.get("rw_detect_secrets") is None else f"{t['rw_detect_secrets']:.1f} s" + (
            " (stopped)" if rw["detect_secrets"] is None else "")
        p(f"| real-world | {rw['files']} | {t['rw_ours']:.1f} s | {ds_time} |")
        if rw.get("detect_secrets_run"):
            p()
            p(f"detect-secrets on the real-world corpus: {rw['detect_secrets_run']}.")


def baseline_arg(text: str) -> tuple[str, Path]:
    """--baseline [LABEL=]BIN_DIR: another installation's console scripts, e.g. a venv's bin/ holding an older
    release; its findings on the same corpora are matched as ours are (before and after, in one run)."""
    label, sep, path = text.partition("=")
    if not sep:
        label, path = "baseline", text
    exe = Path(path).expanduser() / "crypto-key-guard"
    if not exe.exists():
        raise argparse.ArgumentTypeError(f"{exe}: no crypto-key-guard there (give a directory of console scripts)")
    return label, exe.parent.resolve()


def run_baselines(res: dict, baselines: list[tuple[str, Path]], corpora: dict) -> None:
    """Scan each corpus (name -> (root, Corpus or None for the real-world one)) with each baseline installation."""
    res["baselines"] = {}
    for label, bin_dir in baselines:
        row: dict = {"bin": str(bin_dir), "version": _baseline_version(bin_dir)}
        for name, (root, corpus) in corpora.items():
            found, elapsed, _ = run_ours(root, bin_dir)
            row[name] = {"seconds": elapsed, "findings": len(found)} if corpus is None else \
                dict(match(corpus, found, set()), seconds=elapsed)
        res["baselines"][label] = row


def _baseline_version(bin_dir: Path) -> str:
    out = subprocess.run([str(bin_dir / "crypto-key-guard"), "--version"], capture_output=True, text=True)
    return out.stdout.strip().rsplit(" ", 1)[-1] if out.returncode == 0 else "?"


def print_before_after(res: dict, out=sys.stdout) -> None:
    """Recall and false alarms of each baseline beside ours, on the same corpora of this run."""
    p = lambda *a: print(*a, file=out)  # noqa: E731
    for label, base in res.get("baselines", {}).items():
        p(f"Before and after, this run: {label} ({base['bin']}, version {base['version']}) against crypto-key-guard "
          f"{res['version']}, the same corpora, each scanned as a user would:")
        p()
        p(f"| corpus | planted values | {label} | crypto-key-guard | false alarms {label} | false alarms now |")
        p("|---|---:|---:|---:|---:|---:|")
        for name, part in (("generated", res.get("dev")), ("observed", res.get("observed"))):
            if not part or name not in base:
                continue
            n, found = totals(part["ours"]["recall"])
            _, was = totals(base[name]["recall"])
            p(f"| {name} | {n} | {pct(was, n)} | {pct(found, n)} | {_false_alarms(base[name])} | "
              f"{_false_alarms(part['ours'])} |")
        if "realworld" in base and res.get("realworld"):
            p(f"| real-world (no known live secret) | - | - | - | {base['realworld']['findings']} findings | "
              f"{len(res['realworld']['ours'])} findings |")
        p()


def _false_alarms(matched: dict) -> str:
    """Findings on negative files (files flagged / negative files), plus findings on unplanted lines."""
    fp = matched["fp"]
    text = f"{sum(v['findings'] for v in fp.values())} ({sum(v['files_flagged'] for v in fp.values())}/" \
           f"{sum(v['files'] for v in fp.values())} files)"
    return text + (f" + {len(matched['extra'])} unplanted" if matched.get("extra") else "")


def print_observed(res: dict, out=sys.stdout) -> None:
    """Both corpora side by side, then the observed corpus per layout family (syntax:* folded into one row)."""
    p = lambda *a: print(*a, file=out)  # noqa: E731
    obs = res["observed"]
    p(f"Observed corpus (bench/observed_layouts.py: {obs['layouts'] - obs['negative_files']} layouts written down "
      f"from public code with {obs['labels']} planted values, {obs['negative_files']} observed negatives), beside "
      "the generated one:")
    p()
    p("| corpus | planted values | crypto-key-guard | detect-secrets | findings on negatives (files flagged) |")
    p("|---|---:|---:|---:|---:|")
    for name, part in (("generated", res.get("dev")), ("observed", obs)):
        if not part:
            continue
        n, found = totals(part["ours"]["recall"])
        ds = part.get("detect_secrets")
        ds_text = pct(totals(ds["recall"])[1], n) if ds else "not run"
        fp = part["ours"]["fp"]
        p(f"| {name} | {n} | {pct(found, n)} | {ds_text} | {sum(v['findings'] for v in fp.values())} "
          f"({sum(v['files_flagged'] for v in fp.values())}/{sum(v['files'] for v in fp.values())}) |")
    p()
    p("Observed corpus per family (values found; layouts with every value found):")
    p()
    p("| family | layouts | values found | layouts found |")
    p("|---|---:|---:|---:|")
    rows: dict = defaultdict(lambda: {"layouts": 0, "values": 0, "found": 0, "layouts_found": 0})
    for family, row in obs["families"].items():
        if family.startswith("neg:"):
            continue
        top = rows["syntax (all)" if family.startswith("syntax:") else family]
        for key in top:
            top[key] += row[key]
    for family, row in sorted(rows.items(), key=lambda kv: kv[1]["found"] / kv[1]["values"]):
        p(f"| {family} | {row['layouts']} | {row['found']}/{row['values']} ({pct(row['found'], row['values'])}) | "
          f"{row['layouts_found']}/{row['layouts']} |")
    p()
    p("| observed negative type | files | findings (files flagged) |")
    p("|---|---:|---:|")
    for family, row in sorted(obs["families"].items()):
        if family.startswith("neg:"):
            p(f"| {family[4:]} | {row['layouts']} | {row['findings']} ({row['files_flagged']}/{row['layouts']}) |")


def print_observed_diagnostics(obs: dict, root: Path, limit: int, out=sys.stderr) -> None:
    """Each missed observed layout (grouped by family) and each finding on an observed negative (stderr)."""
    ours = obs["ours"]
    if ours["misses"]:
        family_of = observed_layouts.family_of
        print(f"\nobserved corpus, missed values ({len(ours['misses'])}):", file=out)
        for m in sorted(ours["misses"], key=lambda m: (family_of(m["layout"]), m["layout"]))[:limit]:
            print(f"    {family_of(m['layout']):22} {m['layout']:32} {m['kind']:22} "
                  f"{_redacted_line(root / m['file'], m['line'])[:90]}", file=out)
    print_false_positives(ours, root, "observed corpus, findings on negatives and unplanted lines", limit, out)


def run_observed(root: Path, seed: int, specific: set[str], with_detect_secrets: bool,
                 labels: Path | None = None) -> dict:
    """Write the observed corpus under root and scan it (and, if asked, with detect-secrets too)."""
    corpus = observed_layouts.generate(root, seed=seed)
    if labels:
        observed_layouts.write_labels(corpus, labels)
    ours, elapsed, _ = run_ours(root)
    matched = match(corpus, ours, specific)
    part = {"layouts": len(observed_layouts.LAYOUTS), "labels": len(corpus.positives()),
            "negative_files": len(corpus.negative_files()), "ours": matched,
            "families": observed_layouts.by_family(corpus, matched),
            "missed_layouts": observed_layouts.missed_layouts(corpus, matched),
            "flagged_negatives": observed_layouts.flagged_negatives(corpus, matched),
            "seconds": elapsed, "corpus": corpus}
    if with_detect_secrets:
        ds, _ = run_detect_secrets(root)
        part["detect_secrets"] = match(corpus, ds, set())
    return part


def print_false_positives(matched: dict, root: Path, title: str, limit: int, out=sys.stderr) -> None:
    """Findings in negative files and on unplanted lines of positive files, each with its (redacted) line."""
    bad = matched["fp_list"] + [dict(f, negative="(positive file)") for f in matched["extra"]]
    if bad:
        print(f"\n{title} ({len(bad)}):", file=out)
        for f in bad[:limit]:
            print(f"    {f['negative']}: {f['file']}:{f['line']} {f['rule']} {f.get('redacted', '')}: "
                  f"{_redacted_line(root / f['file'], f['line'])}", file=out)


def print_diagnostics(res: dict, corpus_root: Path, limit: int, out=sys.stderr) -> None:
    """What a rule author needs: each miss and each false positive, by kind and layout (stderr)."""
    dev = res["dev"]["ours"]
    if dev["misses"]:
        print(f"\ncrypto-key-guard misses ({len(dev['misses'])}):", file=out)
        by_kind = Counter((m["kind"], m["layout"]) for m in dev["misses"])
        for (kind, layout), n in sorted(by_kind.items()):
            print(f"  {kind:28} {layout:18} x{n}", file=out)
        for m in dev["misses"][:limit]:
            print(f"    {m['kind']} [{m['layout']}] {m['file']}:{m['line']}: "
                  f"{_redacted_line(corpus_root / m['file'], m['line'])}", file=out)
    print_false_positives(dev, corpus_root, "crypto-key-guard false positives", limit, out)


README_MARKER = "<!-- quality-table -->"


def update_readme(res: dict, readme: Path) -> None:
    """Replace what follows the marker in the Quality benchmark section, up to the next section."""
    import io

    text = readme.read_text(encoding="utf-8")
    start = text.find(README_MARKER)
    if start < 0:
        raise SystemExit(f"{readme}: no {README_MARKER} marker in the Quality benchmark section")
    end = text.find("\n## ", start)
    report = io.StringIO()
    print_report(res, report)
    block = (f"{README_MARKER}\nLatest run (`python bench/quality.py --update-readme`, seed {res['seed']}, "
             f"{res['per_kind']} samples per kind):\n\n{report.getvalue().strip()}\n")
    readme.write_text(text[:start] + block + (text[end:] if end >= 0 else ""), encoding="utf-8")
    print(f"updated {readme}", file=sys.stderr)


# --- main ----------------------------------------------------------------------------------------------------
def review(findings: list[dict]) -> list[dict]:
    rows = []
    for f in findings:
        reason = REVIEWED.get((f["file"], f["line"]))
        if reason is None:
            reason = "UNREVIEWED" + (" (in a test file)" if "test" in f["file"].lower() else "")
        rows.append(dict({k: f[k] for k in ("file", "line", "rule", "redacted")}, reason=reason))
    return rows


def versions() -> tuple[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"
    return v("crypto-key-guard"), v("detect-secrets")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/quality.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-kind", type=int, default=40, help="planted samples per kind (default 40)")
    parser.add_argument("--no-realworld", action="store_true", help="skip the ccxt/freqtrade/jesse corpus")
    parser.add_argument("--no-detect-secrets-realworld", action="store_true",
                        help="do not run detect-secrets on the real-world corpus (it takes many minutes)")
    parser.add_argument("--refresh-detect-secrets", action="store_true",
                        help="re-run detect-secrets on the real-world corpus instead of using its cached result")
    parser.add_argument("--detect-secrets-timeout", type=float, default=3600, metavar="SECONDS",
                        help="stop detect-secrets on the real-world corpus after this long (default 3600)")
    parser.add_argument("--update-readme", action="store_true",
                        help="also put the report into docs/benchmarks.md's Quality benchmark section")
    parser.add_argument("--keep", metavar="DIR", help="write the generated corpus and its labels here and keep them")
    parser.add_argument("--show", type=int, default=60, help="misses and false positives to list on stderr")
    parser.add_argument("--observed-only", action="store_true",
                        help="scan only the observed corpus (bench/observed_layouts.py), crypto-key-guard only")
    parser.add_argument("--baseline", action="append", default=[], type=baseline_arg, metavar="[LABEL=]BIN_DIR",
                        help="also scan every corpus with the crypto-key-guard in this directory of console "
                             "scripts (another venv's bin/, e.g. an older release) and report its recall and "
                             "false alarms beside ours: before and after in one run; repeatable")
    args = parser.parse_args(argv)

    rules = default_rules()
    specific = {r.id for r in rules.rules if r.kind != "generic"}
    rule_exchanges = sorted({r.exchange for r in rules.rules if r.exchange})
    ours_version, ds_version = versions()
    if args.observed_only:
        return observed_only(args, specific, ours_version)
    with tempfile.TemporaryDirectory(prefix="ckg-quality-") as tmp:
        base = Path(args.keep).resolve() if args.keep else Path(tmp)
        root = base / "corpus"
        if root.exists():
            shutil.rmtree(root)
        corpus = quality_corpus.generate(root, seed=args.seed, per_kind=args.per_kind, rule_exchanges=rule_exchanges)
        if args.keep:
            quality_corpus.write_labels(corpus, base / "labels.json")
        ours, t_ours, _ = run_ours(root)
        ds, t_ds = run_detect_secrets(root)
        assert ds is not None
        res: dict = {
            "date": datetime.date.today().isoformat(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "seed": args.seed, "per_kind": args.per_kind, "version": ours_version, "detect_secrets_version": ds_version,
            "dev": {"files": corpus.files, "labels": len(corpus.positives()),
                    "ours": match(corpus, ours, specific), "detect_secrets": match(corpus, ds, set())},
            "timings": {"dev_ours": t_ours, "dev_detect_secrets": t_ds},
        }
        res["observed"] = run_observed(base / "observed", args.seed, specific, with_detect_secrets=True,
                                       labels=base / "observed-labels.json" if args.keep else None)
        res["timings"]["observed_ours"] = res["observed"]["seconds"]
        corpora = {"generated": (root, corpus), "observed": (base / "observed", res["observed"]["corpus"])}
        rw_root = None
        if not args.no_realworld:
            rw_root = real_world_corpus()
            files = [p for p in rw_root.rglob("*") if p.is_file() and not p.is_symlink()]
            rw_ours, t_rw, _ = run_ours(rw_root)
            rw_ds, t_rw_ds, ds_note = (None, None, "") if args.no_detect_secrets_realworld else \
                detect_secrets_realworld(rw_root, ds_version, args)
            res["realworld"] = {"files": len(files), "mb": sum(p.stat().st_size for p in files) / 1e6,
                                "ours": review(rw_ours), "detect_secrets": rw_ds, "detect_secrets_run": ds_note}
            res["timings"].update(rw_ours=t_rw, rw_detect_secrets=t_rw_ds)
            corpora["realworld"] = (rw_root, None)
        if args.baseline:
            run_baselines(res, args.baseline, corpora)
        print_report(res)
        print_before_after(res)
        print_diagnostics(res, root, args.show)
        print_observed_diagnostics(res["observed"], base / "observed", args.show)
        if args.update_readme:
            update_readme(res, HERE.parent / "docs" / "benchmarks.md")
    write_json(res, args.json)
    return 0


def observed_only(args, specific: set[str], version: str) -> int:
    with tempfile.TemporaryDirectory(prefix="ckg-observed-") as tmp:
        base = Path(args.keep).resolve() if args.keep else Path(tmp)
        root = base / "observed"
        if root.exists():
            shutil.rmtree(root)
        obs = run_observed(root, args.seed, specific, with_detect_secrets=False,
                           labels=base / "observed-labels.json" if args.keep else None)
        res = {"date": datetime.date.today().isoformat(), "seed": args.seed, "version": version, "observed": obs}
        if args.baseline:
            run_baselines(res, args.baseline, {"observed": (root, obs["corpus"])})
        print(f"crypto-key-guard {version} on the observed corpus, seed {args.seed} ({obs['seconds']:.1f} s).")
        print()
        print_observed(res)
        print()
        print_before_after(res)
        print_observed_diagnostics(obs, root, args.show)
    write_json(res, args.json)
    return 0


def write_json(res: dict, path: str | None) -> None:
    if path:
        slim = json.loads(json.dumps(res, default=lambda value: None))  # the Corpus objects are not results
        if slim.get("realworld", {}).get("detect_secrets"):   # per-plugin counts, not thousands of rows
            slim["realworld"]["detect_secrets"] = dict(Counter(f["rule"] for f in res["realworld"]["detect_secrets"]))
        Path(path).write_text(json.dumps(slim, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
