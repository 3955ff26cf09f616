"""Smoke test of the quality benchmark's corpus generator, label matching and baselines (no download).

The recall numbers themselves are the benchmark's business (python bench/quality.py), not this test's.
"""
from __future__ import annotations

import json
import sys

import pytest
import yaml

from conftest import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import quality  # noqa: E402
import quality_corpus  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return quality_corpus.generate(tmp_path_factory.mktemp("corpus"), seed=7, per_kind=2)


def test_every_kind_and_negative_type_is_written(corpus) -> None:
    kinds = {lab.kind for lab in corpus.positives()}
    expected = {f"{ex.name}/{role}" for ex in quality_corpus.EXCHANGES for role in ex.roles}
    expected |= set(quality_corpus.OTHER_POSITIVES) | set(quality_corpus.BOT_EXTRA_POSITIVES)
    assert expected <= kinds
    assert set(corpus.negative_files().values()) == \
        set(quality_corpus.NEGATIVES) | set(quality_corpus.BOT_EXTRA_NEGATIVES)
    per_kind = {k: sum(lab.kind == k for lab in corpus.positives()) for k in expected}
    assert min(per_kind.values()) >= 2


def test_labels_point_at_lines_of_written_files(corpus) -> None:
    written = {str(p.relative_to(corpus.root)) for p in corpus.root.rglob("*") if p.is_file()}
    assert len(written) == corpus.files
    for lab in corpus.labels:
        assert lab.file in written
        lines = (corpus.root / lab.file).read_text(encoding="utf-8").split("\n")
        assert 1 <= lab.start <= lab.end <= len(lines), lab
        if lab.positive:
            assert "".join(lines[lab.start - 1: lab.end]).strip(), lab


def test_structured_files_parse(corpus) -> None:
    """Layouts must be real files of their type (a broken notebook or YAML would not be realistic)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    parsed = 0
    for path in corpus.root.rglob("*"):
        text = path.read_text(encoding="utf-8") if path.is_file() else None
        if text is None:
            continue
        if path.suffix in (".json", ".ipynb"):
            json.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            yaml.safe_load(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)
        else:
            continue
        parsed += 1
    assert parsed > corpus.files // 4


def test_same_seed_same_corpus(tmp_path) -> None:
    a = quality_corpus.generate(tmp_path / "a", seed=11, per_kind=1)
    b = quality_corpus.generate(tmp_path / "b", seed=11, per_kind=1)
    assert [vars(x) for x in a.labels] == [vars(x) for x in b.labels]
    first = sorted(p for p in a.root.rglob("*") if p.is_file())[0]
    assert first.read_bytes() == (b.root / first.relative_to(a.root)).read_bytes()


def test_match_counts_recall_and_false_positives(corpus) -> None:
    positives = corpus.positives()
    hits = [{"file": lab.file, "line": lab.end, "rule": "r"} for lab in positives]
    negative_file = next(iter(corpus.negative_files()))
    fp = {"file": negative_file, "line": 1, "rule": "r"}
    result = quality.match(corpus, hits[1:] + [fp], specific_rules={"r"})
    samples, found = quality.totals(result["recall"])
    assert samples == len(positives) and found == len(positives) - 1
    assert len(result["misses"]) == 1 and result["misses"][0]["file"] == positives[0].file
    assert sum(v["findings"] for v in result["fp"].values()) == 1
    assert result["extra"] == []


def test_labels_file_round_trips(corpus, tmp_path) -> None:
    quality_corpus.write_labels(corpus, tmp_path / "labels.json")
    assert len(json.loads((tmp_path / "labels.json").read_text())) == len(corpus.labels)


def test_two_values_on_one_line_are_told_apart_by_column(tmp_path) -> None:
    Label = quality_corpus.Label
    corpus = quality_corpus.Corpus(tmp_path, labels=[Label("f.py", 3, 3, "X/key", True, "inline", column=12),
                                                     Label("f.py", 3, 3, "X/secret", True, "inline", column=40)])
    result = quality.match(corpus, [{"file": "f.py", "line": 3, "column": 40, "rule": "r"}], specific_rules=set())
    assert result["recall"]["X/secret"]["found"] == 1
    assert result["recall"]["X/key"]["found"] == 0
    assert result["misses"] == [{"kind": "X/key", "layout": "inline", "file": "f.py", "line": 3}]


def test_single_line_labels_know_their_column(corpus) -> None:
    located = [lab for lab in corpus.positives() if lab.start == lab.end]
    assert located and sum(lab.column > 0 for lab in located) > 0.9 * len(located)


def test_report_goes_into_the_readme_section(corpus, tmp_path) -> None:
    hits = [{"file": lab.file, "line": lab.start, "column": lab.column, "rule": "r"} for lab in corpus.positives()]
    res = {"date": "2026-01-01", "machine": "test", "seed": 7, "per_kind": 2, "version": "x", "detect_secrets_version": "y",
           "dev": {"files": corpus.files, "ours": quality.match(corpus, hits, {"r"}),
                   "detect_secrets": quality.match(corpus, [], set())},
           "timings": {"dev_ours": 1.0, "dev_detect_secrets": 2.0}}
    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n## Quality benchmark\n\nintro\n\n<!-- quality-table -->\nold table\n\n## Next\nkept\n")
    quality.update_readme(res, readme)
    text = readme.read_text()
    assert "old table" not in text and text.endswith("\n## Next\nkept\n")
    assert "| **all** |" in text and "100.0%" in text and "intro" in text


def test_baseline_argument_names_a_directory_of_console_scripts(tmp_path) -> None:
    import argparse

    with pytest.raises(argparse.ArgumentTypeError, match="no crypto-key-guard there"):
        quality.baseline_arg(f"old={tmp_path}")
    (tmp_path / "crypto-key-guard").write_text("#!/bin/sh\n")
    assert quality.baseline_arg(f"old={tmp_path}") == ("old", tmp_path.resolve())
    assert quality.baseline_arg(str(tmp_path)) == ("baseline", tmp_path.resolve())


def test_a_baseline_is_matched_on_the_same_corpus_as_ours(tmp_path) -> None:
    """Before and after in one run: the baseline's findings go through the same matching as ours (here the
    baseline is this very installation, so both columns must agree)."""
    from pathlib import Path

    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "crypto-key-guard").exists():
        pytest.skip("crypto-key-guard is not installed beside this interpreter")
    small = quality_corpus.generate(tmp_path / "corpus", seed=5, per_kind=1)
    found, _, _ = quality.run_ours(small.root)
    ours = quality.match(small, found, set())
    res = {"version": "now", "dev": {"ours": ours}}
    quality.run_baselines(res, [("again", bin_dir)], {"generated": (small.root, small)})
    again = res["baselines"]["again"]["generated"]
    assert again["recall"] == ours["recall"] and again["fp"] == ours["fp"]
    import io

    out = io.StringIO()
    quality.print_before_after(res, out)
    n, hit = quality.totals(ours["recall"])
    assert f"| generated | {n} | {quality.pct(hit, n)} | {quality.pct(hit, n)} |" in out.getvalue()
