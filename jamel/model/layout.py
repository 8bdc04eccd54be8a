"""The packaged model folder's layout, readable without torch: jobs check a --model-path with it before
they start workers (a wrong path then fails in a second, not after the workers have loaded torch)."""
from __future__ import annotations

import json
from pathlib import Path

FORMAT = "jamel-packaged-model"
FORMAT_VERSION = 1
HOW_TO_PACKAGE = "a folder written by JamelModel.save_pretrained (shell/run_qwen25vl_7b_sft.sh's OUTPUT_MODEL_PATH)"


def packaged_model_problem(directory: str | Path) -> str | None:
    """Why `directory` is not a packaged JAMEL model (one line), or None when its layout is complete."""
    d = Path(directory).expanduser()
    if not d.is_dir():
        return f"model folder {d} does not exist; give {HOW_TO_PACKAGE}"
    meta = d / "model.json"
    if not meta.is_file():
        return f"{d} has no model.json, so it is not a packaged JAMEL model; give {HOW_TO_PACKAGE}"
    try:
        config = json.loads(meta.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return f"{meta} is not valid JSON ({exc})"
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        return f"{meta} is not a {FORMAT} file; give {HOW_TO_PACKAGE}"
    parts = [config.get(part, {}).get("path") if isinstance(config.get(part), dict) else None
             for part in ("actor", "compressor", "aligner")]
    missing = [name for name, path in zip(("actor", "compressor", "aligner"), parts) if not path or not (d / path).exists()]
    if missing:
        return f"{d}: model.json names parts that are not there: {', '.join(missing)}"
    return None
