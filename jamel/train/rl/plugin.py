"""`VERL_USE_EXTERNAL_MODULES=jamel.train.rl.plugin`: verl imports this in every process it starts (driver,
TaskRunner, actor / agent-loop / rollout workers) at `import verl`, so every registration is in place wherever
verl looks it up:

  * the CPU platform (`jamel.train.verl_cpu`, with `JAMEL_VERL_DEVICE=cpu`), first, before verl's engines load;
    on other devices only the verl version check (0.9.1);
  * `JamelMemoryForCausalLM` with transformers' Auto classes (`jamel.train.memory_sft`);
  * the "jamel_hf" rollout (replica + weight-sync adapter, `jamel.train.rl.rollout`);
  * the "jamel_session" agent loop and its worker / manager (`jamel.train.rl.loop`);
  * the "jamel_sync" trainer mode (`jamel.train.rl.trainer`).
"""
from jamel.train import verl_cpu

if verl_cpu.cpu_mode_requested():
    verl_cpu.enable_cpu_mode()
else:
    verl_cpu.check_verl_version()

# Each module registers itself when its import completes. Plain imports only (no attribute access): a process
# whose first import is one of these modules gets here half-way through it, and that module finishes (and
# registers) after verl's import returns.
import jamel.train.memory_sft  # noqa: E402,F401  (AutoConfig / AutoModelForCausalLM registration)
import jamel.train.rl.rollout  # noqa: E402,F401
import jamel.train.rl.loop  # noqa: E402,F401
import jamel.train.rl.trainer  # noqa: E402,F401
