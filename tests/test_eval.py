"""The evaluation harness for real: Ray CPU workers, real Chromium, reports, resume, a crashed worker."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from jamel.corpus import load_corpus  # noqa: E402
from jamel.rollout.eval import EvalConfig, evaluate  # noqa: E402
from jamel.rollout.options import SettingsChanged  # noqa: E402
from jamel.report import build_report  # noqa: E402

APPS = ["shop", "video"]


@pytest.fixture(scope="module")
def ray_local():
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), str(Path(__file__).parents[1]),
                                                os.environ.get("PYTHONPATH", "")])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def cfg(out, method, agent, **kw):
    return EvalConfig(method=method, agent=agent, corpus=str(load_corpus(None).root), apps=APPS, max_steps=4,
                      num_sessions=1, workers_per_gpu=2, output=str(out), settle_ms=50, **kw)


@pytest.mark.slow
@pytest.mark.browser
def test_panel_reports_resume_and_crashed_worker(ray_local, tmp_path):
    sums = evaluate(cfg(tmp_path, "crawler", "crawler"), progress=False)
    assert sorted(s["app"] for s in sums) == APPS
    pids = {json.loads((tmp_path / "crawler" / a / "session_0" / "worker.json").read_text())["pid"] for a in APPS}
    assert os.getpid() not in pids  # sessions ran in worker processes

    marker = tmp_path / "crashed_once"
    sums = evaluate(cfg(tmp_path, "flaky", "eval_agents:CrashOnceAgent", agent_kwargs={"marker": str(marker)}),
                    progress=False)
    assert marker.exists() and sorted(s["app"] for s in sums) == APPS  # the killed unit was redone
    assert not (tmp_path / "flaky" / "failed.json").exists()

    before = (tmp_path / "crawler" / "shop" / "session_0" / "summary.json").stat().st_mtime_ns
    evaluate(cfg(tmp_path, "crawler", "crawler"), progress=False)  # rerun: nothing to do
    assert (tmp_path / "crawler" / "shop" / "session_0" / "summary.json").stat().st_mtime_ns == before
    config = (tmp_path / "crawler" / "config.json").read_text()
    with pytest.raises(SettingsChanged, match="seed 0 -> 1"):  # other settings never reuse those sessions
        evaluate(cfg(tmp_path, "crawler", "crawler", seed=1), progress=False)
    assert (tmp_path / "crawler" / "config.json").read_text() == config

    summary = build_report([tmp_path], tmp_path / "report", max_steps=4)
    assert set(summary["methods"]) == {"crawler", "flaky"} and not summary["published_reference"]
    md = (tmp_path / "report" / "results.md").read_text()
    assert "| crawler | 2 | 2 |" in md and "std across apps" in md
    for name in ("results.csv", "fig_reward_curve.png", "fig_per_app.png"):
        assert (tmp_path / "report" / name).stat().st_size > 0


@pytest.mark.slow
@pytest.mark.browser
def test_one_agent_per_worker_for_the_whole_panel(ray_local, tmp_path):
    """A model is loaded once per Ray worker, not once per session: 6 sessions on 2 workers build 2 agents."""
    log = tmp_path / "agents.log"
    c = cfg(tmp_path, "counted", "eval_agents:CountingAgent", agent_kwargs={"log": str(log)})
    c.num_sessions, c.max_steps = 3, 2
    sums = evaluate(c, progress=False)
    assert len(sums) == 6
    built = log.read_text().split()
    sessions = [line.split()[0] for line in log.with_suffix(".sessions").read_text().splitlines()]
    assert len(sessions) == 6 and sorted(set(sessions)) == sorted(set(built))
    assert len(built) == len(set(built)) <= 2  # one construction per worker process
