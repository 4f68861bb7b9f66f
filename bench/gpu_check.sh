#!/usr/bin/env bash
# The GPU check, prepared to finish within a 10-minute time limit on a CUDA machine; every result goes under $OUT.
#
#   OUT=/path bash bench/gpu_check.sh                      # on a CUDA machine
#   OUT=/tmp/check bash bench/gpu_check.sh --tiny --device cpu   # smoke run of this script on a CPU (minutes)
#
# 1. the engine tests on the device (UNCLIP_TEST_DEVICE: the tiny fixtures move there), parity included;
# 2. the studio's engine worker offscreen on the device: one job, one strip, one cancel, and a real
#    out-of-memory (a capped CUDA allocator) that must split the batch;
# 3. the fast path's tests (engine/nn/fused.py, batched seeds); on the device with the slow one, inductor's
#    Triton code for the blocks and the fused GroupNorm+SiLU;
# 4. bench/gpu_karlo.py --json: ours against diffusers' UnCLIPPipeline, batch 1 and 4, peak memory, then the
#    fast path's rows (regional torch.compile, fused GroupNorm+SiLU; its first call compiles). Rows stream, so a
#    step cut by its limit keeps the rows before the cut.
# Each step has its own time limit and its own log; a failing step does not stop the others.
# The limits add up to 570 s, inside a 10-minute limit with time to write the results back.
set -uo pipefail
cd "$(dirname "$0")/.."
device=cuda tiny=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tiny) tiny=--tiny ;;
    --device) device=$2; shift ;;
    *) echo "usage: OUT=DIR bash bench/gpu_check.sh [--tiny] [--device cuda|cpu]" >&2; exit 2 ;;
  esac
  shift
done
out=${OUT:?set OUT to the folder for the results}
py=${PYTHON:-.venv/bin/python}
[ -x "$py" ] || py=python3
mkdir -p "$out"
export QT_QPA_PLATFORM=offscreen UNCLIP_TEST_DEVICE=$device PYTHONUNBUFFERED=1
step() {  # name, seconds, command…
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc after $(( SECONDS - start )) s" | tee -a "$out/summary.txt"
}
"$py" -c "import torch; print(torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))" \
  | tee "$out/summary.txt"
tests="tests/engine/test_pipeline.py tests/engine/test_solvers.py tests/engine/test_karlo_parity.py"
step tests 100 "$py" -m pytest -q -p no:cacheprovider $tests  # (test_replay renders on the CPU: not a device check)
marks="slow or not slow" backend=inductor
[ "$device" = cpu ] && marks="not slow" backend=eager  # inductor's C++ build of every block: minutes on a CPU
step fast_tests 160 "$py" -m pytest -q -p no:cacheprovider -m "$marks" tests/engine/test_fast_path.py \
  tests/engine/test_batched_seeds.py
step worker 60 "$py" bench/device_worker_check.py --device "$device" $tiny --out "$out/worker.json"
smoke=""
[ -n "$tiny" ] && smoke="--repeats 1 --batches 1"  # a CPU smoke run checks the script, not the speed
step karlo 250 "$py" bench/gpu_karlo.py --device "$device" $tiny $smoke --compile-backend "$backend" --json
grep "^{" "$out/karlo.log" >"$out/karlo.jsonl"  # the rows alone (the log also holds warnings)
cat "$out/summary.txt"
