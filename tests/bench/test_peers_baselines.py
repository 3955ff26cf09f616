"""bench/peers.py --baseline: several other installations side by side, each row and ratio named by its label."""
from __future__ import annotations

import sys
from pathlib import Path

from conftest import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import peers  # noqa: E402


def test_a_baseline_is_labelled_by_its_prefix_or_called_baseline() -> None:
    assert peers.baseline_label("/opt/venv/bin") == ("baseline", "/opt/venv/bin")
    assert peers.baseline_label("old=/opt/venv-old/bin") == ("old", "/opt/venv-old/bin")
    assert peers.baseline_label("/opt/a=b/bin") == ("baseline", "/opt/a=b/bin")  # '=' inside a path is a path


def test_each_baseline_runs_our_rows_and_gets_its_own_ratio(tmp_path: Path, monkeypatch) -> None:
    ours = tmp_path / "ours"
    monkeypatch.setattr(peers, "tool", lambda name: str(ours / name))
    tools = [peers.Tool("python -c pass", [sys.executable, "-c", "pass"]),
             peers.Tool("crypto-key-patterns", [str(ours / "crypto-key-patterns"), "a.py"]),
             peers.Tool("betterleaks fs", ["betterleaks", "fs", "a.py"])]
    rows = peers.baseline_tools("hook", tools, ["/v/main/bin", "old=/v/old/bin"])
    assert [t.name for t in rows] == ["python -c pass", "crypto-key-patterns", "crypto-key-patterns (baseline)",
                                      "crypto-key-patterns (old)", "betterleaks fs"]
    assert rows[3].cmd == ["/v/old/bin/crypto-key-patterns", "a.py"]

    def row(name: str, median: float) -> dict:
        return {"tool": name, "median_s": median}

    res = {"baselines": ["/v/main/bin", "old=/v/old/bin"],
           "hook": {"tools": [row("python -c pass", 0.02), row("crypto-key-patterns", 0.08),
                              row("crypto-key-patterns (baseline)", 0.10), row("crypto-key-patterns (old)", 0.16),
                              row("betterleaks fs", 0.4), row("kingfisher FILES", 1.0)]}}
    checks = peers.ratios(res)
    assert round(checks["hook_vs_baseline"]["value"], 2) == 0.8
    assert round(checks["hook_vs_old"]["value"], 2) == 0.5
    assert round(checks["hook_vs_python"]["value"], 2) == 4.0 and checks["hook_vs_python"]["met"]
