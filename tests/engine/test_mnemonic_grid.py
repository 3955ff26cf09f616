"""A seed phrase written in a table or in columns (issue 14): Markdown tables of numbered words, Markdown grids,
paper backups in two or three numbered columns. The checksum decides; the words are read in the order their
numbers give, else row by row, else column by column. Phrases are generated at test time (seeded)."""
from __future__ import annotations

import random

import pytest

from crypto_key_guard.engine.examples import expand
from crypto_key_guard.engine.scanner import Scanner


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


def grid_findings(scanner: Scanner, text: str, path: str = "backup.md") -> list[tuple[int, str]]:
    findings, _ = scanner.scan_content(text.encode(), path)
    return [(f.line, f.rule) for f in findings if f.rule.startswith("bip39")]


LAYOUTS = {
    "md-numbered": "| # | word |\n|---|------|\n{{mnemonic:{n},mdtable}}\n",
    "md-grid": "| 1-4 | 5-8 | 9-12 |\n|---|---|---|\n{{mnemonic:{n},mdgrid}}\n",
    "two-columns": "{{mnemonic:{n},columns2}}\n",
    "three-columns": "Recovery sheet\n\n{{mnemonic:{n},columns3}}\n\nKeep offline.\n",
    "two-columns-crlf": "{{mnemonic:{n},columns2}}\n",
}


@pytest.mark.parametrize("count", [12, 24])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_phrase_in_a_table_or_columns_is_reported(layout: str, count: int, scanner: Scanner) -> None:
    text = expand(LAYOUTS[layout].format(n=count), random.Random(f"{layout}{count}"))
    if layout == "two-columns-crlf":
        text = text.replace("\n", "\r\n")
    found = grid_findings(scanner, text)
    assert found, (layout, text)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_wrong_checksum_is_not_reported(layout: str, seed: int, scanner: Scanner) -> None:
    template = LAYOUTS[layout].format(n=12).replace("mdtable}", "mdtable,badsum}").replace(
        "mdgrid}", "mdgrid,badsum}").replace("columns2}", "columns2,badsum}").replace("columns3}", "columns3,badsum}")
    assert "badsum" in template
    assert grid_findings(scanner, expand(template, random.Random(seed))) == []


NOT_PHRASES = [
    # Markdown tables of ordinary words, numbered lists, a table of BIP39 words that is the word list itself
    "| name | type | note |\n|---|---|---|\n| id | int | key |\n| user | text | login |\n| role | text | acl |\n",
    "| step | action |\n|---|---|\n| 1 | build |\n| 2 | test |\n| 3 | deploy |\n| 4 | verify |\n",
    "| abandon | ability | able | about |\n| above | absent | absorb | abstract |\n"
    "| absurd | abuse | access | accident |\n",
    # columns of words in a README
    "cat    dog     bird\nfish   frog    toad\nwolf   bear    deer\nlion   mole    hare\n",
]


@pytest.mark.parametrize("text", NOT_PHRASES)
def test_tables_and_columns_of_other_words_are_not_reported(text: str, scanner: Scanner) -> None:
    assert grid_findings(scanner, text) == []
