"""A push's findings as text: the history report, with advice for commits that have not leaked yet."""
from __future__ import annotations

from typing import IO

from crypto_key_guard.engine.scanner import ScanResult
from crypto_key_guard.reports.history import write_history_text
from crypto_key_guard.sources.pushed import Push


def client_advice(push: Push, abbrev: int) -> str:
    base = push.base[:abbrev] if push.base else ""
    rebase = f"git rebase -i {base}" if base else "git rebase -i --root"
    where = f" {push.remote}" if push.remote else ""
    return f"""\
The push was stopped: these commits are not on{where or ' the remote'} yet, so nothing has leaked. Rewrite them:
  - the secret is in the last commit only: take it out of the file, `git add` it, then `git commit --amend`;
  - an older commit: `{rebase}`, mark the commit named above `edit`, take the value out, `git add` it,
    `git commit --amend`, `git rebase --continue`. A key removed by a later commit is still in the one that
    added it: rewrite that one (or squash them).
  - a commit message: `reword` it in the same rebase (`git commit --amend` for the last commit).
Then push again, and load the key from the environment (os.environ / a git-ignored .env). If the key was
ever pushed elsewhere or shared, rotate it at the exchange too."""


SERVER_ADVICE = """\
This server refused the push: the commits above introduce a secret, and nothing of this push was stored here.
Rewrite them in your clone before pushing again:
  - the secret is in the last commit only: take it out, `git add` it, `git commit --amend`;
  - an older commit: `git rebase -i <the branch on this server>`, mark the commit named above `edit` (or
    `reword` for a commit message), take the value out, `git commit --amend`, `git rebase --continue`. A key
    removed by a later commit is still in the one that added it.
Load the key from the environment instead (os.environ / a git-ignored .env). If it was ever pushed anywhere
else, rotate it at the exchange. A false alarm: accept it in .crypto-key-guard-ignore (committed) by
fingerprint."""


def report(result: ScanResult, out: IO[str], advice: str, prog: str) -> None:
    for message in result.notes + result.errors:
        print(f"{prog}: {message}", file=out)
    write_history_text(result, out, advice=advice, summary="in the pushed commits", head=False)
