"""Running many sessions: the warm worker pool shared by explore, eval and RL rollouts."""
from jamel.rollout.pool import SessionPool, SessionResult, SessionTask, SessionWorker, StepTick, WorkerSpec

__all__ = ["SessionPool", "SessionResult", "SessionTask", "SessionWorker", "StepTick", "WorkerSpec"]
