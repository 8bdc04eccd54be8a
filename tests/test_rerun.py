"""Reruns into an existing output folder: the same settings resume, other settings stop with the fields named
(a folder never mixes sessions of two settings, and its config.json keeps describing them)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jamel import cli

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def explore(out: Path, *flags: str) -> int:
    return cli.main(["explore", "--apps", "shop", "--steps", "2", "--workers", "1", "--settle-ms", "50",
                     "--no-progress", "--output", str(out), *flags])


def test_rerun_with_other_settings_stops_and_same_settings_resume(tmp_path):
    out = tmp_path / "r1"
    assert explore(out, "--no-html-report") == 0
    summary = out / "shop" / "session_0" / "summary.json"
    config, mtime = (out / "config.json").read_text(), summary.stat().st_mtime_ns

    with pytest.raises(SystemExit) as exc:
        explore(out, "--no-html-report", "--steps", "3", "--seed", "7", "--agent", "random", "--coverage-filter",
                "http")
    msg = str(exc.value.code)
    assert msg.startswith("jamel explore: ") and "\n" not in msg
    for diff in ("agent 'crawler' -> 'random'", "steps 2 -> 3", "seed 0 -> 7", "coverage_filter 'app' -> 'http'"):
        assert diff in msg, msg
    assert "workers" not in msg and "html_report" not in msg
    assert (out / "config.json").read_text() == config and summary.stat().st_mtime_ns == mtime

    # what does not change the records may change: workers, progress bar, HTML reports, how the path is spelled
    assert cli.main(["explore", "--apps", "shop", "--steps", "2", "--workers", "2", "--settle-ms", "50",
                     "--output", str(out) + "/"]) == 0
    assert summary.stat().st_mtime_ns == mtime and json.loads(summary.read_text())["steps"] == 2


def test_unreachable_agent_endpoint_is_one_line(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = subprocess.run([sys.executable, "-m", "jamel", "explore", "--agent", "openai", "--model", "m",
                          "--base-url", f"http://127.0.0.1:{port}/v1", "--apps", "shop", "--steps", "2",
                          "--workers", "1", "--no-progress", "--output", str(tmp_path / "out")],
                         cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert res.returncode != 0 and "Traceback" not in res.stderr, res.stderr[-3000:]
    assert "jamel explore: cannot reach the chat endpoint" in res.stderr


def test_resume_compares_what_changes_results_only(tmp_path):
    """One model folder however it is spelled, a setting a later version added, the step deadline and the
    unused fixed-settle length do not refuse a resume; a changed model or sampling still does."""
    from jamel.rollout.options import RESULT_KEYS, SettingsChanged, check_resume

    ckpt = tmp_path / "ckpt"
    ckpt.mkdir()
    run = tmp_path / "run"
    (run / "shop" / "session_0").mkdir(parents=True)
    (run / "shop" / "session_0" / "summary.json").write_text("{}")
    base = {"corpus": "c", "agent": "jamel", "seed": 0, "settle": "adaptive", "settle_ms": 250, "step_timeout_s": 30,
            "agent_kwargs": {"model_path": str(ckpt), "temperature": 0.7}}
    (run / "config.json").write_text(json.dumps(base))
    same = {**base, "settle_ms": 100, "step_timeout_s": 60,
            "agent_kwargs": {"model_path": str(ckpt) + "/", "temperature": 0.7, "history_images": False}}
    check_resume(run, same, RESULT_KEYS)
    for changed in ({**base, "agent_kwargs": {"model_path": str(tmp_path / "other"), "temperature": 0.7}},
                    {**base, "agent_kwargs": {"model_path": str(ckpt)}},
                    {**base, "settle": "fixed"}):
        with pytest.raises(SettingsChanged):
            check_resume(run, changed, RESULT_KEYS)
