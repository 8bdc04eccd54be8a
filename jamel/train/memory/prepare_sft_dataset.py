"""The seed's entry point, kept as a thin wrapper: the SFT rows are built by `jamel.data.sft`."""
from jamel.data.sft import main

if __name__ == "__main__":
    raise SystemExit(main())
