"""Vendored trees: a committed virtual environment, `site-packages` or `node_modules`.

Installed packages are not the user's code: their test suites carry key-shaped test vectors by the thousand, and a
finding per line would bury what matters. Every source (the hooks' file lists, a tree, the index, history) asks the
session whether a path is excluded; a path inside a vendored tree is, and the tree is reported once, as what it
is, with what to do. `--scan-vendored` scans them line by line anyway.
"""
from __future__ import annotations

import os

# directories that hold installed packages wherever they are
PACKAGE_DIRS = frozenset(("site-packages", "dist-packages", "node_modules"))
# a virtual environment's marker file (python -m venv, virtualenv, uv, poetry); looked for in directories this
# many levels deep at most (a venv sits at the root of a project or one level down)
VENV_MARKER = "pyvenv.cfg"
VENV_DEPTH = 2


class VendoredTrees:
    """Which paths lie in a vendored tree, and how many files each tree held (for its one note)."""

    __slots__ = ("trees", "_venv_dirs")

    def __init__(self) -> None:
        self.trees: dict[str, list] = {}        # root (with a trailing /) -> [what it is, files skipped]
        self._venv_dirs: dict[str, bool] = {}   # directory -> holds pyvenv.cfg

    def take(self, path: str) -> bool:
        """True when path lies in a vendored tree (it is counted, not scanned)."""
        found = self.root_of(path)
        if found is None:
            return False
        root, what = found
        entry = self.trees.setdefault(root, [what, 0])
        entry[1] += 1
        return True

    def root_of(self, path: str) -> tuple[str, str] | None:
        parts = path.replace("\\", "/").split("/")
        if parts and parts[0] == ".":
            parts = parts[1:]
        for depth in range(min(VENV_DEPTH, len(parts) - 1)):
            directory = "/".join(parts[:depth + 1])
            if parts[depth + 1] == VENV_MARKER or self._holds_venv_marker(directory):
                return directory + "/", "a virtual environment"
        for i, part in enumerate(parts[:-1]):
            if part not in PACKAGE_DIRS:
                continue
            if part == "node_modules":
                return "/".join(parts[:i + 1]) + "/", "installed Node packages (node_modules)"
            # <venv>/lib/python3.X/site-packages (POSIX) or <venv>/Lib/site-packages (Windows): the venv itself
            # (dist-packages is Debian's system directory, never a venv's)
            venv = part == "site-packages"
            if venv and i >= 3 and parts[i - 1].startswith("python") and parts[i - 2] in ("lib", "lib64"):
                return "/".join(parts[:i - 2]) + "/", "a virtual environment"
            if venv and i >= 2 and parts[i - 1] == "Lib":
                return "/".join(parts[:i - 1]) + "/", "a virtual environment"
            return "/".join(parts[:i + 1]) + "/", f"installed Python packages ({part})"
        return None

    def _holds_venv_marker(self, directory: str) -> bool:
        known = self._venv_dirs.get(directory)
        if known is None:
            known = self._venv_dirs[directory] = os.path.isfile(os.path.join(directory, VENV_MARKER))
        return known

    def notes(self, repository: str | None = None) -> list[str]:
        """One line per vendored tree: what it is, that it was not scanned, and what to do (which depends on
        whether git tracks it: `git rm --cached` is no advice for a virtual environment that was never added).
        repository: the roots are paths from that repository's top (history), not from the current directory."""
        from crypto_key_guard.util.display import printable, shell_quote

        tracked = tracked_roots(list(self.trees), repository)
        out = []
        for root, (what, count) in sorted(self.trees.items()):
            shown, quoted = printable(root), shell_quote(root.rstrip("/"))
            if tracked is None:  # not in a git work tree, or git failed: both cases said
                advice = (f"If it is committed, `git rm -r --cached -- {quoted}` takes it out of the next commit; "
                          f"either way add `{shown}` to .gitignore.")
            elif root in tracked:
                advice = f"It does not belong in git: `git rm -r --cached -- {quoted}` and add `{shown}` to .gitignore."
            else:
                advice = f"git does not track it: add `{shown}` to .gitignore to keep it out of commits."
            out.append(f"{shown}: {what}, {count} file{'s' if count != 1 else ''} not scanned line by line "
                       f"(installed packages, whose test keys are not your secrets). {advice} "
                       "To scan it anyway: --scan-vendored")
        return out


def tracked_roots(roots: list[str], repository: str | None = None) -> set[str] | None:
    """The roots under which git's index holds at least one file (one `git ls-files` for them all), or None
    when that cannot be told (no git, not a work tree, a root outside it). Roots are paths from the current
    directory, or from the top of `repository` when given."""
    if not roots:  # the common case, on a hook's path: no git, no subprocess import
        return set()
    import subprocess

    if repository is None:  # compared as git prints them: relative to the current directory
        try:
            specs = {root: os.path.relpath(root) for root in roots}
        except ValueError:  # another drive (Windows)
            return None
        command = ["git", "ls-files", "-z", "--"]
    else:
        specs = {root: root.rstrip("/") for root in roots}
        command = ["git", "-C", repository, "ls-files", "-z", "--full-name", "--"]
    try:
        magic = ":(top,literal)" if repository else ":(literal)"  # a directory named `*` is no glob
        out = subprocess.run(command + [magic + spec for spec in specs.values()], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    listed = [os.fsdecode(p) for p in out.stdout.split(b"\0") if p]
    return {root for root, spec in specs.items() if any(p.startswith(spec + "/") for p in listed)}
