"""Keys inside archives, in every mode: named files, a tree, the index and history blobs; bombs are bounded."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import git
from crypto_key_guard.sources import archives

BIN = Path(sys.executable).parent


def _settings(fake) -> tuple[bytes, str]:
    secret = fake("{alnum:64}")
    return f'BINANCE_API_SECRET = "{secret}"\n'.encode(), secret


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _tar(entries: dict[str, bytes], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _scan(*args: str, cwd: Path) -> tuple[int, dict, str]:
    out = subprocess.run([str(BIN / "crypto-key-guard"), "scan", "--format", "json", *args], cwd=cwd,
                         capture_output=True, text=True)
    return out.returncode, json.loads(out.stdout or "{}"), out.stdout + out.stderr


@pytest.mark.parametrize("name,maker", [
    ("bundle.zip", lambda e: _zip(e)), ("pkg-1.0-py3-none-any.whl", lambda e: _zip(e)),
    ("app.jar", lambda e: _zip(e)), ("report.xlsx", lambda e: _zip(e)),
    ("src.tar", lambda e: _tar(e, "w")), ("src.tar.gz", lambda e: _tar(e, "w:gz")),
    ("src.tgz", lambda e: _tar(e, "w:gz")), ("src.tar.bz2", lambda e: _tar(e, "w:bz2")),
    ("src.tar.xz", lambda e: _tar(e, "w:xz")),
])
def test_a_key_inside_each_archive_format_is_found_by_scan(tmp_path, fake, name, maker) -> None:
    data, secret = _settings(fake)
    (tmp_path / name).write_bytes(maker({"pkg/settings.py": data, "pkg/readme.txt": b"hello\n"}))
    rc, report, raw = _scan(name, cwd=tmp_path)
    assert rc == 1, raw
    assert [f["file"] for f in report["findings"]] == [f"{name}!pkg/settings.py"]
    assert report["findings"][0]["line"] == 1 and secret not in raw


def test_nested_archive_and_single_gzip_stream(tmp_path, fake) -> None:
    data, _ = _settings(fake)
    inner = _zip({"conf/keys.py": data})
    (tmp_path / "outer.tar.gz").write_bytes(_tar({"dist/inner.zip": inner}))
    import gzip

    (tmp_path / "dump.json.gz").write_bytes(gzip.compress(data))
    rc, report, raw = _scan(".", cwd=tmp_path)
    assert rc == 1, raw
    assert sorted(f["file"] for f in report["findings"]) == ["dump.json.gz!dump.json",
                                                             "outer.tar.gz!dist/inner.zip!conf/keys.py"]


def test_depth_limit_stops_with_a_note(tmp_path, fake) -> None:
    data, _ = _settings(fake)
    blob = _zip({"k.py": data})
    for level in range(archives.MAX_DEPTH + 1):
        blob = _zip({f"level{level}.zip": blob})
    (tmp_path / "deep.zip").write_bytes(blob)
    rc, report, raw = _scan("deep.zip", cwd=tmp_path)
    assert rc == 0 and "nested deeper" in raw and "deep.zip" in raw


def test_bomb_limits_stop_the_scan_with_a_note(tmp_path, monkeypatch, fake) -> None:
    from crypto_key_guard.engine.scanner import Scanner
    from crypto_key_guard.sources.files import named_files
    from crypto_key_guard.engine.scanner import scan_items

    data, _ = _settings(fake)
    (tmp_path / "ratio.zip").write_bytes(_zip({"zeros.bin": b"\0" * (4 << 20), "k.py": data}))
    (tmp_path / "many.zip").write_bytes(_zip({f"f{i}.txt": b"x" for i in range(30)}))
    monkeypatch.setattr(archives, "MAX_ENTRIES", 10)
    scanner = Scanner()
    scanner.containers = archives.expand
    result = scan_items(scanner, named_files([str(tmp_path / "ratio.zip"), str(tmp_path / "many.zip")]))
    notes = "\n".join(result.notes)
    assert "zeros.bin expands" in notes and "more than 10 entries" in notes
    assert [f.file.rsplit("!", 1)[1] for f in result.findings] == ["k.py"]  # the rest is still scanned
    monkeypatch.setattr(archives, "MAX_TOTAL_BYTES", 1 << 10)
    (tmp_path / "big.tar").write_bytes(_tar({"a.txt": b"y" * 4096, "k.py": data}, "w"))
    result = scan_items(scanner, named_files([str(tmp_path / "big.tar")]))
    assert "MiB uncompressed" in "\n".join(result.notes) or "KiB" in "\n".join(result.notes)


def test_archives_in_the_index_and_in_history(git_repo, fake) -> None:
    data, secret = _settings(fake)
    (git_repo / "vendor.zip").write_bytes(_zip({"bot/config.py": data}))
    git(git_repo, "add", "vendor.zip")
    rc, report, raw = _scan("--staged", cwd=git_repo)
    assert rc == 1 and report["findings"][0]["file"] == "vendor.zip!bot/config.py", raw
    git(git_repo, "commit", "-qm", "vendor", "--no-verify")
    git(git_repo, "rm", "-q", "vendor.zip")
    git(git_repo, "commit", "-qm", "drop vendor", "--no-verify")
    rc, report, raw = _scan("--history", cwd=git_repo)
    assert rc == 1, raw
    finding = report["findings"][0]
    assert finding["file"] == "vendor.zip!bot/config.py" and secret not in raw
    assert finding["introduced"]["subject"] == "vendor"


def test_hook_finds_a_key_in_a_staged_archive(tmp_path, fake) -> None:
    data, _ = _settings(fake)
    (tmp_path / "a.whl").write_bytes(_zip({"m/settings.py": data}))
    out = subprocess.run([str(BIN / "crypto-key-patterns"), "a.whl"], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 1 and "a.whl!m/settings.py:1:" in out.stdout, out.stdout + out.stderr
