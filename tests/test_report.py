"""`jamel report` (and the viewer's method table) read every method at one step: sessions that never reached it
are left out with a warning, and the paper's rows are shown only next to methods measured as the paper did."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from jamel.cli import main as cli_main
from jamel.corpus import load_corpus, load_splits
from jamel.report import build_report, mean_curve
from jamel.rollout.explore import ExploreConfig, explore


@pytest.fixture(scope="module")
def two_horizons(tmp_path_factory):
    """A random run of T=2 and a crawler run of T=4 on shop."""
    root = tmp_path_factory.mktemp("horizons")
    corpus = load_corpus(None)
    for agent, steps in (("random", 2), ("crawler", 4)):
        explore(ExploreConfig(corpus=str(corpus.root), apps=["shop"], agent=agent, steps=steps, workers=1,
                              output=str(root / agent), settle_ms=50, html_report=False), corpus, progress=False)
    return root


@pytest.mark.browser
def test_short_sessions_are_left_out_with_a_warning(two_horizons, tmp_path, capsys):
    runs = [str(two_horizons / "random"), str(two_horizons / "crawler")]
    assert cli_main(["report", *runs, "--output", str(tmp_path / "at4")]) == 0
    out, err = capsys.readouterr()
    assert "shorter than step 4" in err and "random shop/session_0 (2 steps)" in err
    md = (tmp_path / "at4" / "results.md").read_text()
    assert "**Warning:** 1 session(s) shorter than step 4" in md and "| random |" not in md and "| crawler | 1 | 1 |" in md
    summary = json.loads((tmp_path / "at4" / "results.json").read_text())
    assert set(summary["methods"]) == {"crawler"} and summary["short_sessions"] == ["random shop/session_0 (2 steps)"]

    # at step 2 both compare (the crawler's curve is cut there), no warning
    summary = build_report([Path(r) for r in runs], tmp_path / "at2", max_steps=2)
    assert set(summary["methods"]) == {"random", "crawler"} and not summary["short_sessions"]
    assert "Warning" not in (tmp_path / "at2" / "results.md").read_text()

    # no session reaches step 50: one line, no report at "step 50"
    assert cli_main(["report", runs[0], "--output", str(tmp_path / "at50"), "--max-steps", "50"]) == 2
    assert "no session reaches step 50" in capsys.readouterr().err and not (tmp_path / "at50").exists()

    index = tmp_path / "site" / "index.html"
    assert cli_main(["view", *runs, "--out", str(tmp_path / "site"), "--jobs", "1"]) == 0
    assert "shorter than step 4" in index.read_text()


def test_mean_curve_never_pads():
    assert mean_curve([[0, 1, 2], [1, 1, 1, 5]], 3) == [0.5, 1, 1.5]
    with pytest.raises(ValueError):
        mean_curve([[0, 1]], 3)


def _panel(root: Path, method: str, apps: list[str], steps: int) -> Path:
    """Session summaries as `jamel eval` writes them (the fields a report reads)."""
    for app in apps:
        d = root / method / app / "session_0"
        d.mkdir(parents=True)
        curve = [min(t, 20) for t in range(1, steps + 1)]
        (d / "summary.json").write_text(json.dumps({"session_id": f"{method}/{app}/session_0", "app": app,
                                                    "agent": method, "steps": steps, "input_tokens": 10 * steps,
                                                    "cumulative_reward": curve[-1], "cumulative_reward_curve": curve}))
    return root


def test_published_rows_only_next_to_full_test10_panels_at_50(tmp_path):
    test10 = list(load_splits()["test10"])
    full = _panel(tmp_path / "full", "full", test10, 50)
    nine = _panel(tmp_path / "nine", "nine", test10[:9], 50)
    short = _panel(tmp_path / "short", "short", test10, 30)
    long = _panel(tmp_path / "long", "long", test10, 100)
    assert build_report([full], tmp_path / "r1")["published_reference"]
    assert "*(published)*" in (tmp_path / "r1" / "results.md").read_text()
    assert build_report([full, long], tmp_path / "r2", max_steps=50)["published_reference"]  # 100 cut at 50
    assert not build_report([full, nine], tmp_path / "r3")["published_reference"]  # a method lacks an app
    assert not build_report([full, short], tmp_path / "r4", max_steps=50)["published_reference"]  # ran 30 steps
    assert "*(published)*" not in (tmp_path / "r4" / "results.md").read_text()
    assert not build_report([full, long], tmp_path / "r5")["published_reference"]  # reported at 100
