"""Hugging Face transformers, eager attention: mean-pooled embeddings and time (reference venv)."""

import json
import sys
import time

import torch
from transformers import AutoModel, AutoTokenizer

payload = json.load(open(sys.argv[1]))
torch.set_num_threads(payload["threads"])
folder, texts, bs = payload["folder"], payload["texts"], payload["batch_size"]
tok = AutoTokenizer.from_pretrained(folder)
model = AutoModel.from_pretrained(folder, attn_implementation="eager").eval()


def run(texts):
    out = []
    with torch.inference_mode():
        for s in range(0, len(texts), bs):
            enc = tok(texts[s:s + bs], padding=True, truncation=True, max_length=128,
                      return_tensors="pt")
            h = model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            out.append((h * m).sum(1) / m.sum(1))
    return torch.cat(out)


run(texts[:bs])  # warm-up
start = time.perf_counter()
emb = run(texts)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "tweets_per_s": len(texts) / seconds,
                  "first": emb[:16].tolist(), "torch": torch.__version__}))
