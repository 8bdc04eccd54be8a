"""The seed's entry point, kept as a thin wrapper over `jamel prepare-sft` (jamel.data.sft)."""
import logging
import sys

from jamel.config import run_command
from jamel.data.sft import prepare_sft

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    raise SystemExit(run_command(prepare_sft, sys.argv[1:], "jamel prepare-sft"))
