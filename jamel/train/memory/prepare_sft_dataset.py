"""The seed's entry point, kept as a thin wrapper over `jamel prepare-sft` (jamel.data.sft)."""
import sys

from jamel.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["prepare-sft", *sys.argv[1:]]))
