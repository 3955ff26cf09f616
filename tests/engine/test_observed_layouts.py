"""The engine on credential layouts observed in public code (issue 14), one parametrised test per family.

The layouts live in bench/observed_layouts.py, written down from real trading bots, SDK examples, web3 scripts,
CI files and notebooks, and kept apart from the generated corpus. Each test plants seeded fake values in the
layout's file (its real name: .env, Makefile, .ipynb ...) and asserts the engine reports every one of them;
each negative asserts the engine reports nothing.

What today's engine misses is listed in MISSED / FLAGGED and marked xfail(strict): the suite stays green, and
a fix that makes one pass fails its xfail until the id is removed from the list.
"""
from __future__ import annotations

import re
import sys

import pytest

from conftest import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import observed_layouts as O  # noqa: E402

from crypto_key_guard.engine.scanner import Scanner

# Positive layouts with at least one planted value today's engine does not report: id -> what it would need.
MISSED: dict[str, str] = {}
# Negative layouts today's engine reports something in.
FLAGGED: set[str] = set()

# The families issue 14 lists under "Examples of what was missed", plus ordinary layouts.
ISSUE_FAMILIES = ["suffix-affix", "credential-words", "env-fallback", "lists-maps", "syntax", "encoded", "notebook",
                  "signer", "mnemonic-variant", "plain"]
# The syntaxes issue 14 names, each needing at least one observed layout.
ISSUE_SYNTAXES = ["makefile", "yaml-block", "yaml-anchor", "yaml-tag", "toml", "xml", "json-escape", "csv",
                  "shell-args", "go", "rust", "java", "csharp", "kotlin", "swift", "php", "ruby", "concat", "padded"]


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


def _param(layout: O.Layout, known: bool, why: str):
    marks = [pytest.mark.xfail(strict=True, reason=f"issue 14: {why}")] if known else []
    return pytest.param(layout, id=layout.id, marks=marks)


def positives(family: str) -> list:
    return [_param(lay, lay.id in MISSED, MISSED.get(lay.id, "")) for lay in O.layouts(family, negative=False)]


def _missing(layout: O.Layout, scanner: Scanner) -> list[str]:
    text, planted = O.render(layout, O.seed_for(layout.id))
    findings, _ = scanner.scan_content(text.encode("utf-8"), layout.file)
    return [f"{p.kind} at line {p.start}" for p in O.missing_values(planted, [(f.line, f.column) for f in findings])]


def assert_all_found(layout: O.Layout, scanner: Scanner) -> None:
    missing = _missing(layout, scanner)
    assert not missing, f"{layout.id} ({layout.file}, seen in: {layout.seen}): not reported: {missing}"


