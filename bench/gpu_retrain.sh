#!/usr/bin/env bash
# A retrain of an embedded bundle in one run on a GPU: CLIP, then the prior, then the decoder, each from the bundle's
# weights, fitted to a time limit (SECONDS); the trained stages (packed to come back from a machine that returns at
# most 8 files of 16 MiB), their training logs and one picture go to OUT (docs/gpu-training.md: why, and what to
# measure after). The upsamplers, conditioned on pixels only, stay the bundle's.
#
#   bash bench/gpu_retrain.sh OUT [SECONDS=540] [DEVICE=cuda] [BATCH=512] [SCENES=60000]
#   RECIPE=everyday bash bench/gpu_retrain.sh OUT …     # the everyday world's bundle (default: the shapes one)
#
# RECIPE=shapes (the default): the embedded default on the jittered world, the decoder on the mixed world.
# RECIPE=everyday: the everyday candidate on its world of things and shapes.
# Wheels in .whl/ (open_clip_torch and what it needs; docs/gpu-training.md) are installed first where the
# machine has no open_clip and no network.
# The caches render first, on every core; of the time left then, less a minute for the export and the picture,
# CLIP gets its share (shapes 40%, everyday 30%), the prior a sixth of what CLIP leaves and the decoder the rest.
# CLIP's batches are drawn by one process per spare core.
# OUT/stages.tar holds the trained prior and decoder with the bundle's index, OUT/clip.tar the CLIP (each under
# 16 MiB); unpack both over a copy of the bundle (docs/gpu-training.md).
set -euo pipefail
out=${1:?usage: bash bench/gpu_retrain.sh OUT [SECONDS] [DEVICE] [BATCH] [SCENES]}
seconds=${2:-540} device=${3:-cuda} batch=${4:-512} scenes=${5:-60000}
start=$(date +%s) py=${PYTHON:-python3} recipe=${RECIPE:-shapes}
case "$recipe" in
  shapes) init=default world=mixed jitter=True flags="--jitter" decoder_world="--world mixed" clip_share=0.4
    prompt="a large red circle on a blue background" ;;
  everyday) init=everyday world=everyday jitter=False flags="--recipe everyday" decoder_world="" clip_share=0.3
    prompt="a cat" ;;
  *) echo "RECIPE must be shapes or everyday, got $recipe" >&2; exit 2 ;;
esac
run=${RUN:-runs/retrain-$recipe}
if compgen -G ".whl/*.whl" >/dev/null; then
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
mkdir -p "$run" "$out"
"$py" -c "from pathlib import Path; from engine.training.data import scene_set
scene_set($scenes, 64, 0, cache=Path('$run'), world='$world', jitter=$jitter)"
echo "caches rendered after $(( $(date +%s) - start )) s" | tee "$out/train.log"
# minutes for a stage: this fraction of the seconds left before the last minute
minutes() { "$py" -c "print(max(0.05, ($seconds - 60 - ($(date +%s) - $start)) * $1 / 60))"; }
train() {
  "$py" main.py train "$@" --run "$run" --init "$init" --device "$device" --batch "$batch" --scenes "$scenes" \
    $flags 2>&1 | tr '\r' '\n' | grep -v '^ *$' | tail -n 3 | tee -a "$out/train.log"
}
train clip --steps 100000 --minutes "$(minutes "$clip_share")"
train prior --steps 100000 --minutes "$(minutes 0.1667)"  # a sixth of what CLIP left
train decoder --steps 200000 $decoder_world --minutes "$(minutes 0.95)"
"$py" main.py train export --run "$run" --init "$init" $flags --out "$run/bundle"
tar cf "$out/clip.tar" -C "$run/bundle" clip
tar cf "$out/stages.tar" -C "$run/bundle" --exclude clip --exclude 'upsampler_*' --exclude live_decoder .
tar cf "$out/logs.tar" -C "$run" $(cd "$run" && ls *.log.jsonl)
"$py" main.py generate "$prompt" --seed 3 --model "$run/bundle" --device "$device" --out "$out/x.png"
echo "done after $(( $(date +%s) - start )) s" | tee -a "$out/train.log"
