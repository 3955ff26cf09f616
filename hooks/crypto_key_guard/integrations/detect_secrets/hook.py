"""The detect-exchange-secrets hook: detect-secrets (its default plugins plus ours) with a baseline, no silent gaps.

Takes detect-secrets-hook's arguments (`--baseline FILE`, file names, `--exclude-lines`, `-p`, ...) and its
exit codes: 0 clean, 1 new secrets, 3 the baseline was rewritten (line numbers moved), plus 2 for a usage or
configuration error. Differences from detect-secrets-hook, all on purpose:

- Fails closed: a plugin that cannot be loaded (a baseline's `plugins_used` path that does not exist here,
  a plugin file that does not import, an unknown plugin name) is exit 2 with a message, where
  detect-secrets-hook logs "Unable to load plugins!", scans with no plugin at all and exits 0. A baseline
  entry that names *our* plugin file at another machine's path is read as this install's plugin file.
- Our plugins always run, next to the baseline's. detect-secrets' heuristic filters (is_potential_uuid,
  is_indirect_reference, ...) are kept for its own plugins and skipped for our secret types, which the
  engine has already filtered with its own validators, context checks and placeholder list: a KuCoin secret
  (a UUID) and a one-line ccxt dict are reported. Multi-line secrets come from the plugin's whole-file scan.
- A rewritten baseline keeps its `plugins_used` as it was: this machine's plugin path is never written in.
- Output shows values redacted (at most 4 characters at each end), never whole.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from typing import Any, Callable, Dict, Iterator, List, Sequence

from crypto_key_guard.errors import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, console_main
from crypto_key_guard.policy.options import split_argv

PROG = "detect-exchange-secrets"
EXIT_BASELINE_UPDATED = 3
# detect-secrets heuristics meant for its generic detectors; our types skip them (see the docstring)
HEURISTICS = (
    "is_potential_uuid", "is_indirect_reference", "is_sequential_string", "is_likely_id_string",
    "is_templated_secret", "is_prefixed_with_dollar_sign", "is_not_alphanumeric_string",
)


class PluginLoadError(Exception):
    """A configured plugin cannot be loaded: scanning without it would pass silently."""


BASELINE_HINT = ("no baseline at {path} yet: create it once with `pre-commit run detect-exchange-secrets-baseline "
                 "--hook-stage manual` (or `detect-exchange-secrets --create-baseline {path}`), review it, commit it")


@console_main
def main(argv: Sequence[str] | None = None) -> int:
    args_list = split_argv(argv)
    try:
        import detect_secrets  # noqa: F401
    except ImportError:
        return _error("detect-secrets is not installed (pip install 'crypto-key-guard[detect-secrets]')")
    if args_list[:1] == ["--create-baseline"]:
        return create_baseline(args_list[1] if len(args_list) > 1 else ".secrets.baseline")
    missing = _missing_baseline(args_list)
    if missing:  # first use: one line saying how to start, not detect-secrets' usage text twice
        return _error(BASELINE_HINT.format(path=missing))
    from detect_secrets import pre_commit_hook
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import cache_bust

    from crypto_key_guard.errors import UsageError
    from crypto_key_guard.integrations.detect_secrets.bridge import forget_files, plugin_classes

    try:
        ours = plugin_classes()
    except UsageError as exc:  # a broken rule file: our plugins cannot be built
        return _error(f"cannot build the crypto-key-guard plugins: {exc}")
    # detect-secrets keeps its settings in process-wide singletons: start from a clean state every run
    cache_bust()
    get_mapping_from_secret_type_to_class.cache_clear()
    forget_files()
    # `--disable-plugin` checks names against this table while parsing: make ours known to it
    mapping = get_mapping_from_secret_type_to_class()
    for cls in ours.values():
        mapping[cls.secret_type] = cls
    try:
        args = pre_commit_hook.parse_args(args_list)
    except ValueError:  # the baseline is modified but unstaged; detect-secrets-hook printed why
        return EXIT_FINDINGS
    except SystemExit as exc:  # argparse (--help, bad options) and detect-secrets' own usage errors
        return EXIT_CLEAN if exc.code in (0, None) else EXIT_USAGE
    except BrokenPipeError:  # the reader left while --help was printed (Python 3.10): console_main ends quietly
        raise
    except Exception as exc:  # e.g. a `-p` plugin file that does not import
        return _error(f"cannot load the configuration: {_one_line(exc)}")

    try:
        restore_paths, added = configure_plugins(args, ours)
    except PluginLoadError as exc:
        return _error(f"{exc}; refusing to scan without it (detect-secrets-hook would pass without it)")
    if getattr(args, "list_all_plugins", False):
        from detect_secrets.settings import get_settings

        print("\n".join(sorted(get_settings().plugins)))
        return EXIT_CLEAN
    with heuristics_for_other_plugins_only():
        return scan(args, restore_paths, added)


def _missing_baseline(args: list[str]) -> str:
    """The --baseline file named on the command line when it does not exist ('' otherwise)."""
    import os

    for i, arg in enumerate(args):
        path = args[i + 1] if arg == "--baseline" and i + 1 < len(args) else \
            arg.split("=", 1)[1] if arg.startswith("--baseline=") else None
        if path and not os.path.exists(path):
            return path
    return ""


def create_baseline(path: str) -> int:
    """A new baseline of the repository (detect-secrets' plugins and ours), written atomically; never replaces one."""
    import contextlib
    import io
    import os

    from crypto_key_guard.integrations.detect_secrets.cli import main as ds_main
    from crypto_key_guard.integrations.detect_secrets.plugin_path import plugin_file

    if os.path.exists(path):
        return _error(f"{path} already exists: this never replaces a baseline (the hook updates it as you commit)")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = ds_main(["scan", "--plugin", plugin_file()])
    if code != 0 or not out.getvalue().strip():
        return _error(f"detect-secrets scan failed (exit {code}); {path} not written")
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(out.getvalue())
    os.replace(temporary, path)
    print(f"{PROG}: wrote {path}: review it (crypto-key-guard detect-secrets audit {path}) and commit it")
    return EXIT_CLEAN


def _error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# -- plugins: ours added, every configured one loaded or exit 2 ----------------------------------------------
def is_our_plugin_path(path: str) -> bool:
    """A path to our plugin file in some install (another machine's, an old virtualenv)."""
    parts = os.path.normpath(path).replace("\\", "/").split("/")
    return parts[-2:] == ["crypto_key_guard", "detect_secrets_plugin.py"]


def configure_plugins(args: Any, ours: Dict[str, type]) -> tuple[Dict[str, str], List[str]]:
    """Add our plugins to the settings, resolve and load every configured plugin; raise PluginLoadError.

    Returns the original `path` of entries that were pointed at this install's plugin file, and the names
    of the plugins added in memory, so that a rewritten baseline can leave both out.
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import get_plugins, get_settings

    from crypto_key_guard.integrations.detect_secrets.bridge import plugin_file

    settings = get_settings()
    here = "file://" + plugin_file()
    restore: Dict[str, str] = {}
    for name, config in settings.plugins.items():
        path = config.get("path")
        if path is None:
            continue
        if not path.startswith("file://"):
            raise PluginLoadError(f"plugin {name!r}: unsupported path {path!r} (only file:// paths load)")
        filename = path[len("file://"):]
        if not os.path.isfile(filename):
            if not is_our_plugin_path(filename):
                raise PluginLoadError(f"plugin {name!r} cannot be loaded: {filename} does not exist")
            restore[name] = path
            config["path"] = here
    disabled = set(getattr(args, "disable_plugin", None) or ())
    # not in the settings, or there without a path (put there by detect-secrets' default plugin list, which
    # includes ours because main() registered them): this install's file, added in memory only
    added = [name for name in ours
             if name not in disabled and "path" not in settings.plugins.get(name, {})]
    settings.configure_plugins([{"name": name, "path": here} for name in added])
    # the table may have been built before the baseline named its plugins: build it again, now
    get_mapping_from_secret_type_to_class.cache_clear()
    get_plugins.cache_clear()
    try:
        loaded = {type(p).__name__ for p in get_plugins()}
    except Exception as exc:  # FileNotFoundError, ImportError, SyntaxError, TypeError (unknown name), ...
        raise PluginLoadError(f"a configured plugin cannot be loaded ({_one_line(exc)})") from None
    missing = sorted(set(settings.plugins) - loaded)
    if missing:
        raise PluginLoadError(f"plugin(s) {', '.join(missing)} did not load")
    return restore, added


# -- filters: detect-secrets' heuristics for its own plugins only ---------------------------------------------
@contextlib.contextmanager
def heuristics_for_other_plugins_only() -> Iterator[None]:
    """Wrap the heuristic filters so they pass our secret types and judge every other plugin as before.

    detect-secrets finds a filter by its dotted path at scan time, so the wrapper replaces the function in
    its module for the duration of the scan; the settings, and so the baseline's `filters_used`, are
    unchanged. A wrapper takes `secret`: a line filter (is_indirect_reference) then runs once per found
    secret instead of once per line, dropping detect-secrets' findings on that line exactly as before.
    """
    from detect_secrets.filters import heuristic
    from detect_secrets.settings import get_filters

    originals = {name: getattr(heuristic, name) for name in HEURISTICS if hasattr(heuristic, name)}
    for name, original in originals.items():
        setattr(heuristic, name, _for_other_plugins(original))
    get_filters.cache_clear()
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(heuristic, name, original)
        get_filters.cache_clear()


def _for_other_plugins(original: Callable[..., bool]) -> Callable[..., bool]:
    from detect_secrets.util.inject import get_injectable_variables

    wanted = get_injectable_variables(original)

    def wrapper(secret: str, line: str, plugin: Any = None) -> bool:
        if plugin is not None and _is_ours(plugin):
            return False
        given = {"secret": secret, "line": line, "plugin": plugin}
        return bool(original(**{k: given[k] for k in wanted if k in given}))

    wrapper.__name__ = original.__name__
    wrapper.__doc__ = original.__doc__
    return wrapper


def _is_ours(plugin: Any) -> bool:
    from crypto_key_guard.integrations.detect_secrets.bridge import is_our_type

    return is_our_type(str(getattr(plugin, "secret_type", "")))


# -- the scan, as detect-secrets-hook does it -------------------------------------------------------------------
def scan(args: Any, restore_paths: Dict[str, str], added: List[str]) -> int:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.pre_commit_hook import should_update_baseline

    secrets = SecretsCollection()
    for filename in args.filenames:
        secrets.scan_file(filename)
    new_secrets = secrets - args.baseline if args.baseline else secrets
    if new_secrets:
        if args.json:
            from detect_secrets.core.baseline import format_for_output

            print(json.dumps(format_for_output(new_secrets), indent=2))
        else:
            print_findings(new_secrets, "new secret(s) not in the baseline" if args.baseline else "secret(s) found")
        return EXIT_FINDINGS
    if not args.baseline:
        return EXIT_CLEAN
    if not should_update_baseline(args.baseline, scanned_results=secrets, filelist=args.filenames,
                                  baseline_version=args.baseline_version):
        return EXIT_CLEAN
    write_baseline(args, restore_paths, added)
    print(f"The baseline file was updated (line numbers of known secrets moved).\n"
          f"Please `git add {args.baseline_filename}`, thank you.\n")
    return EXIT_BASELINE_UPDATED


def write_baseline(args: Any, restore_paths: Dict[str, str], added: List[str]) -> None:
    """Save the trimmed baseline like detect-secrets-hook does, minus what this process changed in memory."""
    from detect_secrets.core.baseline import format_for_output

    doc = format_for_output(args.baseline)
    plugins = []
    for entry in doc.get("plugins_used", []):
        if entry.get("name") in added:
            continue
        if entry.get("name") in restore_paths:
            entry = dict(entry, path=restore_paths[entry["name"]])
        plugins.append(entry)
    doc["plugins_used"] = plugins
    # pre-commit may run several batches at once: each writes its own temporary file, then renames it
    target = os.path.abspath(args.baseline_filename)
    fd, tmp = tempfile.mkstemp(prefix=".secrets-baseline-", dir=os.path.dirname(target))
    try:
        os.chmod(tmp, os.stat(target).st_mode & 0o7777)  # mkstemp makes it 0600; keep the file's mode
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=2) + "\n")
        os.replace(tmp, args.baseline_filename)
    except BaseException:
        os.unlink(tmp)
        raise


def print_findings(secrets: Any, what: str) -> None:
    """One line per new secret, redacted, then what to do. Raw values never reach the output."""
    from crypto_key_guard.engine.findings import redact
    from crypto_key_guard.integrations.detect_secrets.bridge import is_our_type, remediation_for
    from crypto_key_guard.reports.text import ADVICE
    from crypto_key_guard.util.display import printable

    count = 0
    advice: Dict[str, str] = {}
    for filename, secret in sorted(secrets, key=lambda fs: (fs[0], fs[1].line_number, fs[1].type)):
        value = secret.secret_value
        shown = f" (value {redact(value)})" if value else ""
        print(f"{printable(filename)}:{secret.line_number}: {secret.type}{shown}")
        if is_our_type(secret.type) and secret.type not in advice:
            advice[secret.type] = remediation_for(secret.type)
            if advice[secret.type]:
                print(f"    {advice[secret.type]}")
        count += 1
    print(f"\n{count} {what}. {ADVICE}")


if __name__ == "__main__":
    raise SystemExit(main())
