#!/usr/bin/env bash
# The GPU checks of the ledger issue in one run: CUDA tests, the 100-seed ledger rows
# (stacked seeds), the step time against PyG, the serial GPU epoch time, one GAT layer
# on 0.1M-10M-node graphs, and multi-head attention against torch's.
#
#   OUT=out/cuda GATTUT_DATA=../shared/data bash benchmarks/cuda.sh
#   MODELS=gat OUT=out/cuda GATTUT_DATA=../shared/data bash benchmarks/cuda.sh   # GAT rows only
#
# Needs torch with CUDA and torch_geometric (for the comparison); runs from the
# repository root without installing gattut. Each step has its own time limit, so
# one that fails or hangs does not cost the others; everything is logged to $OUT.
set -u
OUT=${OUT:-results/cuda-run}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 GATTUT_OFFLINE=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
PY=${PYTHON:-python3}
MODELS=${MODELS:-gat,gatv2,gcn,mlp}
step() {
    local limit=$1; shift
    echo "== $(date +%T) [$limit s] $*"
    local t0=$SECONDS
    timeout "$limit" "$@"
    local rc=$?
    echo "== rc=$rc after $((SECONDS - t0)) s"
}
nvidia-smi -L
$PY -c "import torch, torch_geometric; print('torch', torch.__version__, 'pyg', torch_geometric.__version__, torch.cuda.get_device_name())"
step 90 $PY -m pytest -q -p no:cacheprovider tests/train/test_cuda.py tests/train/test_seeds.py \
    tests/graph/test_stacked.py tests/graph/test_gat.py tests/graph/test_spmm.py
step 300 $PY -m gattut reproduce --datasets cora,citeseer --models "$MODELS" --seeds 100 --stacked 100 \
    --device cuda --out "$OUT/ledger" --fresh
step 60 $PY benchmarks/gat.py --device cuda --repeats 50 --warmup 10 --stacked 100
step 40 $PY -m gattut train --dataset cora --model gat --seeds 2 --device cuda --no-progress
step 150 $PY benchmarks/scaling.py --device cuda --sizes 100000 1000000 10000000 --repeats 5 --timeout 120
step 40 $PY benchmarks/attention.py --device cuda --repeats 50 --warmup 10
echo "== done $(date +%T)"