@pytest.mark.parametrize("layout", positives("suffix-affix"))
def test_names_with_affixes_around_the_credential_word(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("credential-words"))
def test_other_credential_words(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("env-fallback"))
def test_literal_fallbacks_beside_env_reads(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("lists-maps"))
def test_lists_and_maps_of_keys(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("syntax"))
def test_syntaxes(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("encoded"))
def test_encoded_values(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("notebook"))
def test_notebook_outputs_and_cells(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("signer"))
def test_keys_passed_to_signers(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("mnemonic-variant"))
def test_mnemonic_variants(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", positives("plain"))
def test_plain_layouts(layout, scanner) -> None:
    assert_all_found(layout, scanner)


@pytest.mark.parametrize("layout", [_param(lay, lay.id in FLAGGED, "reported although no secret is there")
                                    for lay in O.layouts(negative=True)])
def test_observed_negatives_are_not_reported(layout, scanner) -> None:
    text, _ = O.render(layout, O.seed_for(layout.id))
    findings, _ = scanner.scan_content(text.encode("utf-8"), layout.file)
    assert not findings, f"{layout.id} ({layout.family}): {[(f.line, f.rule, f.redacted) for f in findings]}"


# --- the corpus itself ----------------------------------------------------------------------------------------
def test_every_issue_family_and_syntax_has_layouts() -> None:
    families = {lay.top_family for lay in O.layouts(negative=False)}
    assert set(ISSUE_FAMILIES) <= families
    syntaxes = {lay.family.split(":", 1)[1] for lay in O.layouts("syntax")}
    assert set(ISSUE_SYNTAXES) <= syntaxes, set(ISSUE_SYNTAXES) - syntaxes
    assert len(O.layouts(negative=False)) >= 150 and len(O.layouts(negative=True)) >= 60


def test_known_lists_name_existing_layouts() -> None:
    ids = {lay.id: lay for lay in O.LAYOUTS}
    assert all(i in ids and not ids[i].negative for i in MISSED)
    assert all(i in ids and ids[i].negative for i in FLAGGED)


def test_layouts_are_unique_described_and_slot_only_where_positive() -> None:
    ids = [lay.id for lay in O.LAYOUTS]
    assert len(ids) == len(set(ids))
    for lay in O.LAYOUTS:
        assert lay.seen.strip() and lay.file and not lay.file.startswith("/")
        assert bool(lay.kinds()) != lay.negative, lay.id
        assert all(kind in O.SHAPES for kind in lay.kinds())


@pytest.mark.parametrize("layout", O.layouts(negative=False), ids=lambda lay: lay.id)
def test_labels_point_at_the_planted_values(layout) -> None:
    text, planted = O.render(layout, O.seed_for(layout.id))
    lines = text.split("\n")
    assert len(planted) == len(layout.kinds())
    for p in planted:
        first = p.value.split("\n")[0]
        where = lines[p.start - 1]
        assert first in where or first.replace('"', '\\"') in where, (layout.id, p.kind)
        if p.column:
            assert where[p.column - 1:].startswith(first) or where[p.column - 1:].startswith(
                first.replace('"', '\\"'))


def test_values_are_seeded_per_layout() -> None:
    lay = O.layouts("plain")[0]
    assert O.render(lay, O.seed_for(lay.id))[0] == O.render(lay, O.seed_for(lay.id))[0]
    assert O.render(lay, O.seed_for(lay.id))[0] != O.render(lay, O.seed_for(lay.id, seed=2))[0]


def test_materialised_corpus_labels_every_file(tmp_path) -> None:
    corpus = O.generate(tmp_path, seed=3)
    assert corpus.files == len(O.LAYOUTS)
    negatives = corpus.negative_files()
    assert len(negatives) == len(O.layouts(negative=True))
    assert {lab.layout for lab in corpus.positives()} == {lay.id for lay in O.layouts(negative=False)}
    for lab in corpus.labels:
        assert (tmp_path / lab.file).is_file()


def test_notebooks_are_valid_json_with_outputs() -> None:
    import json

    for lay in O.layouts("notebook"):
        doc = json.loads(O.render(lay, O.seed_for(lay.id))[0])
        assert doc["nbformat"] == 4 and doc["cells"]


def test_no_template_holds_a_literal_key_shaped_value() -> None:
    """Values come from the seeded generators: a template never spells out a long, varied run of key alphabet
    (a run of zeros, as in DEFAULT_ADMIN_ROLE, is allowed)."""
    long_token = re.compile(r"[A-Za-z0-9+/]{32,}")
    for lay in O.LAYOUTS:
        varied = [m.group(0) for m in long_token.finditer(lay.template) if len(set(m.group(0))) >= 8]
        assert not varied, lay.id


def test_benchmark_and_tests_agree(tmp_path) -> None:
    """bench/quality.py --observed-only (the CLI, as a user runs it) misses and flags exactly what these tests
    mark, and prints a family table."""
    import io

    import quality

    part = quality.run_observed(tmp_path / "observed", 1, set(), with_detect_secrets=False)
    assert set(part["missed_layouts"]) == set(MISSED)
    assert set(part["flagged_negatives"]) == FLAGGED
    out = io.StringIO()
    quality.print_observed({"observed": part}, out)
    assert "| suffix-affix |" in out.getvalue() and "| placeholder |" in out.getvalue()
