"""Print the tables of benchmarks/RESULTS.md from the JSON files the scripts wrote (out/).

Usage: python benchmarks/render_results.py > /tmp/tables.md   (then paste into RESULTS.md;
only the benchmarks whose JSON is in out/ are printed)
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def load(name: str) -> dict | None:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


# RESULTS.md names this machine once, as "machine A", in its introduction.
MACHINE_A = "2 cores (AMD EPYC), Python 3.11.7, torch 2.13.0+cpu, threads 2"


def header(d: dict, title: str) -> None:
    machine = "" if d["machine"] == MACHINE_A else f"; {d['machine']}"
    print(f"\n### {title}\n\n_{d['date']}{machine}_\n")


def families(name: str, title: str) -> None:
    d = load(name)
    if not d:
        return
    header(d, title)
    print("| task | family | metric | score | accuracy | macro-F1 | train s | predict tweets/s |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in d["rows"]:
        print(f"| {r['task']} | {r['family']} | {r['metric']} | {r['score']:.4f} | "
              f"{r['accuracy']:.4f} | {r['macro_f1']:.4f} | {r['train_seconds']:.1f} | "
              f"{r['predict_tweets_per_s']:,.0f} |")


def variants(runs: list[tuple[str, str]], title: str) -> None:
    """One table from several runs of bench_families.py: (JSON name, settings) each."""
    found = [(load(name), settings) for name, settings in runs]
    found = [(d, settings) for d, settings in found if d]
    if not found:
        return
    print(f"\n### {title}\n")
    print("| task | family | settings | score | accuracy | train s | predict tweets/s | run |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for d, settings in found:
        for r in d["rows"]:
            print(f"| {r['task']} | {r['family']} | {settings} | {r['score']:.4f} | "
                  f"{r['accuracy']:.4f} | {r['train_seconds']:.1f} | "
                  f"{r['predict_tweets_per_s']:,.0f} | {d['date']} |")
    print(f"\n_{found[0][0]['machine']}_")


def distill(name: str, title: str) -> None:
    d = load(name)
    if not d:
        return
    header(d, title)
    print(f"{d['n_train']:,} labelled training tweets, {d['n_test']:,} test tweets.\n")
    print("| model | positive F1 | accuracy | macro-F1 | train s | predict tweets/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in d["rows"]:
        train = f"{r['train_seconds']:.0f}" if r["train_seconds"] is not None else "-"
        name = r["model"] + (f" ({' '.join(r['settings'])})" if r.get("settings") else "")
        print(f"| {name} | {r['positive_f1']:.4f} | {r['accuracy']:.4f} | "
              f"{r['macro_f1']:.4f} | {train} | {r['predict_tweets_per_s']:,.0f} |")


def network(row: dict) -> str:
    """The network's own held-out BPC and the n-gram weight, for mixed generators."""
    if not row.get("ngram"):
        return "-"
    return f"{row['valid_bpc_network']:.3f} ({row['ngram']['weight']:g})"


