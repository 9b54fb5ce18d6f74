"""Transformer inference on CPU: our encoder vs Hugging Face eager, same batch size.

All-MiniLM-L6-v2 embeds 2,048 disaster tweets (mean pooling, max 128 tokens) in
batches of 32 on 2 threads. Hugging Face `transformers` (eager attention, batches in
file order) runs in the reference venv (`make bench-ref`); ours runs here:

* `ours-same-order`: our BERT (fused QKV, scaled_dot_product_attention), same batches;
* `ours-sorted`: plus length-sorted batches (what `predict` does: less padding);
* `ours-int8`: plus int8 dynamic quantization of the Linear layers (`export --int8`).

Reports tweets/s, the speed-up over Hugging Face, and agreement of the embeddings
(cosine similarity of the first 16 against Hugging Face's).
Usage: python benchmarks/bench_transformer_speed.py [--n 2048] [--batch 32]
       [--encoder out/encoders/all-mpnet-base-v2 --tag mpnet]   (any local encoder folder)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from common import data_dir, machine, run_reference, save, stamp
from safetensors.numpy import load_file

from tweetlab.data import load_dataset
from tweetlab.encoders import BertEncoder, make_tokenizer, mean_pool, read_encoder, resolve_encoder


def embed(enc, tok, texts, bs, sort):
    rows = [e.ids for e in tok.encode_batch(texts)]
    order = np.argsort([len(r) for r in rows], kind="stable") if sort else np.arange(len(rows))
    out = np.zeros((len(rows), enc.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(order), bs):
            idx = order[s:s + bs]
            width = max(len(rows[i]) for i in idx)
            pad = enc.config.pad_token_id if hasattr(enc, "config") else 0
            ids = torch.tensor([rows[i] + [pad] * (width - len(rows[i])) for i in idx])
            att = (torch.arange(width)[None, :] < torch.tensor([len(rows[i]) for i in idx])[:, None]).long()
            out[idx] = mean_pool(enc(ids, att), att).numpy()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encoder", default="all-MiniLM-L6-v2")
    parser.add_argument("--tag", help="name of the output JSON (transformer_speed_TAG.json)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    texts = load_dataset(data_dir() / "disaster_train.csv.gz").texts[: args.n]
    folder = resolve_encoder(args.encoder)
    config, tok_json, weights = read_encoder(folder)
    tok = make_tokenizer(tok_json, 128)
    enc = BertEncoder(config)
    enc.load_hf_state(load_file(str(weights)))
    enc.eval()
    ref = run_reference("hf_encoder.py", {"folder": str(folder), "texts": texts,
                                          "batch_size": args.batch, "threads": args.threads})
    hf_first = np.array(ref["first"])
    rows = {"huggingface-eager": {"tweets_per_s": ref["tweets_per_s"], "seconds": ref["seconds"]}}
    variants = [("ours-same-order", enc, False), ("ours-sorted", enc, True)]
    qenc = torch.ao.quantization.quantize_dynamic(enc, {torch.nn.Linear}, dtype=torch.qint8)
    variants.append(("ours-int8", qenc, True))
    for name, model, sort in variants:
        embed(model, tok, texts[: args.batch], args.batch, sort)  # warm-up
        start = time.perf_counter()
        emb = embed(model, tok, texts, args.batch, sort)
        seconds = time.perf_counter() - start
        a = emb[:16] / np.linalg.norm(emb[:16], axis=1, keepdims=True)
        b = hf_first / np.linalg.norm(hf_first, axis=1, keepdims=True)
        rows[name] = {"tweets_per_s": len(texts) / seconds, "seconds": seconds,
                      "min_cosine_vs_hf": float((a * b).sum(1).min())}
    base = rows["huggingface-eager"]["tweets_per_s"]
    for name, r in rows.items():
        r["speedup"] = r["tweets_per_s"] / base
        print(f"{name:<18} {r['tweets_per_s']:8.1f} tweets/s  x{r['speedup']:.2f}"
              + (f"  min cosine vs HF {r['min_cosine_vs_hf']:.5f}" if "min_cosine_vs_hf" in r else ""))
    save(f"transformer_speed_{args.tag}" if args.tag else "transformer_speed",
         {"date": stamp(), "machine": machine(), "n": len(texts), "encoder": args.encoder,
          "batch": args.batch, "threads": args.threads, "hf_torch": ref["torch"], "rows": rows})


if __name__ == "__main__":
    main()
