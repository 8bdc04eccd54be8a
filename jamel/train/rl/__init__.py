"""RL on the novelty reward with verl 0.9.1's V1 sync PPO trainer (see docs/training.md, "RL").

    config.py   RLConfig (every knob) -> verl overrides; entry.py runs `verl.trainer.main_ppo` and packages
    plugin.py   the module verl imports in every process (VERL_USE_EXTERNAL_MODULES): registrations
    rollout.py  the HF-generate rollout backend (replica + server + weight-sync adapter)
    agent.py    RLAgent: the policy's side of a session inside an env worker (memory, prompt, generate)
    loop.py     verl agent loop (one session -> one sample per step), its worker/manager, the app dataset
    trainer.py  the trainer mode: verl's sync trainer with JAMEL's advantage step and metrics
    sample.py   the step sample and the model inputs built from it (shared by rollout and training)
    advantage.py  step-level advantage estimators (GRPO, GiGPO, ...)
"""
