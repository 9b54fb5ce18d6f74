"""The founding Keras/TensorFlow MLP, as a reference (run in the `make bench-ref` venv).

Top-N words (Keras Tokenizer rules: lower-case, punctuation filtered, split on spaces,
indices below num_words kept) -> binary bag -> Dense 512 relu -> Dropout 0.5 -> Dense 256
sigmoid -> Dropout 0.5 -> Dense k softmax, Adam, batch 32. The one-hot matrix is fed
from a sparse tensor and densified per batch inside tf.data (the original built the whole
dense matrix, which for 200k tweets is 8 GB). Input: a JSON file; output: one JSON line.
With "timing_steps", seconds per epoch are measured on that many steps (after as many
warm-up steps) and scaled to the epoch.
"""

import json
import sys
import time
from collections import Counter

import numpy as np
import tensorflow as tf
from tensorflow import keras

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
TABLE = str.maketrans(FILTERS, " " * len(FILTERS))


def words(text):
    return text.lower().translate(TABLE).split()


def fit_index(texts, num_words):
    counts = Counter(w for t in texts for w in words(t))
    ranked = [w for w, _ in counts.most_common()]
    return {w: i + 1 for i, w in enumerate(ranked) if i + 1 < num_words}


def sparse_bags(texts, index, num_words):
    indices = []
    for row, t in enumerate(texts):
        for col in sorted({index[w] for w in words(t) if w in index}):
            indices.append((row, col))
    values = np.ones(len(indices), dtype=np.float32)
    return tf.sparse.SparseTensor(np.array(indices, dtype=np.int64).reshape(-1, 2), values,
                                  (len(texts), num_words))


def dataset(texts, labels, index, num_words, batch, shuffle):
    x = sparse_bags(texts, index, num_words)
    ds = tf.data.Dataset.from_tensor_slices((x, np.array(labels, dtype=np.int64)))
    if shuffle:
        ds = ds.shuffle(len(texts), seed=0)
    return ds.batch(batch).map(lambda a, b: (tf.sparse.to_dense(a), b)).prefetch(2)


def model(num_words, k):
    m = keras.Sequential([
        keras.Input((num_words,)),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(256, activation="sigmoid"),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(k, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def macro_f1(gold, pred, k):
    f1s = []
    for c in range(k):
        tp = np.sum((gold == c) & (pred == c))
        p = tp / max(np.sum(pred == c), 1)
        r = tp / max(np.sum(gold == c), 1)
        f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
    return float(np.mean(f1s))


def main():
    cfg = json.load(open(sys.argv[1]))
    tf.random.set_seed(0)
    n, bs = cfg["num_words"], cfg["batch_size"]
    classes = sorted(set(cfg["train_labels"]))
    cid = {c: i for i, c in enumerate(classes)}
    out = {"tensorflow": tf.__version__, "keras": keras.__version__,
           "threads": tf.config.threading.get_intra_op_parallelism_threads()}
    # Seconds per epoch on the timing set (epoch 2: steady state, tracing excluded).
    index = fit_index(cfg["timing_texts"], n)
    ds = dataset(cfg["timing_texts"], [cid[c] for c in cfg["timing_labels"]], index, n, bs, True)
    m = model(n, len(classes))
    times = []
    steps = cfg.get("timing_steps")
    if steps:
        # A whole epoch is 200k/32 = 6,250 steps (~10+ minutes here): time `steps` steps
        # after as many warm-up steps, and scale to the epoch's step count.
        per_epoch = -(-len(cfg["timing_texts"]) // bs)
        m.fit(ds.take(steps), epochs=1, verbose=0)  # warm-up: tracing, caches
        t = time.perf_counter()
        m.fit(ds.skip(steps).take(steps), epochs=1, verbose=0)
        seconds = time.perf_counter() - t
        times.append(seconds / steps * per_epoch)
        out["timed_steps"] = steps
        out["steps_per_epoch"] = per_epoch
    else:
        for _ in range(cfg.get("timing_epochs", 2)):
            t = time.perf_counter()
            m.fit(ds, epochs=1, verbose=0)
            times.append(time.perf_counter() - t)
    out["epoch_seconds"] = times
    # Held-out accuracy: best test score over the epochs (the reference's best case).
    index = fit_index(cfg["train_texts"], n)
    train = dataset(cfg["train_texts"], [cid[c] for c in cfg["train_labels"]], index, n, bs, True)
    test_x = dataset(cfg["test_texts"], [0] * len(cfg["test_texts"]), index, n, 1024, False)
    gold = np.array([cid[c] for c in cfg["test_labels"]])
    m = model(n, len(classes))
    scores = []
    for epoch in range(cfg["epochs"]):
        m.fit(train, epochs=1, verbose=0)
        pred = m.predict(test_x, verbose=0).argmax(axis=1)
        scores.append({"epoch": epoch + 1, "accuracy": float(np.mean(pred == gold)),
                       "macro_f1": macro_f1(gold, pred, len(classes))})
    out["scores"] = scores
    print(json.dumps(out))


if __name__ == "__main__":
    main()
