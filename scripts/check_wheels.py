"""Does crypto-key-guard install from wheels only on every platform and Python we claim?

    python scripts/check_wheels.py            # hard dependencies, oldest and newest claimed Python: exit 1 if any
                                              # would be built from source
    python scripts/check_wheels.py --all      # every claimed Python, plus the optional google-re2 (a table)

For each platform, Python and dependency it asks the package index what pip would install there, twice, with
`pip download --no-deps --platform P --python-version V --implementation cp --abi cpXY`: once as a user's
pip would (the newest release, wheel or source) and once binary-only. A hard dependency passes when the
newest release has a wheel. google-re2 is optional: where it has no wheel the scanner runs on the stdlib
matcher (engine/regex.py), shown as "fallback".
"""
from __future__ import annotations

import argparse
import configparser
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# where pre-commit users run: Linux glibc and musl (Alpine CI images), macOS, Windows
PLATFORMS = {
    "linux-glibc-x86_64": "manylinux2014_x86_64",
    "linux-glibc-aarch64": "manylinux2014_aarch64",
    "linux-musl-x86_64": "musllinux_1_2_x86_64",
    "linux-musl-aarch64": "musllinux_1_2_aarch64",
    "macos-arm64": "macosx_11_0_arm64",
    "macos-x86_64": "macosx_10_15_x86_64",  # PyYAML builds for 10.15 and newer
    "windows-amd64": "win_amd64",
}
# a newer glibc has newer wheels (google-re2 builds manylinux_2_28 only): checked for the optional one
MODERN_GLIBC = {"linux-glibc-x86_64": "manylinux_2_28_x86_64", "linux-glibc-aarch64": "manylinux_2_28_aarch64",
                "macos-arm64": "macosx_14_0_arm64", "macos-x86_64": "macosx_14_0_x86_64"}
OPTIONAL = "google-re2"


def claimed_pythons() -> list[str]:
    """The Python versions setup.cfg's classifiers claim, oldest first."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    found = re.findall(r"Programming Language :: Python :: (3\.\d+)\s*$",
                       config.get("metadata", "classifiers"), re.M)
    return sorted(set(found), key=lambda v: int(v.split(".")[1]))


def hard_dependencies() -> list[str]:
    """install_requires without those limited to Pythons we do not claim (e.g. tomli below 3.11)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    deps = []
    for line in config.get("options", "install_requires").splitlines():
        line = line.split("#")[0].strip()
        if line:
            deps.append(line)
    return deps


def applies(requirement: str, python: str) -> bool:
    """Whether a requirement's python_version marker (the only kind we use) holds for this Python."""
    if ";" not in requirement:
        return True
    marker = requirement.split(";", 1)[1]
    m = re.fullmatch(r'\s*python_version\s*(<|<=|>=|>)\s*"(3\.\d+)"\s*', marker)
    if not m:
        raise SystemExit(f"check_wheels.py understands python_version markers only: {requirement!r}")
    ours, theirs = int(python.split(".")[1]), int(m.group(2).split(".")[1])
    return {"<": ours < theirs, "<=": ours <= theirs, ">=": ours >= theirs, ">": ours > theirs}[m.group(1)]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, 1)[0].strip().lower().replace("-", "_")


def download(requirements: list[str], platform: str, python: str, binary_only: bool, into: Path) -> dict[str, str]:
    """requirement -> the file pip picks there for it ('' if none), asked in one pip run."""
    abi = "cp" + python.replace(".", "")
    target = into / f"{platform}-{python}-{binary_only}-{len(requirements)}-{_name(requirements[0])}"
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
           "--platform", platform, "--python-version", python, "--implementation", "cp", "--abi", abi,
           "--abi", "abi3", "--abi", "none", "-d", str(target)]
    if binary_only:
        cmd.append("--only-binary=:all:")
    subprocess.run(cmd + [r.split(";")[0].strip() for r in requirements], capture_output=True, text=True,
                   timeout=600)
    files = sorted(p.name for p in target.glob("*")) if target.exists() else []
    return {r: next((f for f in files if f.lower().replace("-", "_").startswith(_name(r) + "_")), "")
            for r in requirements}


def verdicts(requirements: list[str], platform: str, python: str, into: Path) -> dict[str, tuple[str, str]]:
    """requirement -> ("wheel" | "older wheel only" | "no wheel", the file or why)."""
    newest = download(requirements, platform, python, False, into)
    out = {}
    for requirement, file in newest.items():
        if file.endswith(".whl"):
            out[requirement] = ("wheel", file)
            continue
        wheel = download([requirement], platform, python, True, into)[requirement]
        out[requirement] = (("older wheel only", f"newest {file or '?'} is source; binary-only pip takes {wheel}")
                            if wheel else ("no wheel", file or "nothing found"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every claimed Python and the optional google-re2")
    parser.add_argument("--jobs", type=int, default=6)
    args = parser.parse_args(argv)
    pythons = claimed_pythons()
    if not pythons:
        print("setup.cfg claims no Python versions (classifiers)", file=sys.stderr)
        return 2
    if not args.all:
        pythons = sorted({pythons[0], pythons[-1]}, key=lambda v: int(v.split(".")[1]))
    hard = hard_dependencies()
    jobs = []  # (platform name, platform tag, python, requirements)
    for name, plat in PLATFORMS.items():
        for py in pythons:
            jobs.append((name, plat, py, [r for r in hard if applies(r, py)] + ([OPTIONAL] if args.all else [])))
            if args.all and name in MODERN_GLIBC:
                jobs.append((name + " (newer)", MODERN_GLIBC[name], py, [OPTIONAL]))
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda j: verdicts(j[3], j[1], j[2], Path(tmp)), jobs))
    failed = 0
    for (name, plat, py, _), found in zip(jobs, results):
        for req, (state, detail) in found.items():
            optional = req == OPTIONAL
            shown = ("re2" if state == "wheel" else "fallback (stdlib re)") if optional else state
            if not optional and state != "wheel":
                failed += 1
            print(f"{name:28} {plat:24} {py:5} {_name(req):12} {shown:22} {detail}")
    if failed:
        print(f"{failed} hard dependenc{'y' if failed == 1 else 'ies'} would be built from source", file=sys.stderr)
        return 1
    print(f"wheel-only installs: {len(PLATFORMS)} platforms x Python {', '.join(pythons)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
