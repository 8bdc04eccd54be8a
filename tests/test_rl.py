"""RL pieces with real components: a Chromium session driven by the env-side `RLAgent`, generating through a
real `HFGenerateServer` Ray actor (tiny memory model), then the training-side inputs built from the samples.

Checks the step-sample layout (prompt = the step's JAMEL prompt, memory = the vectors of all earlier steps,
response = the answer only), that rollout log-probs equal the trainer's forward on the same inputs (and move
when the memory is withheld), and the env pool's crash handling for asyncio callers.
"""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("verl")
torch = pytest.importorskip("torch")
ray = pytest.importorskip("ray")

pytestmark = [pytest.mark.train, pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def rl_model(tmp_path_factory):
    from jamel.testing.tiny_models import make_tiny_package
    from jamel.train.sft_model import init_sft_model

    root = tmp_path_factory.mktemp("rl")
    pkg = make_tiny_package(root / "pkg", seed=0)
    init = init_sft_model(root / "init", package=str(pkg))
    return pkg, init


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(  # jamel, and this module (CrashOnceAgent)
                 [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)])}})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def session(rl_model, ray_cluster, tmp_path_factory):
    """3 steps of the shop demo app: RLAgent in this process, the generate server as a named Ray actor."""
    from jamel.corpus import load_corpus
    from jamel.rollout.pool import SessionTask, SessionWorker, WorkerSpec
    from jamel.train.rl.server import HFGenerateServer
    from jamel.train.rl.sample import server_name

    pkg, init = rl_model
    server = ray.remote(HFGenerateServer).options(name=server_name(0), max_concurrency=4).remote(str(init), "cpu")
    ray.get(server.ready.remote())
    corpus = load_corpus(None)
    spec = WorkerSpec(corpus=str(corpus.root), agent="jamel.train.rl.agent:RLAgent",
                      agent_kwargs={"model_path": str(init), "compressor_path": str(pkg), "max_new_tokens": 12,
                                    "max_input_tokens": 4096}, env={"settle": "fixed", "settle_ms": 50})
    worker = SessionWorker(spec)
    out = tmp_path_factory.mktemp("rl_session")
    try:
        task = SessionTask(app="shop", index=0, seed=7, steps=3, session_dir=str(out / "s0"), session_id="shop/s0",
                           record_takes=False, html_report=False, agent_options={"temperature": 1.0, "sample_seed": 1})
        summary = worker.run(task)
        compressor = worker.agent.model.compressor
    finally:
        worker.close()
    return summary, compressor, server, init, out / "s0"


def test_step_sample_layout(session):
    import pyarrow.parquet as pq

    from jamel.env.state import state_key
    from jamel.train.rl.sample import load_processor

    summary, compressor, _, init, session_dir = session
    samples = summary["payload"]
    rows = pq.read_table(session_dir / "trajectory.parquet").to_pylist()
    assert [s.step for s in samples] == [1, 2, 3] == [r["step"] for r in rows]
    processor = load_processor(init)
    tok = processor.tokenizer
    for s, r in zip(samples, rows):
        # memory = one compressor vector per earlier step of the session, oldest first
        assert s.memory.shape == (s.step - 1, compressor.hidden_size) and s.memory.dtype == np.float32
        # prompt = the JAMEL prompt of the observation the step acted on, ending with the assistant turn's start
        prompt = tok.decode(s.prompt_ids)
        assert prompt.endswith("<|im_start|>assistant\n") and r["observation"].splitlines()[0] in prompt
        assert s.prompt_ids.count(processor.image_token_id) > 0
        # response = the answer only: what the env parsed, and nothing of the prompt
        assert tok.decode(s.response_ids, skip_special_tokens=True) == r["model_output"]
        assert len(s.log_probs) == len(s.response_ids) > 0
        assert s.state_key == state_key(r["url"], r["observation"])
        assert (s.reward, s.valid, s.action) == (r["reward"], r["valid"], r["action"])
    # the vectors of a step are computed once and reused unchanged by every later step
    np.testing.assert_array_equal(samples[2].memory[0], samples[1].memory[0])
    assert compressor.items_compressed == 2


