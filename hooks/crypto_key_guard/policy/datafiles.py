"""The non-rule YAML data beside the rules: env-file lists and gitignore requirements."""
from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import PurePosixPath

from crypto_key_guard.errors import ConfigError
from crypto_key_guard.util.records import record
from crypto_key_guard.engine.rules import builtin_patterns_dir, load_yaml


def _section(filename: str, key: str) -> tuple[str, dict]:
    path = builtin_patterns_dir() / filename
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise ConfigError(str(path), f"expected a mapping under '{key}:'")
    return str(path), data[key]


def _strings(value: object, file: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(file, f"'{key}' must be a list of non-empty strings")
    return list(value)


@record
class EnvFileLists:
    blocked: tuple[str, ...]
    templates: tuple[str, ...]
    wallets: tuple[str, ...] = ()
    private_keys: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()
    code_in_blocked_dirs: tuple[str, ...] = ()


def load_env_file_lists() -> EnvFileLists:
    file, section = _section("env-files.yaml", "env_files")

    def strings(key: str, required: bool = False) -> tuple[str, ...]:
        if key not in section and not required:
            return ()
        return tuple(_strings(section.get(key), file, f"env_files.{key}"))

    return EnvFileLists(strings("blocked", True), strings("templates", True), strings("wallets"),
                        strings("private_keys"), strings("placeholders"), strings("code_in_blocked_dirs"))


@record
class IgnoreRequirement:
    path: str   # a path git must ignore
    entry: str  # what --fix appends when it is not ignored


def load_gitignore_requirements() -> tuple[list[IgnoreRequirement], list[str]]:
    file, section = _section("gitignore.yaml", "gitignore")
    required = section.get("required")
    if not isinstance(required, list) or not all(
            isinstance(r, dict) and isinstance(r.get("path"), str) and isinstance(r.get("entry"), str)
            for r in required):
        raise ConfigError(file, "'gitignore.required' must be a list of {path: ..., entry: ...}")
    return ([IgnoreRequirement(r["path"], r["entry"]) for r in required],
            _strings(section.get("templates"), file, "gitignore.templates"))


def path_matches(path: str, pattern: str) -> bool:
    """Glob match in the style of the lists above (not git's: these name files, they do not ignore them)."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if not parts:
        return False
    if pattern.endswith("/"):  # a directory, anywhere: `secrets/`, `tests/fixtures/`
        dirs, parents = PurePosixPath(pattern.rstrip("/")).parts, parts[:-1]
        return any(all(fnmatchcase(p, d) for p, d in zip(parents[i:i + len(dirs)], dirs))
                   for i in range(len(parents) - len(dirs) + 1))
    if "/" not in pattern:
        return fnmatchcase(parts[-1], pattern)
    pattern_parts = PurePosixPath(pattern).parts
    tail = "/".join(parts[-len(pattern_parts):])
    return len(parts) >= len(pattern_parts) and fnmatchcase(tail, "/".join(pattern_parts))
