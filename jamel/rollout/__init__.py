"""Running many sessions: the warm worker pool shared by explore, eval and RL rollouts."""
