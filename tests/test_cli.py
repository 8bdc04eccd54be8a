"""`jamel <verb>`: flags come from the config dataclasses, defaults stay on the fields, every verb parses."""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

import pytest

from jamel import cli
from jamel.agents.options import AgentOptions
from jamel.config import build_parser, opt, parse_configs, run_command
from jamel.rollout.eval import EvalConfig
from jamel.rollout.explore import ExploreConfig


@dataclass
class Toy:
    runs: list[Path] = opt(help="folders", positional=True)
    output: str = opt(help="where")
    steps: int = opt(5, "how many")
    ratio: float | None = opt(None, "a ratio")
    mode: str = opt("a", "a or b", choices=("a", "b"))
    fast: bool = opt(False, "go fast")
    report: bool = opt(True, "no report")
    keep: bool = opt(True, "keep nothing", flag="--drop-all", aliases=("--drop",))
    extra: str | None = opt(None, cli=False)


def toy(cfg: Toy) -> int:
    """A toy command."""
    return cfg.steps


def test_flags_from_fields():
    configs, given = parse_configs(toy, ["r1", "r2", "--output", "o", "--ratio", "0.5", "--fast", "--no-report",
                                         "--drop", "--mode", "b"], "toy")
    cfg = configs["cfg"]
    assert cfg.runs == [Path("r1"), Path("r2")] and cfg.output == "o" and cfg.ratio == 0.5 and cfg.mode == "b"
    assert (cfg.fast, cfg.report, cfg.keep, cfg.steps, cfg.extra) == (True, False, False, 5, None)
    assert given == {"runs", "output", "ratio", "fast", "report", "keep", "mode"}
    defaults, _ = parse_configs(toy, ["r", "--output", "o"], "toy")
    assert defaults["cfg"] == Toy(runs=[Path("r")], output="o")  # what a flag leaves alone is the field's default
    text = build_parser(toy, "toy").format_help()
    assert "how many (default: 5)" in text and "--extra" not in text and "A toy command." in text


@pytest.mark.parametrize("argv", [["r"], ["r", "--output", "o", "--mode", "c"], ["r", "--output", "o", "--steps", "x"]])
def test_bad_flags_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_configs(toy, argv, "toy")
    assert exc.value.code == 2 and "usage: toy" in capsys.readouterr().err


def test_run_command_logs_every_value(capsys):
    assert run_command(toy, ["r", "--output", "o", "--steps", "7"], "toy") == 7
    logged = json.loads(capsys.readouterr().out.splitlines()[0])
    assert logged == {"command": "toy", "cfg": {"runs": ["r"], "output": "o", "steps": 7, "ratio": None, "mode": "a",
                                                "fast": False, "report": True, "keep": True, "extra": None}}


def test_agent_options_are_one_dataclass_for_explore_and_eval():
    explore_params = cli_params("explore")
    eval_params = cli_params("eval")
    assert explore_params["agent"] is AgentOptions and eval_params["agent"] is AgentOptions
    assert {f.name for f in fields(AgentOptions)} & {f.name for f in fields(ExploreConfig)} == set()
    opts = AgentOptions(model_path="pkg", memory="text", text_memory_k=3)
    assert opts.kwargs("jamel", gpus=True) == {"model_path": "pkg", "device": "cuda", "temperature": 0.8,
                                               "top_p": 0.9, "memory": "text", "text_memory_k": 3}
    assert opts.label("jamel") == "jamel-text-memory-k3-pkg" and opts.kwargs("crawler") == {}
    vision = AgentOptions(model_path="m", vision=True)
    assert vision.kwargs("openai")["history_images"] and vision.label("openai") == "react-vision-m"
    # two models never share an eval folder: the label carries the model's name
    assert AgentOptions(model_path="gemini-3.1-flash-lite", vision=True).label("openai") == "react-vision-gemini-3.1-flash-lite"
    assert AgentOptions(model_path="gpt-5").label("openai") == "react-text-gpt-5"
    assert AgentOptions(model_path="models/jamel-9b/").label("jamel") == "jamel-jamel-9b"
    assert AgentOptions(model_path="ckpt/a", memory="none").label("jamel") == "jamel-no-memory-a"
    assert AgentOptions(model_path="m").label("crawler") == "crawler"
    with pytest.raises(ValueError, match="--model-path"):
        AgentOptions().kwargs("openai")


def cli_params(verb: str) -> dict[str, type]:
    import importlib

    from jamel.config import config_params

    module, _, name = cli.VERBS[verb][0].partition(":")
    return config_params(getattr(importlib.import_module(module), name))


def test_every_verb_has_help(capsys):
    for verb in cli.VERBS:
        with pytest.raises(SystemExit) as exc:
            cli.main([*verb.split(), "--help"])
        assert exc.value.code == 0, verb
        assert f"usage: jamel {verb}" in capsys.readouterr().out
    assert cli.main([]) == 0 and "corpus download" in capsys.readouterr().out
    assert cli.main(["nope"]) == 2


def test_eval_flags_keep_their_names(monkeypatch, tmp_path):
    import jamel.report
    import jamel.rollout.eval

    seen = {}
    monkeypatch.setattr(jamel.rollout.eval, "evaluate", lambda cfg, progress=True: seen.setdefault("cfg", cfg))
    monkeypatch.setattr(jamel.report, "build_report", lambda runs, out, max_steps: (out / "results.md").write_text("|"))
    assert cli.main(["eval", "--agent", "openai", "--model", "m", "--vision", "--apps", "shop", "--max-steps", "3",
                     "--num-sessions", "2", "--workers-per-gpu", "2", "--settle-ms", "100", "--output", str(tmp_path),
                     "--no-progress"]) == 0
    cfg = seen["cfg"]
    assert (cfg.method, cfg.apps, cfg.max_steps, cfg.num_sessions, cfg.workers_per_gpu) == ("react-vision-m", ["shop"], 3, 2, 2)
    assert (cfg.settle, cfg.settle_ms) == ("fixed", 100) and cfg.agent_kwargs["model"] == "m"
    assert isinstance(cfg, EvalConfig)
    assert cli.main(["eval", "--agent", "jamel", "--apps", "shop", "--output", str(tmp_path)]) == 2  # no model


def test_test_sh_forwards_marker_expressions():
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "SKIP_SETUP": "1", "PYTHON": sys.executable, "PYTEST_ARGS": "-p no:cacheprovider"}
    res = subprocess.run(["bash", "shell/test.sh", "-m", "not slow", "--collect-only", "-q", "tests/test_pool.py"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    collected = [line for line in res.stdout.splitlines() if "::" in line]
    assert "tests/test_pool.py::test_cli_settle_and_workers_flags" in collected, res.stdout
    # the slow-marked tests of the file (those that start worker processes) are deselected, the rest is kept
    assert not [c for c in collected if "sequential_run" in c or "worker_process" in c], res.stdout
    assert "6 deselected" in res.stdout, res.stdout
