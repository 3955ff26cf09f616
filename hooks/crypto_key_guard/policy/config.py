"""Project configuration: `.crypto-key-guard.yaml` or `[tool.crypto-key-guard]` in pyproject.toml.

Command-line arguments override the file. An unknown key is an error that names it (a typo must not silently
turn a setting off). `crypto-key-guard config` prints the effective configuration.
"""
from __future__ import annotations

import os

from crypto_key_guard.errors import ConfigError

# `typing` and `pathlib` only for the type checker: their imports are ~3.5 and ~3-5 ms of a hook run. The hook's
# path (prepare) works on strings (root_dir, file, project_root_dir); Path is made for the commands that ask.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

YAML_NAME = ".crypto-key-guard.yaml"
PYPROJECT = "pyproject.toml"
IGNORE_NAME = ".crypto-key-guard-ignore"
SEVERITIES = ("low", "medium", "high", "critical")
CONFIDENCES = ("low", "medium", "high")
MAX_DAYS = 36500

# key -> (type check, description); nested sections list their own keys
SCHEMA: dict[str, Any] = {
    "patterns": "list", "disable": "list", "exclude": "list", "min_confidence": CONFIDENCES,
    "min_severity": SEVERITIES, "include_public_test_keys": "bool", "ignore_file": "str",
    "env_files": {"block": "list", "templates": "list"},
    "gitignore": {"require": "list"},
    "rotation": {"file": "str", "read_only": "days", "trading": "days", "withdrawal": "days"},
}
DEFAULTS: dict[str, Any] = {
    "patterns": [], "disable": [], "exclude": [], "min_confidence": "low", "min_severity": "low",
    "include_public_test_keys": False, "ignore_file": IGNORE_NAME,
    "env_files": {"block": [], "templates": []}, "gitignore": {"require": []},
    "rotation": {"file": ".key_rotation_log.json", "read_only": 90, "trading": 30, "withdrawal": 14},
}


class Config:
    __slots__ = ("root_dir", "source", "values")

    def __init__(self, root: str | os.PathLike, source: str | None = None,
                 values: dict[str, Any] | None = None) -> None:
        self.root_dir: str = os.fspath(root)  # the project root, as a string
        self.source = source    # the file it came from, None for defaults only
        self.values: dict[str, Any] = {} if values is None else values

    @property
    def root(self) -> Path:
        from pathlib import Path

        return Path(self.root_dir)

    def __repr__(self) -> str:
        return f"Config(root={self.root_dir!r}, source={self.source!r}, values={self.values!r})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not Config:
            return NotImplemented
        return (self.root_dir, self.source, self.values) == (other.root_dir, other.source, other.values)

    __hash__ = None  # mutable, like the dataclass it was

    def get(self, key: str) -> Any:
        if key in self.values:
            return self.values[key]
        return DEFAULTS[key]

    def section(self, key: str) -> dict[str, Any]:
        merged = dict(DEFAULTS[key])
        merged.update(self.values.get(key) or {})
        return merged

    def path(self, relative: str) -> Path:
        from pathlib import Path

        p = Path(relative)
        return p if p.is_absolute() else self.root / p

    def file(self, relative: str) -> str:
        """path() as a string, without pathlib (the hook's ignore file)."""
        return os.path.normpath(os.path.join(self.root_dir, relative))

    def effective(self) -> dict[str, Any]:
        out = {k: (self.section(k) if isinstance(DEFAULTS[k], dict) else self.get(k)) for k in DEFAULTS}
        return {"root": self.root_dir, "source": self.source, **out}


def project_root(start: str | os.PathLike = ".") -> Path:
    from pathlib import Path

    return Path(project_root_dir(start))


def project_root_dir(start: str | os.PathLike = ".") -> str:
    """project_root() as a string, without pathlib."""
    from crypto_key_guard.util.git import git_toplevel

    start_path = os.fspath(start) or "."
    if os.path.isfile(start_path):
        start_path = os.path.dirname(start_path) or "."
    top = (_holds_git_dir(start_path) or git_toplevel(start_path)) if os.path.isdir(start_path) else None
    return os.path.normpath(top) if top else os.path.realpath(start_path)


def _holds_git_dir(path: str) -> str | None:
    """The answer of `git rev-parse --show-toplevel` without starting git (which, with importing subprocess,
    costs a hook ~8 ms per commit) in the usual case, a hook running at the root of its repository: `path`
    holds the repository (.git directory, or a worktree's/submodule's .git file) and no GIT_DIR/GIT_WORK_TREE
    points elsewhere. git prints the physical path, as realpath does. None: ask git."""
    if "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ:
        return None
    dot_git = os.path.join(path, ".git")
    if os.path.isdir(dot_git):
        found = os.path.isfile(os.path.join(dot_git, "HEAD"))
    else:
        try:
            with open(dot_git, "rb") as fh:
                found = fh.read(8) == b"gitdir: "
        except OSError:
            found = False
    return os.path.realpath(path) if found else None


