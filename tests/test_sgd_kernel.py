"""The compiled fastText step (numba) against autograd + plain SGD."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tweetlab.config import TrainConfig
from tweetlab.errors import ConfigError
from tweetlab.models import sgd_kernel
from tweetlab.models.fasttext import FastTextClassifier, FastTextModule
from tweetlab.training import PlainSGD

pytestmark = pytest.mark.skipif(not sgd_kernel.available(), reason="numba not installed")


def _bags(rng: np.random.Generator, n: int, features: int) -> tuple[list[np.ndarray], np.ndarray]:
    bags = [rng.integers(0, features, size=rng.integers(0, 7)) for _ in range(n)]
    return bags, rng.integers(0, 3, size=n)


def _autograd_one_by_one(module: FastTextModule, bags: list[np.ndarray], y: np.ndarray,
                         lr: float) -> list[float]:
    """y: class ids (n,) or class probabilities (n, k)."""
    """Each example its own step at ``lr / len(bags)``: what the kernel does in one call."""
    opt = PlainSGD(module.parameters(), lr=lr / len(bags))
    losses = []
    for bag, label in zip(bags, y, strict=True):
        opt.zero_grad()
        logits = module(torch.from_numpy(bag.astype(np.int64)), torch.zeros(1, dtype=torch.int64))
        target = torch.from_numpy(np.asarray(label, dtype=np.float32))[None] if y.ndim == 2 \
            else torch.tensor([int(label)])
        loss = F.cross_entropy(logits, target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("soft", [False, True])
def test_compiled_step_is_per_example_sgd(soft):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    ref = FastTextModule(40, 8, 3)
    fused = FastTextModule(40, 8, 3, engine="compiled")
    fused.load_state_dict(ref.state_dict())
    bags, y = _bags(rng, 5, 40)  # some bags are empty: their mean is zero
    if soft:  # a teacher's class probabilities (distillation)
        y = rng.dirichlet(np.ones(3), size=len(bags)).astype(np.float32)
    losses = _autograd_one_by_one(ref, bags, y, lr=2.0)
    starts = np.cumsum([0] + [len(b) for b in bags[:-1]]).astype(np.int64)
    flat = np.concatenate(bags).astype(np.int64)
    got = fused.sgd_step(torch.from_numpy(flat), torch.from_numpy(starts),
                         torch.from_numpy(y if soft else y.astype(np.int64)), 2.0)
    assert got == pytest.approx(np.mean(losses), rel=1e-5)
    for name, value in ref.state_dict().items():
        np.testing.assert_allclose(fused.state_dict()[name].numpy(), value.numpy(), atol=1e-6,
                                   err_msg=name)


@pytest.mark.parametrize(("engine", "threads"), [("torch", 1), ("compiled", 1), ("compiled", 2)])
def test_every_engine_learns_a_simple_task(engine, threads):
    texts = ["good film great day", "lovely happy fun", "bad awful film", "sad terrible day"] * 25
    labels = ["pos", "pos", "neg", "neg"] * 25
    clf = FastTextClassifier(engine=engine, threads=threads, train_config=TrainConfig(
        **{**FastTextClassifier.train_defaults, "epochs": 5, "progress": False}))
    clf.fit(texts, labels)
    assert clf.module_.compiled == (engine == "compiled")
    proba = clf.predict_proba(["great fun", "awful sad"])
    assert proba[0, 1] > 0.8 and proba[1, 0] > 0.8  # classes_: ["neg", "pos"]


def test_one_thread_is_reproducible_to_the_bit():
    texts = ["good film great day", "lovely happy fun", "bad awful film", "sad terrible day"] * 25
    labels = ["pos", "pos", "neg", "neg"] * 25
    runs = [FastTextClassifier(engine="compiled", train_config=TrainConfig(
        **{**FastTextClassifier.train_defaults, "epochs": 3, "progress": False})
    ).fit(texts, labels).predict_proba(texts) for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_compiled_bags_equal_the_python_and_numpy_assembly(monkeypatch):
    texts = ["the storm hit the coast hard", "", "fire fire fire", "a", "one two three four",
             "ñandú über straße 🔥 <url> <user>", "ab abc abcd abcde abcdef"] * 3
    clf = FastTextClassifier(word_ngrams=3)
    clf._prepare(texts[:5])  # the words of the last two texts stay out of the vocabulary
    compiled = clf._encode(texts)
    monkeypatch.setattr(sgd_kernel, "bags", lambda *a, **k: None)
    monkeypatch.setattr(sgd_kernel, "word_features", lambda *a, **k: None)
    clf._cache = {}
    plain = clf._encode(texts)
    np.testing.assert_array_equal(compiled.offsets, plain.offsets)
    np.testing.assert_array_equal(compiled.flat, plain.flat)
    # and the features of each text are those of the one-text reference
    for i, t in enumerate(texts):
        assert sorted(compiled.flat[compiled.offsets[i]:compiled.offsets[i + 1]].tolist()) \
            == sorted(clf._features(t))


def test_predicting_with_a_loaded_model_never_imports_numba():
    import subprocess
    import sys

    code = ("import sys, tweetlab; from tweetlab.bundled import bundled_path; "
            "m = tweetlab.load(bundled_path('es-sentiment')); "
            "assert m.family == 'fasttext'; m.predict(['qué buen día']); "
            "assert 'numba' not in sys.modules, 'numba imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_compiled_gather_equals_ragged_take():
    from tweetlab.models.torch_base import Ragged

    data = Ragged.from_lists([[1, 2], [], [3, 4, 5], [6]])
    order = np.array([2, 0, 3, 1, 2])
    got = sgd_kernel.gather(data.flat, data.offsets, order)
    want = data.take(order)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def test_fasttext_trains_on_the_cpu_with_the_compiled_step_even_beside_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    cfg = TrainConfig(**{**FastTextClassifier.train_defaults, "epochs": 1, "lr": 0.1})
    assert FastTextClassifier()._training_config(cfg).device == "cpu"  # engine auto
    assert FastTextClassifier(engine="torch")._training_config(cfg).device == "auto"
    adam = cfg.replace(optimizer="adam")  # no compiled step for it: the GPU may be used
    assert FastTextClassifier()._training_config(adam).device == "auto"
    with pytest.raises(ConfigError, match="engine=compiled trains on the CPU"):
        FastTextClassifier(engine="compiled")._training_config(cfg.replace(device="cuda"))
    with pytest.raises(ConfigError, match="plain SGD"):
        FastTextClassifier(engine="compiled")._training_config(adam)
