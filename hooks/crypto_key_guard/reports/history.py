"""`scan --history` findings as text: each secret with the commits that added and removed it."""
from __future__ import annotations

from typing import IO

from crypto_key_guard.engine.scanner import ScanResult
from crypto_key_guard.reports.text import finding_line
from crypto_key_guard.util.display import printable

HISTORY_ADVICE = """\
What to do about a secret in git history:
  1. Rotate it first. Delete the key at the exchange (or wherever it was issued) and create a new one:
     removing it from history does not un-leak it, since every clone, fork and scraper already has it.
     For a seed phrase or a private key: move the funds to a new wallet now.
  2. Then, if the repository is or will ever be public, rewrite history with git filter-repo:
     `--replace-text FILE` (FILE lists the leaked values, one per line) or `--invert-paths --path .env` for
     a whole file; force-push every branch and tag and have collaborators re-clone. Hosting services keep
     cached views and pull-request refs: ask them to purge.
  3. Entries marked "still in HEAD": also take the value out of the current files and load it from the
     environment (os.environ / a git-ignored .env)."""


def _place_line(place: dict, head: bool = True) -> str:
    def commit(c: dict) -> str:
        ref = f" ({c['ref']})" if c.get("ref") else ""
        edge = " [shallow boundary: may be older]" if c.get("shallow_boundary") else ""
        return f"{c['short']}{ref} {c['date'][:10]} \"{c['subject']}\"{edge}"
    parts = [f"{printable(place['path'])}:{place['line']}"]
    if place["introduced_in"]:
        parts.append("added in " + ", ".join(commit(c) for c in place["introduced_in"]))
    if place["removed_in"]:
        parts.append("removed in " + ", ".join(commit(c) for c in place["removed_in"]))
    if place.get("note"):
        parts.append(place["note"])
    else:
        parts.append(f"in {place['commits']} commit(s)")
    if head:
        parts.append("STILL IN HEAD" if place["in_head"] else "not in HEAD")
    return "; ".join(parts)


def write_history_text(result: ScanResult, out: IO[str], advice: str = HISTORY_ADVICE,
                       summary: str = "in git history", head: bool = True) -> None:
    """The text report; a push (head=False) is judged by its commits alone, so HEAD is not mentioned."""
    for f in result.findings:
        print(finding_line(f), file=out)
        if "verification" in f.extra:  # scan --history --verify
            print(f"    verification: {f.extra['verification']['summary']}", file=out)
        intro = f.extra.get("introduced")
        if intro:
            where = f"; {'still in HEAD' if f.extra['in_head'] else 'no longer in HEAD'}" if head else ""
            print(f"    introduced {intro['date'][:10]} in {intro['short']} \"{intro['subject']}\" "
                  f"({printable(intro['path'])}){where}", file=out)
        for place in f.extra["places"]:
            print(f"      {_place_line(place, head)}", file=out)
        if f.remediation:
            print(f"    {f.remediation}", file=out)
    s = result.stats
    if result.findings:
        in_head = f" ({s['secrets_in_head']} still in HEAD)" if head else ""
        print(f"\n{len(result.findings)} secret(s) found {summary}{in_head}; "
              f"{s['commits']} commits, {s['unique_blobs']} unique blobs, each scanned once.\n{advice}",
              file=out)
