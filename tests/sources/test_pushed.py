"""How each side of a push describes it, turned into history-scanner revisions."""
from __future__ import annotations

import pytest

from crypto_key_guard.errors import UsageError
from crypto_key_guard.reports.push import client_advice
from crypto_key_guard.sources.pushed import (Push, RefUpdate, from_pre_commit_env, from_pre_push_lines,
                                             from_pre_receive_lines)

Z = "0" * 40
A, B, C = "a" * 40, "b" * 40, "c" * 40


def known(*shas: str):
    return lambda rev: rev in shas


def test_pre_commit_env_existing_branch_is_remote_tip_to_local_tip() -> None:
    env = {"PRE_COMMIT_FROM_REF": A, "PRE_COMMIT_TO_REF": B, "PRE_COMMIT_REMOTE_NAME": "origin",
           "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main", "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}
    push = from_pre_commit_env(env, known(A, B))
    assert push is not None and push.revs() == [B, "--not", A, "--remotes=origin"] and push.base == A


def test_pre_commit_env_whole_new_history_is_judged_against_the_remote() -> None:
    env = {"PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_LOCAL_BRANCH": "HEAD",
           "PRE_COMMIT_REMOTE_URL": "/x", "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}
    push = from_pre_commit_env(env, known())
    assert push is not None and push.revs() == ["HEAD", "--not", "--remotes=origin"] and push.base == ""
    assert "git rebase -i --root" in client_advice(push, 7)


def test_pre_commit_env_without_a_push_is_none_and_options_are_refused() -> None:
    assert from_pre_commit_env({}, known()) is None
    with pytest.raises(UsageError):
        from_pre_commit_env({"PRE_COMMIT_FROM_REF": "--output=x", "PRE_COMMIT_TO_REF": B}, known())


def test_pre_push_lines_new_branch_existing_branch_and_deletion() -> None:
    lines = [f"refs/heads/new {A} refs/heads/new {Z}",          # new branch: judged against --remotes
             f"refs/heads/main {B} refs/heads/main {C}",        # existing: minus the remote's tip
             f"(delete) {Z} refs/heads/gone {A}",               # deletion: nothing pushed
             "garbage line"]
    push = from_pre_push_lines(lines, "origin", known(A, B, C))
    assert push.tips == [A, B]
    assert push.revs() == [A, B, "--not", C, "--remotes=origin"]


def test_pre_push_remote_tip_we_do_not_have_is_not_a_negative() -> None:
    push = from_pre_push_lines([f"refs/heads/main {B} refs/heads/main {C}"], "origin", known(B))
    assert push.revs() == [B, "--not", "--remotes=origin"]


def test_pre_receive_lines_skip_deletions_and_exclude_every_existing_ref() -> None:
    push = from_pre_receive_lines([f"{Z} {A} refs/heads/new", f"{B} {C} refs/tags/v1", f"{A} {Z} refs/heads/x"])
    assert [u.ref for u in push.updates] == ["refs/heads/new", "refs/tags/v1"]
    assert push.revs() == [A, C, "--not", "--all"]
    assert from_pre_receive_lines([f"{A} {Z} refs/heads/x"]).tips == []


def test_push_base_only_with_one_remote_tip() -> None:
    push = Push([RefUpdate("r1", A, B), RefUpdate("r2", C, B)])
    assert push.base == "" and push.tips == [B]
