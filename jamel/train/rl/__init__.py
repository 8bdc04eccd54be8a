"""RL on the novelty reward over live browser sessions (verl 0.9.1 trainer extensions)."""