def _trainer_log_probs(init, sample, with_memory: bool) -> torch.Tensor:
    """The trainer's computation: JamelMemoryForCausalLM forward on (prompt + response) with the sample's
    multi_modal_inputs as the agent-loop worker builds them (`model_inputs`)."""
    from jamel.model.modeling import JamelMemoryForCausalLM
    from jamel.train.rl.sample import load_processor, model_inputs

    model = JamelMemoryForCausalLM.from_pretrained(init, dtype=torch.float32).eval()
    mm = model_inputs(load_processor(init), sample.screenshot,
                      sample.memory if with_memory else sample.memory[:0])
    ids = torch.tensor([sample.prompt_ids + sample.response_ids])
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), **mm).logits[0].float()
    p = len(sample.prompt_ids)
    resp = torch.tensor(sample.response_ids)
    return torch.log_softmax(logits[p - 1:-1], -1).gather(-1, resp[:, None])[:, 0]


def test_rollout_log_probs_match_trainer_forward(session):
    summary, _, _, init, _ = session
    last = summary["payload"][-1]  # two memory items
    rollout = torch.tensor(last.log_probs)
    same = _trainer_log_probs(init, last, with_memory=True)
    assert (rollout - same).abs().max() < 1e-4
    withheld = _trainer_log_probs(init, last, with_memory=False)
    assert (rollout - withheld).abs().max() > 10 * max(1e-6, float((rollout - same).abs().max()))


def test_server_weight_update_changes_generation(session):
    summary, _, server, init, _ = session
    s = summary["payload"][0]
    args = (s.prompt_ids, s.screenshot, s.memory, 1.0, 1.0, 6, 123)
    a = ray.get(server.generate.remote(*args))
    assert ray.get(server.generate.remote(*args)) == a  # same seed, same tokens and log-probs
    from jamel.model.modeling import JamelMemoryForCausalLM

    state = {k: v * 1.5 for k, v in JamelMemoryForCausalLM.from_pretrained(init).state_dict().items()
             if k.endswith("lm_head.weight") or k.endswith("embed_tokens.weight")}
    assert state and ray.get(server.load_weights.remote(state, 1)) == len(state)
    b = ray.get(server.generate.remote(*args))
    assert b["weights_version"] == 1 and b["log_probs"] != a["log_probs"]


def test_tied_base_keeps_its_output_head(rl_model):
    """A tied base (the tiny models) saves no lm_head; loading the RL/SFT model folder must tie it again, not
    initialise a random head (the policy RL starts from is the packaged one)."""
    from jamel.model.modeling import load_packaged
    from jamel.model.modeling import JamelMemoryForCausalLM

    pkg, init = rl_model
    base = JamelMemoryForCausalLM.from_pretrained(init, dtype=torch.float32).policy.base
    assert base.lm_head.weight.data_ptr() == base.model.language_model.embed_tokens.weight.data_ptr()
    ref = load_packaged(pkg).policy.base
    assert torch.equal(base.lm_head.weight, ref.lm_head.weight)


class CrashOnceAgent:
    """The random baseline, except that the first worker process to act kills itself (a crashed env worker)."""

    name = "crash-once"

    def __init__(self, marker: str):
        from jamel.agents.baselines import AGENTS

        self.inner, self.marker = AGENTS["random"](), Path(marker)

    def begin_session(self, ctx, seed):
        self.inner.begin_session(ctx, seed)

    def act(self, obs, ctx):
        if not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return self.inner.act(obs, ctx)


def test_env_pool_redoes_a_crashed_session(ray_cluster, tmp_path):
    """`SessionPool.run_async` (the RL agent loop's entry): the worker dies mid-session, a new one redoes the
    session from its first step and the caller gets a complete summary."""
    from jamel.corpus import load_corpus
    from jamel.rollout.pool import SessionPool, SessionTask, WorkerSpec

    marker = tmp_path / "crashed"
    spec = WorkerSpec(corpus=str(load_corpus(None).root), agent=f"{__name__}:CrashOnceAgent",
                      agent_kwargs={"marker": str(marker)}, env={"settle": "fixed", "settle_ms": 50})
    pool = SessionPool(spec, workers=1, backend="ray", max_retries=1)
    task = SessionTask(app="shop", index=0, seed=3, steps=2, session_dir=str(tmp_path / "s"), session_id="shop/s",
                       record_takes=False, html_report=False)
    try:
        result = asyncio.run(pool.run_async(task))
    finally:
        pool.close()
    assert marker.exists() and result.error is None, result.error
    assert result.summary["steps"] == 2 and result.summary["worker"]["pid"] != int(marker.read_text())
