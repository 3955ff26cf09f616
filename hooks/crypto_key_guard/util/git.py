"""The repository a path belongs to, asked of git (policy and sources both need it)."""
from __future__ import annotations

TYPE_CHECKING = False  # `typing` only for the type checker: its import is ~3.5 ms of a hook run
if TYPE_CHECKING:
    from typing import Optional



def git_toplevel(path: str = ".") -> Optional[str]:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", path, "rev-parse", "--show-toplevel"],
                             capture_output=True, check=False)
    except OSError:
        return None
    return out.stdout.decode("utf-8", "surrogateescape").strip() if out.returncode == 0 else None