def sentiment() -> None:
    """`bench_sentiment.py`: the sentiment models, VADER and the baseline side by side."""
    d = load("sentiment")
    if not d:
        return
    header(d, "Sentiment models vs VADER and a scikit-learn TF-IDF baseline "
              "(`bench_sentiment.py`)")
    clean = d.get("tweeteval_clean_n")
    sets = [("tweeteval", "macro_recall", "TweetEval val, macro recall"),
            *([("tweeteval (clean)", "macro_recall",
                f"TweetEval val less the 400 in SemEval ({clean:,}), macro recall")]
              if clean else []),
            ("sentiment140", "pn_accuracy", "Sentiment140 held-out, pos vs neg accuracy"),
            ("semeval", "macro_f1", "SemEval held-out, macro-F1"),
            ("airline", "macro_f1", "airline held-out, macro-F1"),
            ("entity", "macro_f1", "entity held-out, macro-F1")]
    # Cells that are no held-out score: the model trained on that part.
    # (The accurate model's recipe leaves out the SemEval tweets that are TweetEval's.)
    trained_on = {"en-sentiment-accurate": {"semeval": "(trained on)"},
                  "en-sentiment-accurate (ONNX int8)": {"semeval": "(trained on)"},
                  "multilingual-sentiment": {"tweeteval": "(trained on)",
                                             "tweeteval (clean)": "(trained on)"}}
    models = list(d["english"])
    print("| model | " + " | ".join(title for _, _, title in sets) + " | ECE (TweetEval clean) |")
    print("|---|" + "---:|" * (len(sets) + 1))
    for m in models:
        row = d["english"][m]
        cells = []
        for src, key, _ in sets:
            v = (row.get(src) or {}).get(key)
            cells.append(trained_on.get(m, {}).get(src) or ("-" if v is None else f"{v:.4f}"))
        ece = None if "tweeteval (clean)" in trained_on.get(m, ()) else \
            (row.get("tweeteval (clean)") or row.get("tweeteval") or {}).get("ece")
        print(f"| {m} | " + " | ".join(cells) + f" | {'-' if ece is None else f'{ece:.3f}'} |")
    if d.get("russian"):
        print("\nRussian, SentiRuEval-2016 held-out 20% (the company given as `[entity] text`):\n")
        print("| model | F1 (pos/neg) | macro-F1 | accuracy | ECE |")
        print("|---|---:|---:|---:|---:|")
        for m, row in d["russian"].items():
            r = row["sentirueval"]
            print(f"| {m} | {r['f1_pn']:.4f} | {r['macro_f1']:.4f} | {r['accuracy']:.4f} | "
                  f"{r['ece']:.3f} |")
    sp = d.get("speed")
    if sp:
        print(f"\nThe bundled en-sentiment in a fresh process on one core: "
              f"{sp['load_s']:.2f} s from `import tweetlab` to its first label (torch "
              f"{'imported' if sp['torch_imported'] else 'not imported'}), then "
              f"{sp['tweets_per_s']:,.0f} tweets/s (10,000 Sentiment140 tweets).")
    caps = [c for c in next(iter(d["checks"].values())) if c != "all"] + ["all"]
    print("\nBehaviour checks (`tweetlab.checklist`, pass rate per capability):\n")
    print("| model | " + " | ".join(caps) + " |")
    print("|---|" + "---:|" * len(caps))
    for m, rates in d["checks"].items():
        print(f"| {m} | " + " | ".join(f"{rates[c]:.0%}" for c in caps) + " |")