def finding_base(args: Any, start: str | os.PathLike = ".") -> str:
    """The directory a command's finding paths are relative to: the repository root for --staged and
    --history, else the current directory (`scan` names files as the user would open them from there)."""
    if any(getattr(args, name, None) for name in ("staged", "history", "since", "rev_range")):
        return project_root_dir(start)
    return os.getcwd()  # `scan` names files as given from here (one/file.py), whatever the roots


def root_relative(file: str, base: str | os.PathLike, root: str | os.PathLike) -> str:
    """A finding's path relative to the project root, with '/' (what ignore globs and SARIF URIs use);
    a file outside the root keeps its absolute path."""
    full = os.path.normpath(os.path.join(os.path.realpath(base), file))
    try:
        rel = os.path.relpath(full, os.path.realpath(root))
    except ValueError:  # another drive on Windows
        return _posix(full)
    return _posix(full) if rel == ".." or rel.startswith(".." + os.sep) else _posix(rel)


def _posix(path: str) -> str:
    """A normalised path with '/' (PurePath.as_posix without pathlib)."""
    return path if os.sep == "/" else path.replace(os.sep, "/")


def _check(value: Any, kind: Any, file: str, key: str) -> None:
    ok = {
        "list": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "bool": lambda v: isinstance(v, bool),
        "str": lambda v: isinstance(v, str) and v != "",
        # the same bounds as the rotation options: a huge number would overflow date arithmetic
        "days": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_DAYS,
    }
    if isinstance(kind, tuple):
        if value not in kind:
            raise ConfigError(file, f"'{key}' must be one of {', '.join(kind)}")
    elif not ok[kind](value):
        what = {"list": "a list of strings", "bool": "true or false", "str": "a non-empty string",
                "days": f"a whole number of days from 1 to {MAX_DAYS}"}[kind]
        raise ConfigError(file, f"'{key}' must be {what}")


def validate(data: Any, file: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(file, "the configuration must be a mapping of settings")
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = _key(key)
        if name not in SCHEMA:
            raise ConfigError(file, f"unknown key {str(key)!r} (known: {', '.join(SCHEMA)})")
        if name in out:
            raise ConfigError(file, f"'{name}' is set twice")
        kind = SCHEMA[name]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                raise ConfigError(file, f"'{name}' must be a mapping (known keys: {', '.join(kind)})")
            section: dict[str, Any] = {}
            for sub, subvalue in value.items():
                subname = _key(sub)
                if subname not in kind:
                    raise ConfigError(file, f"unknown key '{key}.{sub}' (known: {', '.join(kind)})")
                if subname in section:
                    raise ConfigError(file, f"'{name}.{subname}' is set twice")
                _check(subvalue, kind[subname], file, f"{name}.{subname}")
                section[subname] = subvalue
            out[name] = section
        else:
            _check(value, kind, file, name)
            out[name] = value
    return out


def _key(key: Any) -> str:
    """TOML users write min-severity, YAML users min_severity: accept both spellings."""
    return str(key).replace("-", "_")


def load_config(root: str | os.PathLike, explicit: str | None = None) -> Config:
    root = os.fspath(root)
    if explicit:
        from pathlib import Path

        path = str(Path(explicit))  # named as before in messages
        if not os.path.exists(path):
            raise ConfigError(explicit, "no such configuration file")
        return _load_file(path, root)
    yaml_path = os.path.join(root, YAML_NAME)
    if os.path.isfile(yaml_path):
        return _load_file(yaml_path, root)
    pyproject = os.path.join(root, PYPROJECT)
    if os.path.isfile(pyproject) and _mentions_us(pyproject):
        return _load_file(pyproject, root)
    return Config(root=root)


def _mentions_us(pyproject: str) -> bool:
    """Most pyproject.toml files have no section of ours: skip the TOML parser (an import per commit) then."""
    try:
        with open(pyproject, "rb") as fh:
            return b"crypto-key-guard" in fh.read()
    except OSError:
        return True  # let the real load report it


def _load_file(path: str, root: str) -> Config:
    if os.path.basename(path) == PYPROJECT or os.path.splitext(path)[1] == ".toml":
        try:
            import tomllib  # type: ignore[import-not-found]
        except ModuleNotFoundError:  # Python < 3.11
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            from crypto_key_guard.util.fs import read_regular_file

            data = tomllib.loads(read_regular_file(path).decode("utf-8-sig"))
        except OSError as exc:
            raise ConfigError(str(path), f"cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(str(path), f"cannot read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), f"TOML syntax error: {exc}") from None
        tool = data.get("tool")
        section = tool.get("crypto-key-guard") if isinstance(tool, dict) else None
        if section is None:
            return Config(root=root)
        return Config(root=root, source=f"{path} [tool.crypto-key-guard]",
                      values=validate(section, f"{path} [tool.crypto-key-guard]"))
    from crypto_key_guard.engine.rules import load_yaml

    return Config(root=root, source=str(path), values=validate(load_yaml(path, cached=True), str(path)))
