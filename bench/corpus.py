"""The real-world negative corpus shared by the quality and performance benchmarks.

Pinned source distributions of ccxt, freqtrade and jesse (trading code full of the words "key", "secret",
"binance" ... and, as far as anyone knows, no live secret), downloaded with pip into bench/.cache on first use
and unpacked once. Never committed.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

PINNED = {"ccxt": "4.5.90", "freqtrade": "2026.9", "jesse": "3.5.3"}
CACHE = Path(os.environ.get("CKG_BENCH_CACHE", Path(__file__).resolve().parent / ".cache"))


def _download(name: str, version: str, dest: Path) -> Path:
    archive = dest / f"{name}-{version}.tar.gz"
    if not archive.exists():
        dest.mkdir(parents=True, exist_ok=True)
        print(f"downloading {name}=={version} (sdist) into {dest} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "-d", str(dest), f"{name}=={version}"], check=True)
    return archive


def _safe_extract(archive: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".partial")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers()
                   if (m.isfile() or m.isdir()) and not m.name.startswith("/") and ".." not in Path(m.name).parts]
        tar.extractall(tmp, members=members)
    tmp.rename(target)


def real_world_corpus() -> Path:
    """Directory holding one unpacked tree per pinned project (downloads on first use)."""
    root = CACHE / "realworld"
    for name, version in PINNED.items():
        target = root / f"{name}-{version}"
        if not target.exists():
            _safe_extract(_download(name, version, CACHE / "sdists"), target)
    return root


def corpus_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


if __name__ == "__main__":
    path = real_world_corpus()
    files = corpus_files(path)
    print(f"{path}: {len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")