def main() -> None:
    sentiment()
    families("families", "Fast families on every task")
    d = load("scale")
    if d:
        header(d, f"Training on a large file ({d['rows'][0]['tweets']:,} tweets, "
                  "`bench_scale.py`)")
        print("| family | wall s (a fresh process, reading included; tfidf-features: up to the "
              "solver) | peak RSS MB |")
        print("|---|---:|---:|")
        for r in d["rows"]:
            print(f"| {r['family']} | {r['wall_seconds']:,.1f} | {r['peak_rss_mb']:,} |")
    families("families_lstm_cnn", "lstm and cnn on every task")
    families("families_transformer", "transformer (all-MiniLM-L6-v2 fine-tuned)")
    families("families_transformer_disaster",
             "transformer (all-MiniLM-L6-v2 fine-tuned, 600 s budget) on disaster tweets")
    families("families_transformer_disaster_lr1e-4",
             "transformer on disaster tweets, lr 1e-4, up to 4 epochs (600 s budget)")
    families("families_deep_entity", "lstm and cnn on the entity task (300 s budget each)")
    families("families_transformer_entity",
             "transformer on the entity task (1,500 s budget, split grouped by id)")
    families("families_transformer_tass",
             "transformer (all-MiniLM-L6-v2, an English encoder) on TASS Spanish, 600 s budget")
    variants([("families_tass_tfidf_balanced", "C=1, class_weight=balanced"),
              ("families_tass_use", "encoder=use-multilingual, C=1, class_weight=balanced"),
              ("families_tass_use_ngrams", "encoder=use-multilingual, ngrams=true, C=1, "
                                           "class_weight=balanced")],
             "TASS Spanish (4 classes, macro-F1): multilingual sentence vectors + n-grams")
    d = load("cv_embed_lr_tass-es")
    if d:
        header(d, "How the TASS settings were chosen: 5-fold CV on the training part "
                  "(`cv_embed_lr.py`)")
        print("| features | C | class_weight | CV macro-F1 | test macro-F1 |")
        print("|---|---:|---|---:|---:|")
        for r in d["rows"]:
            mark = "**" if r == d["chosen"] else ""
            print(f"| {mark}{r['features']}{mark} | {r['C']:g} | {r['class_weight'] or 'none'} | "
                  f"{mark}{r['cv']:.4f}{mark} (+-{r['cv_std']:.3f}) | {r['test']:.4f} |")
    variants([("families_disaster_embed", "all-MiniLM-L6-v2 vectors"),
              ("families_disaster_embed_ngrams", "all-MiniLM-L6-v2 vectors + ngrams=true"),
              ("families_disaster_use_ngrams", "encoder=use-multilingual, ngrams=true")],
             "disaster tweets (positive-class F1): embed-lr, frozen vectors with and without n-grams")
    families("families_transformer_disaster_mpnet",
             "transformer with all-mpnet-base-v2 (110M parameters) on disaster tweets")
    distill("distill", "distill on disaster tweets (fasttext student, all-MiniLM-L6-v2 "
                       "transformer teacher, 20,000 extra unlabelled English tweets)")
    distill("distill_aug10", "distill on disaster tweets (fasttext student, all-MiniLM-L6-v2 "
                             "teacher, no extra tweets: 10 perturbed copies of each training "
                             "tweet labelled by the teacher)")
    distill("distill_mpnet", "distill on disaster tweets (fasttext student, all-mpnet-base-v2 "
                             "transformer teacher, 20,000 extra unlabelled English tweets)")
    d = load("keras_vs_bowmlp")
    if d:
        header(d, "bow-mlp vs the founding Keras MLP")
        k, b = d["keras"], d["bow_mlp"]
        print(f"| | seconds per epoch ({d['timing_rows']:,} tweets) | held-out accuracy | macro-F1 |")
        print("|---|---:|---:|---:|")
        print(f"| Keras/TensorFlow MLP (batch 32) | {k['epoch_seconds'][-1]:.1f} | "
              f"{d['keras_best']['accuracy']:.4f} (best of {len(k['scores'])} epochs) | "
              f"{d['keras_best'].get('macro_f1', float('nan')):.4f} |")
        print(f"| tweetlab bow-mlp | {b['epoch_seconds'][-1]:.2f} | {b['accuracy']:.4f} | "
              f"{b['macro_f1']:.4f} |")
        print(f"\nSpeed-up per epoch: **{d['speedup_per_epoch']:.1f}x**.")
        if k.get("timed_steps"):
            print(f"\nKeras seconds per epoch: {k['timed_steps']:,} steps timed after as many "
                  f"warm-up steps, scaled to the epoch's {k['steps_per_epoch']:,} steps.")
    d = load("fasttext_vs_ours")
    if d:
        header(d, "fasttext family vs fastText")
        if "time_ratio_2" not in d["rows"][0]:  # before the per-thread runs
            print("| task | ours train s | ours accuracy | fastText train s | fastText accuracy (best lr) | time ratio |")
            print("|---|---:|---:|---:|---:|---:|")
            for r in d["rows"]:
                best = max(r["fasttext"], key=lambda x: x["accuracy"])
                print(f"| {r['task']} | {r['ours']['train_seconds']:.2f} | {r['ours']['accuracy']:.4f} | "
                      f"{best['train_seconds']:.2f} | {best['accuracy']:.4f} (lr {best['params']['lr']}) | "
                      f"{r['time_ratio']:.2f}x |")
        else:
            print("| task | epochs | threads | ours train s (of which prepare) | ours accuracy | "
                  "fastText train s | fastText accuracy (best lr) | time ratio |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for r in d["rows"]:
                for th, o in sorted(r["ours"].items()):
                    best = max((x for x in r["fasttext"] if x["params"]["thread"] == int(th)),
                               key=lambda x: x["accuracy"])
                    print(f"| {r['task']} | {r['epochs']} | {th} | {o['train_seconds']:.2f} "
                          f"({o['prepare_seconds']:.2f}) | {o['accuracy']:.4f} | "
                          f"{best['train_seconds']:.2f} | {best['accuracy']:.4f} "
                          f"(lr {best['params']['lr']}) | **{r[f'time_ratio_{th}']:.2f}x** |")
            if "cold_first_fit_seconds" in d:
                print(f"\nLibrary loading excluded on both sides: ours after one untimed warm-up "
                      f"fit that loads the compiled kernels ({d['cold_first_fit_seconds']:.2f} s "
                      "for 200 tweets, 1 epoch), fastText after its module import.")
            seeded = [r for r in d["rows"] if "seed_runs" in r]
            if seeded:
                n = seeded[0]["seed_runs"]["seeds"]
                print(f"\nAccuracy over {n} seeds, 1 thread (fastText: the better lr by mean):\n")
                print("| task | ours mean (min-max) | fastText mean (min-max) | difference |")
                print("|---|---:|---:|---:|")
                for r in seeded:
                    sr = r["seed_runs"]
                    theirs = sr["fasttext"][str(sr["fasttext_best_lr"])]
                    print(f"| {r['task']} | {sr['ours_mean']:.4f} ({min(sr['ours']):.4f}-"
                          f"{max(sr['ours']):.4f}) | {sr['fasttext_mean']:.4f} ({min(theirs):.4f}-"
                          f"{max(theirs):.4f}, lr {sr['fasttext_best_lr']}) | "
                          f"{sr['accuracy_delta_mean']:+.4f} |")
    d = load("digits")
    if d:
        header(d, "image-cnn on MNIST (digits)")
        print(f"Held-out accuracy **{d['accuracy']:.4f}** (TTA {d['accuracy_tta']:.4f}) on "
              f"{d['n_test']:,} images; trained in **{d['train_seconds']:.0f} s** "
              f"({d['epochs_run']} epochs, best {d['best_epoch']}); predict "
              f"{d['predict_images_per_s']:,.0f} images/s.")
    names = sorted(p.stem for p in OUT.glob("generate_*.json"))
    for name in [n for n in names if "_trial" not in n]:
        d = load(name)
        header(d, f"Generators: {name.removeprefix('generate_')}")
        print("| account | family | held-out BPC | network alone (n-gram weight) | train s | "
              "epochs | parameters | tweets/s | rejected (of 100) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in d["rows"]:
            print(f"| {r.get('account', '')} | {r['family']} | {r['valid_bpc']:.3f} | {network(r)} | "
                  f"{r['train_seconds']:.0f} | {r['epochs']} | "
                  f"{r['parameters']:,} | {r['tweets_per_s']:.1f} | {r['rejected_of_100'] if r['rejected_of_100'] is not None else '-'} |")
        for r in d["rows"]:
            print(f"\nSamples, {r.get('account', '')} {r['family']}:\n")
            for s in r["samples"]:
                print(f"> {s}\n")
    trials = [n for n in names if "_trial" in n]
    if trials:
        print("\n### Generator trials (settings on top of the defaults of their time)\n")
        print("| date | account | family | baseline | settings | held-out BPC | network alone "
              "(n-gram weight) | train s | epochs | tweets/s |")
        print("|---|---|---|---|---|---:|---:|---:|---:|---:|")
        for d in sorted((load(n) for n in trials), key=lambda d: d["date"]):
            for r in d["rows"]:
                print(f"| {d['date']} | {r['account']} | {r['family']} | {d.get('baseline', '')} | "
                      f"{' '.join(r.get('settings', []))} | {r['valid_bpc']:.3f} | {network(r)} | "
                      f"{r['train_seconds']:.0f} | {r['epochs']} | {r['tweets_per_s']:.1f} |")
    for name in sorted(p.stem for p in OUT.glob("genspeed*.json")):
        d = load(name)
        header(d, "Generation speed (saved generator models, 100 tweets, default sampling, "
                  "novelty filter on)" + (f", {name.removeprefix('genspeed_')}"
                                           if name != "genspeed" else ""))
        print("| account | family | folder | parameters | tweets/s | mean characters | rejected | "
              "network alone: tweets/s (mean characters) |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
        for r in d["rows"]:
            alone = r.get("network_alone")
            print(f"| {r['account']} | {r['family']} | {r.get('folder', '')} | {r['parameters']:,} | "
                  f"{r['tweets_per_s']:.1f} | {r['mean_chars']:.0f} | {r['rejected_of_100']} | "
                  + (f"{alone['tweets_per_s']:.1f} ({alone['mean_chars']:.0f})" if alone else "-")
                  + " |")
    d = load("analyze")
    if d:
        header(d, "analyze throughput")
        print(f"Model: {d.get('model', 'en-sentiment')}.\n")
        print("| rows | seconds end to end | tweets/s | peak RSS MB (main) | peak RSS MB (largest "
              "worker) |")
        print("|---:|---:|---:|---:|---:|")
        for r in d["rows"]:
            print(f"| {r['rows']:,} | {r['seconds']:.1f} | {r['tweets_per_s_end_to_end']:,.0f} | "
                  f"{r['peak_rss_mb']:.0f} | {r.get('worker_peak_rss_mb', 0):.0f} |")
    runs = [(name, load(name)) for name in sorted(p.stem for p in OUT.glob("predict_file*.json"))]
    if runs:
        d = runs[-1][1]
        header(d, f"predict --input FILE --output FILE{d['output']} (`bench_predict_file.py`)")
        print(f"Model: {d['model']}; each size in a fresh process. Runs: "
              + ", ".join(f"{name} {r['date']}" for name, r in runs) + ".\n")
        print("| run | rows | seconds end to end | tweets/s | peak RSS MB (main / largest worker)"
              " | load_dataset alone: s / peak RSS MB |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, run in runs:
            for r in run["rows"]:
                load_ = r.get("load_dataset")
                print(f"| {name} | {r['rows']:,} | {r['seconds']:.1f} | {r['tweets_per_s']:,.0f}"
                      f" | {r['peak_rss_mb']:,.0f} / {r.get('worker_peak_rss_mb', 0) or '-'} | "
                      + (f"{load_['seconds']:.1f} / "
                                                         f"{load_['peak_rss_mb']:,.0f}"
                                                         if load_ else "-") + " |")
    for name in sorted(p.stem for p in OUT.glob("serve_*.json")):
        d = load(name)
        header(d, f"serve ({d['model']}, {d.get('workers', 1)} worker process)")
        print("| load | concurrency | requests/s | tweets/s | p50 ms | p99 ms | errors |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in d["rows"]:
            tps = r.get("tweets_per_s", r["requests_per_s"])
            print(f"| {r['kind']} | {r['concurrency']} | {r['requests_per_s']:,.0f} | {tps:,.0f} | "
                  f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |")
        if d.get("soak"):
            s = d["soak"]
            print(f"\nSoak {s['seconds']:.0f} s: {s['requests']:,} requests, {s['errors']} errors, "
                  f"RSS {s['rss_start_mb']:.0f} -> {s['rss_end_mb']:.0f} MB (max {s['rss_max_mb']:.0f}).")
    d = load("soak")
    if d:
        header(d, "serve soak")
        print(f"{d['seconds']:.0f} s at {d['rate']:.0f} requests/s (4 clients, the three bundled "
              f"models, singles and batches of 20): {d['requests']:,} requests, **{d['errors']} "
              f"errors**; p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms; server RSS "
              f"{d['rss_start_mb']:.0f} MB after warm-up -> {d['rss_end_mb']:.0f} MB at the end "
              f"(max {d['rss_max_mb']:.0f}).")
    for name, title in (("transformer_speed", "all-MiniLM-L6-v2"),
                        ("transformer_speed_mpnet", "all-mpnet-base-v2")):
        d = load(name)
        if not d:
            continue
        header(d, f"transformer inference speed, {title} ({d['n']:,} disaster tweets, "
                  f"batch {d['batch']}, {d['threads']} threads)")
        print("| implementation | tweets/s | vs Hugging Face eager | min cosine vs HF |")
        print("|---|---:|---:|---:|")
        for impl, r in d["rows"].items():
            cos = f"{r['min_cosine_vs_hf']:.5f}" if "min_cosine_vs_hf" in r else ""
            print(f"| {impl} | {r['tweets_per_s']:.1f} | {r['speedup']:.2f}x | {cos} |")


if __name__ == "__main__":
    main()
