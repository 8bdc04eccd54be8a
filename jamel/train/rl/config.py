"""`RLConfig`: every knob of an RL run, and the verl overrides it becomes (one place; the shell script, the CLI
and the tests all build an RLConfig)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROLLOUTS = ("hf", "vllm")


# verl settings that JAMEL's advantage step (jamel/train/rl/trainer.py) replaces: set through the overrides they
# would change nothing, silently. Refused, with what to set instead.
IGNORED_VERL_KEYS = {
    "algorithm.rollout_correction": "it computes no rollout-correction weights or masks",
    "algorithm.norm_adv_by_std_in_grpo": "set +jamel.adv_knobs.norm_by_std=true|false",
    "algorithm.use_kl_in_reward": "KL is a loss term: kl_coef",
    "algorithm.adv_estimator": "choose it with the adv_estimator option (ADV_ESTIMATOR)",
}


@dataclass
class RLConfig:
    model_path: str  # a packaged JAMEL model (SFT output), or a base Qwen-VL policy (then compressor_model)
    output_dir: str = "runs/rl"  # checkpoints (resumed when rerun), rollouts, logs
    compressor_model: str | None = None  # frozen compressor; default: the packaged model's own
    corpus: str | None = None  # app folder (default: ScaleWoB if present, else the demo apps)
    apps: str = "train86"  # APPS_MODE: train86 | demo | comma list
    val_apps: str = ""  # held-out panel for validation ("" = no validation)
    group_size: int = 4  # sessions per app per batch (same start state, different sampling seeds)
    apps_per_batch: int = 4
    session_steps: int = 50
    episode_steps: int = 0  # >0: back to the start page every N steps (the coverage baseline persists)
    adv_estimator: str = "grpo"  # grpo | gigpo | rloo | reinforce_plus_plus_baseline
    gamma: float = 0.95  # discount of step returns (gigpo)
    step_weight: float = 1.0  # gigpo: weight of the step-group advantage
    lr: float = 1e-6
    kl_coef: float = 0.001  # KL to the reference policy as a loss term; 0 = no reference policy
    total_iters: int = 100
    num_gpus: int = 8  # GPUs per node for the trainer (0: CPU mode, one rank)
    nnodes: int = 1
    env_workers: int = 8  # browser workers (Ray actors)
    env_worker_cpus: float = 1.0
    env_device: str = "cpu"  # where env workers run the frozen compressor
    rollout: str = "hf"  # hf | vllm
    output_model_path: str | None = None  # package the final policy here (for --agent jamel / run_eval.sh)
    ray_address: str | None = None
    val_every: int = 10
    save_every: int = 10
    temperature: float = 1.0
    top_p: float = 1.0
    val_temperature: float = 0.8  # the evaluation protocol's sampling
    val_top_p: float = 0.9
    max_prompt_tokens: int = 8192  # text + image + memory, as in eval
    max_response_tokens: int = 256
    max_memory_items: int = 512
    format_penalty: float = 0.0  # subtracted from an invalid step's reward (0: invalid = 0, as in the env)
    micro_batch: int = 1
    seed: int = 0
    logger: str = "[console,tensorboard]"
    experiment: str = "jamel_rl"
    overrides: list[str] = field(default_factory=list)  # verl dotted overrides (--overrides k=v ...), last

    def validate(self) -> None:
        for x in self.overrides:
            key = x.lstrip("+").split("=", 1)[0]
            for ignored, why in IGNORED_VERL_KEYS.items():
                if key == ignored or key.startswith(ignored + "."):
                    raise ValueError(f"override {x!r}: JAMEL's advantage step does not read {ignored} ({why})")
        if self.rollout not in ROLLOUTS:
            raise ValueError(f"rollout must be one of {ROLLOUTS}, got {self.rollout!r}")
        if self.rollout == "vllm":
            raise ValueError("ROLLOUT=vllm cannot carry JAMEL's memory prefix into Qwen2.5-VL (see docs/training.md, "
                             "'RL: the vLLM question'); use ROLLOUT=hf (CPU and GPU)")
        for name in ("group_size", "apps_per_batch", "session_steps", "total_iters", "env_workers", "micro_batch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if self.num_gpus < 0 or self.episode_steps < 0 or self.kl_coef < 0 or self.format_penalty < 0:
            raise ValueError("num_gpus, episode_steps, kl_coef and format_penalty must be >= 0")

    @property
    def cpu(self) -> bool:
        return self.num_gpus == 0

    def paths(self) -> dict[str, Path]:
        out = Path(self.output_dir).resolve()
        return {"out": out, "init": out / "init_model", "ckpt": out / "checkpoints", "data": out / "data",
                "rollouts": out / "rollouts"}


def verl_overrides(cfg: RLConfig, train_file: Path, val_file: Path, val_apps: int, compressor: str,
                   corpus: str) -> list[str]:
    """The Hydra overrides of `verl.trainer.main_ppo` for this run (the user's `cfg.overrides` go last)."""
    p = cfg.paths()
    o = [
        # data: one row per app; a batch = APPS_PER_BATCH apps x GROUP_SIZE sessions
        f"data.train_files={train_file}", f"data.val_files={val_file}",
        "data.custom_cls.path=pkg://jamel.train.rl.loop", "data.custom_cls.name=JamelAppDataset",
        f"data.train_batch_size={cfg.apps_per_batch}", f"data.val_batch_size={max(1, val_apps)}",
        "data.dataloader_num_workers=0", f"data.max_prompt_length={cfg.max_prompt_tokens}",
        f"data.max_response_length={cfg.max_response_tokens}", f"data.seed={cfg.seed}",
        # model: JamelMemoryForCausalLM (policy + aligner); padded micro-batches (the memory prefix needs them)
        f"actor_rollout_ref.model.path={p['init']}", "actor_rollout_ref.model.external_lib=jamel.train.memory_sft",
        "actor_rollout_ref.model.use_remove_padding=false",
        # recompute activations in backward on GPU (memory); on CPU (tiny models) memory is no issue: skip it
        f"actor_rollout_ref.model.enable_gradient_checkpointing={str(not cfg.cpu).lower()}",
        # verl's fused-kernel contract with JAMEL's own forward (impl_backend=jamel keeps verl's forward patch
        # off): log-probs and entropies of the answer positions only, not [L, V] logits of the whole prompt
        "actor_rollout_ref.model.use_fused_kernels=true", "actor_rollout_ref.model.fused_kernel_options.impl_backend=jamel",
        # actor: PPO on step samples. verl counts mini-batches in prompts (apps) x rollout.n and requires
        # train_batch_size >= ppo_mini_batch_size, so an iteration's APPS x GROUP x STEPS samples make
        # SESSION_STEPS mini-batches (optimizer steps) of APPS x GROUP samples each.
        f"actor_rollout_ref.actor.optim.lr={cfg.lr}", f"actor_rollout_ref.actor.ppo_mini_batch_size={cfg.apps_per_batch}",
        f"actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu={cfg.micro_batch}",
        f"actor_rollout_ref.actor.use_kl_loss={str(cfg.kl_coef > 0).lower()}",
        f"actor_rollout_ref.actor.kl_loss_coef={cfg.kl_coef}",
        "actor_rollout_ref.actor.strategy=fsdp2",
        "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]",
        f"actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu={cfg.micro_batch}",
        # rollout: HF generate servers, sessions through the env-worker pool
        "actor_rollout_ref.rollout.name=jamel_hf", "actor_rollout_ref.rollout.mode=async",
        "actor_rollout_ref.rollout.tensor_model_parallel_size=1", f"actor_rollout_ref.rollout.n={cfg.group_size}",
        f"actor_rollout_ref.rollout.temperature={cfg.temperature}", f"actor_rollout_ref.rollout.top_p={cfg.top_p}",
        "actor_rollout_ref.rollout.val_kwargs.n=1", "actor_rollout_ref.rollout.val_kwargs.do_sample=true",
        f"actor_rollout_ref.rollout.val_kwargs.temperature={cfg.val_temperature}",
        f"actor_rollout_ref.rollout.val_kwargs.top_p={cfg.val_top_p}",
        f"actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu={cfg.micro_batch}",
        "actor_rollout_ref.rollout.calculate_log_probs=true",
        "actor_rollout_ref.rollout.agent.default_agent_loop=jamel_session", "actor_rollout_ref.rollout.agent.num_workers=1",
        "+actor_rollout_ref.rollout.agent.agent_loop_manager_class=jamel.train.rl.loop.JamelAgentLoopManager",
        # algorithm: verl's estimator name only keeps the critic off; JAMEL's advantage step does the work
        "algorithm.adv_estimator=grpo", f"algorithm.gamma={cfg.gamma}", "algorithm.use_kl_in_reward=false",
        # trainer
        "trainer.v1.trainer_mode=jamel_sync", f"trainer.total_training_steps={cfg.total_iters}",
        f"trainer.total_epochs={cfg.total_iters}", f"trainer.save_freq={cfg.save_every}",
        f"trainer.test_freq={cfg.val_every if val_apps else -1}", "trainer.val_before_train=false",
        f"trainer.default_local_dir={p['ckpt']}", "trainer.resume_mode=auto", f"trainer.logger={cfg.logger}",
        "trainer.project_name=jamel-rl", f"trainer.experiment_name={cfg.experiment}",
        f"trainer.n_gpus_per_node={max(1, cfg.num_gpus)}", f"trainer.nnodes={cfg.nnodes}",
        f"trainer.device={'cpu' if cfg.cpu else 'cuda'}", "trainer.balance_batch=false",
        # no reward workers: every step sample carries its session's reward (reward_score), so verl's agent loop
        # never asks one for a score (one process fewer: ~18 s of CPU per run on CPU)
        "reward.num_workers=0",
        # JAMEL's section (read by the agent loop and the trainer mode)
        f"+jamel.corpus={corpus}", f"+jamel.compressor={compressor}", f"+jamel.seed={cfg.seed}",
        f"+jamel.session_steps={cfg.session_steps}", f"+jamel.episode_steps={cfg.episode_steps}",
        f"+jamel.env_workers={cfg.env_workers}", f"+jamel.env_worker_cpus={cfg.env_worker_cpus}",
        f"+jamel.env_device={cfg.env_device}", "+jamel.max_retries=2",
        f"+jamel.max_memory_items={cfg.max_memory_items}", f"+jamel.format_penalty={cfg.format_penalty}",
        f"+jamel.adv_estimator={cfg.adv_estimator}", f"+jamel.rollout_dir={p['rollouts']}",
    ]
    if cfg.adv_estimator == "gigpo":
        o.append(f"+jamel.adv_knobs.step_weight={cfg.step_weight}")
    if cfg.cpu:
        o += cpu_overrides()
    if cfg.ray_address:
        o.append(f"+ray_kwargs.ray_init.address={cfg.ray_address}")
    if not any(x.lstrip("+").startswith("hydra.run.dir=") for x in cfg.overrides):
        o.append(f"hydra.run.dir={p['out'] / 'hydra'}")  # Hydra's run folder beside the run, not ./outputs
    for key, value in worker_env(cfg).items():  # every Ray worker, also on a cluster started elsewhere
        o.append(f"++ray_kwargs.ray_init.runtime_env.env_vars.{key}='{value}'")  # quoted: strings, not bools
    return o + list(cfg.overrides)


def worker_env(cfg: RLConfig) -> dict[str, str]:
    """What verl's processes need in their environment: the plugin, CPU mode, and this checkout on the path."""
    root = str(Path(__file__).resolve().parents[3])
    path = os.pathsep.join([root] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    env = {"VERL_USE_EXTERNAL_MODULES": "jamel.train.rl.plugin", "PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false"}
    if cfg.cpu:
        env["JAMEL_VERL_DEVICE"] = "cpu"
    return env


def cpu_overrides() -> list[str]:
    """CPU mode for the RL trainer (see jamel.train.verl_cpu): fp32, sdpa, no compile, one TransferQueue unit."""
    from jamel.train.verl_cpu import FP32_MIXED_PRECISION

    o = ["transfer_queue.backend.SimpleStorage.num_data_storage_units=1", "ray_kwargs.ray_init.num_cpus=8",
         "++ray_kwargs.ray_init.include_dashboard=false",  # ~10 dashboard processes to start: seconds of CPU
         "++actor_rollout_ref.model.override_config.attn_implementation=sdpa"]
    for role in ("actor", "ref"):
        # FSDP2's mixed-precision default is bf16 params under CPU autocast: 5-10x slower on CPU than fp32 and off
        # the fp32 rollout server by bf16 rounding (verl's rollout-vs-trainer check would measure that, not memory)
        o += [f"++actor_rollout_ref.{role}.fsdp_config.mixed_precision={FP32_MIXED_PRECISION}",
              f"actor_rollout_ref.{role}.fsdp_config.dtype=float32", f"actor_rollout_ref.{role}.fsdp_config.model_dtype=fp32",
              f"actor_rollout_ref.{role}.fsdp_config.use_torch_compile=false",
              f"actor_rollout_ref.{role}.use_torch_compile=false"]
    return o
