#!/usr/bin/env bash
# The jitter retrain of the embedded default in one run on a GPU: CLIP, then the prior, then the decoder, each
# from the shipped bundle's weights and on the jittered world, fitted to a time limit (SECONDS); the candidate
# bundle, its training logs and the done-when picture go to OUT (docs/gpu-training.md: why, and what to
# measure after). The upsamplers, conditioned on pixels only, stay the shipped ones.
#
#   bash bench/gpu_retrain.sh OUT [SECONDS=540] [DEVICE=cuda] [BATCH=512] [SCENES=60000]
#
# Wheels in .whl/ (open_clip_torch and what it needs; docs/gpu-training.md) are installed first where the
# machine has no open_clip and no network.
# The caches render first, on every core; of the time left then, less a minute for the export and the picture,
# CLIP gets 40%, the prior 10% and the decoder the rest. CLIP's batches are drawn by one process per spare core.
set -euo pipefail
out=${1:?usage: bash bench/gpu_retrain.sh OUT [SECONDS] [DEVICE] [BATCH] [SCENES]}
seconds=${2:-540} device=${3:-cuda} batch=${4:-512} scenes=${5:-60000}
start=$(date +%s) py=${PYTHON:-python3} run=${RUN:-runs/retrain}
if compgen -G ".whl/*.whl" >/dev/null; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
mkdir -p "$run" "$out"
"$py" -c "from pathlib import Path; from engine.training.data import scene_set
scene_set($scenes, 64, 0, cache=Path('$run'), world='mixed', jitter=True)"
echo "caches rendered after $(( $(date +%s) - start )) s" | tee "$out/train.log"
# minutes for a stage: this fraction of the seconds left before the last minute
minutes() { "$py" -c "print(max(0.05, ($seconds - 60 - ($(date +%s) - $start)) * $1 / 60))"; }
train() {
  "$py" main.py train "$@" --run "$run" --init default --device "$device" --batch "$batch" --scenes "$scenes" \
    --jitter 2>&1 | tr '\r' '\n' | grep -v '^ *$' | tail -n 3 | tee -a "$out/train.log"
}
train clip --steps 100000 --minutes "$(minutes 0.4)"
train prior --steps 100000 --minutes "$(minutes 0.1667)"  # a sixth of what CLIP left: 10% of the whole
train decoder --steps 200000 --world mixed --minutes "$(minutes 0.95)"
"$py" main.py train export --run "$run" --init default --out "$out/bundle"
cp "$run"/*.log.jsonl "$out/"
"$py" main.py generate "a large red circle on a blue background" --seed 3 --model "$out/bundle" \
  --device "$device" --out "$out/x.png"
echo "done after $(( $(date +%s) - start )) s" | tee -a "$out/train.log"
