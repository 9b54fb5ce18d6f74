import numpy as np
import pytest
import torch
from torch import nn

from tweetlab.api import checkpoint_dir_for, train
from tweetlab.config import TrainConfig
from tweetlab.data import Dataset
from tweetlab.errors import ModelError
from tweetlab.training import get_lr, read_checkpoint_state, train_module

from .conftest import make_corpus


def toy_problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(256, 8, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return x, y


def batches(x, y, bs=32):
    def make(epoch):
        order = np.random.default_rng([0, epoch]).permutation(len(x))
        for s in range(0, len(x), bs):
            idx = torch.from_numpy(order[s:s + bs])
            yield x[idx], y[idx]
    return make


def dies_in(x, y, epoch_no, after=0):
    """Batches that stop with a KeyboardInterrupt (a kill) in epoch ``epoch_no`` after
    ``after`` batches."""
    def make(epoch):
        for i, batch in enumerate(batches(x, y)(epoch)):
            if epoch == epoch_no and i == after:
                raise KeyboardInterrupt
            yield batch
    return make


def net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))


# The loop's logic is tested on the CPU (exact float32 arithmetic); CUDA has its own test.
CFG = TrainConfig(epochs=5, lr=0.01, progress=False, checkpoint_seconds=0, patience=10,
                  device="cpu")


def test_linear_schedule_decays_to_zero_and_warms_up():
    cfg = TrainConfig(lr=1.0, schedule="linear", warmup=0.1)
    assert get_lr(0, 100, cfg) == pytest.approx(0.1)
    assert get_lr(9, 100, cfg) == pytest.approx(1.0)
    assert get_lr(99, 100, cfg) < 0.02


def test_training_lowers_the_loss():
    x, y = toy_problem()
    result = train_module(net(), batches(x, y), 8, CFG, valid_batches=lambda: [(x, y)])
    assert result.history[-1]["valid_loss"] < result.history[0]["valid_loss"]


def test_resume_after_a_kill_gives_the_same_weights(tmp_path):
    x, y = toy_problem()
    straight = net()
    train_module(straight, batches(x, y), 8, CFG, valid_batches=lambda: [(x, y)])

    killed = net()
    with pytest.raises(KeyboardInterrupt):
        train_module(killed, dies_in(x, y, 4), 8, CFG, valid_batches=lambda: [(x, y)],
                     checkpoint_dir=tmp_path, fingerprint="f")
    assert read_checkpoint_state(tmp_path)["epoch"] == 3
    resumed = net()
    result = train_module(resumed, batches(x, y), 8, CFG, valid_batches=lambda: [(x, y)],
                          checkpoint_dir=tmp_path, resume=True, fingerprint="f")
    assert result.resumed_from_epoch == 3
    assert len(result.history) == 5
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)


def test_a_kill_inside_an_epoch_resumes_from_the_batch_it_reached(tmp_path):
    # Long epochs are checkpointed inside too (at most every checkpoint_seconds); resuming
    # skips the batches already done and restores the random state (the net has dropout),
    # so the result is the uninterrupted run's.
    x, y = toy_problem()
    cfg = CFG.replace(checkpoint_seconds=1e-9)
    straight = net()
    train_module(straight, batches(x, y), 8, cfg, valid_batches=lambda: [(x, y)])

    killed = net()
    with pytest.raises(KeyboardInterrupt):
        train_module(killed, dies_in(x, y, 3, after=5), 8, cfg,
                     valid_batches=lambda: [(x, y)], checkpoint_dir=tmp_path, fingerprint="f")
    state = read_checkpoint_state(tmp_path)
    assert state["epoch"] == 2 and state["partial"]["epoch"] == 3
    assert state["partial"]["batches"] == 5
    resumed = net()
    result = train_module(resumed, batches(x, y), 8, cfg, valid_batches=lambda: [(x, y)],
                          checkpoint_dir=tmp_path, resume=True, fingerprint="f")
    assert [round(h["train_loss"], 6) for h in result.history] == \
        [round(h["train_loss"], 6) for h in train_module(
            net(), batches(x, y), 8, cfg, valid_batches=lambda: [(x, y)]).history]
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)


def test_a_resumed_run_keeps_its_time_budget(tmp_path):
    # The budget (and a time-based schedule) counts the training time before the kill:
    # a checkpoint that says all 1000 s were spent resumes for one batch only.
    import json

    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    x, y = toy_problem()
    cfg = CFG.replace(max_seconds=1000.0, schedule="linear")

    with pytest.raises(KeyboardInterrupt):
        train_module(net(), dies_in(x, y, 2), 8, cfg, checkpoint_dir=tmp_path, fingerprint="f")
    file = tmp_path / "checkpoint.safetensors"
    with safe_open(str(file), framework="pt") as fh:
        meta = fh.metadata()
    loop = json.loads(meta["loop"])
    assert 0 < loop["elapsed"] < 60
    loop["elapsed"] = 1000.0
    save_file(load_file(str(file)), str(file), metadata={**meta, "loop": json.dumps(loop)})
    result = train_module(net(), batches(x, y), 8, cfg, checkpoint_dir=tmp_path, resume=True,
                          fingerprint="f")
    assert result.out_of_time and len(result.history) == 2
    assert result.history[-1]["lr"] == pytest.approx(0.0, abs=1e-3)  # schedule at its end


def test_checkpoint_seconds_zero_saves_only_between_epochs(tmp_path):
    x, y = toy_problem()

    with pytest.raises(KeyboardInterrupt):
        train_module(net(), dies_in(x, y, 2, after=4), 8, CFG, checkpoint_dir=tmp_path, fingerprint="f")
    state = read_checkpoint_state(tmp_path)
    assert state["epoch"] == 1 and "partial" not in state


def test_resume_refuses_a_checkpoint_from_other_data(tmp_path):
    x, y = toy_problem()

    with pytest.raises(KeyboardInterrupt):
        train_module(net(), dies_in(x, y, 2), 8, CFG, checkpoint_dir=tmp_path, fingerprint="a")
    with pytest.raises(ModelError, match="other data"):
        train_module(net(), batches(x, y), 8, CFG, checkpoint_dir=tmp_path, resume=True,
                     fingerprint="b")


def test_early_stopping_keeps_the_best_epoch():
    x, y = toy_problem()
    noisy_y = torch.randint(0, 2, y.shape, generator=torch.Generator().manual_seed(1))
    cfg = TrainConfig(epochs=30, lr=0.05, progress=False, checkpoint_seconds=0, patience=1,
                      device="cpu")
    result = train_module(net(), batches(x, noisy_y), 8, cfg,
                          valid_batches=lambda: [(x, y)])
    assert result.stopped_early
    assert len(result.history) < 30
    best = min(h["valid_loss"] for h in result.history)
    assert result.best_valid_loss == pytest.approx(best)


def test_monitoring_accuracy_keeps_the_most_accurate_epoch():
    x, y = toy_problem()
    cfg = CFG.replace(epochs=8, lr=0.05, patience=20,
                      monitor="accuracy")
    module = net()
    result = train_module(module, batches(x, y), 8, cfg, valid_batches=lambda: [(x[:64], y[:64])])
    accs = [h["valid_accuracy"] for h in result.history]
    assert result.best_epoch == 1 + accs.index(max(accs))  # first of the most accurate
    module.eval()
    with torch.no_grad():
        acc = (module(x[:64]).argmax(-1) == y[:64]).float().mean().item()
    assert acc == pytest.approx(max(accs))  # those weights were restored
    with pytest.raises(Exception, match="monitor"):
        TrainConfig(monitor="f1")


def test_monitoring_macro_f1_keeps_the_best_epoch_and_reports_it():
    x, y = toy_problem()
    cfg = CFG.replace(epochs=6, lr=0.05, patience=20,
                      monitor="macro_f1")
    module = net()
    result = train_module(module, batches(x, y), 8, cfg, valid_batches=lambda: [(x[:64], y[:64])])
    f1s = [h["valid_macro_f1"] for h in result.history]
    assert all(0.0 <= f <= 1.0 for f in f1s)
    assert result.best_epoch == 1 + f1s.index(max(f1s))
    module.eval()
    with torch.no_grad():
        pred = module(x[:64]).argmax(-1)
    # the restored weights give that macro-F1 (computed here by hand)
    scores = []
    for c in torch.unique(torch.cat([pred, y[:64]])).tolist():
        tp = int(((pred == c) & (y[:64] == c)).sum())
        scores.append(2 * tp / (int((pred == c).sum()) + int((y[:64] == c).sum())))
    assert sum(scores) / len(scores) == pytest.approx(max(f1s))


def test_monitoring_last_keeps_the_last_epoch_and_never_stops_early():
    x, y = toy_problem()
    noisy_y = torch.randint(0, 2, y.shape)  # validation gets worse: loss would stop early
    cfg = CFG.replace(epochs=5, lr=0.05, patience=0,
                      monitor="last")
    module = net()
    result = train_module(module, batches(x, noisy_y), 8, cfg,
                          valid_batches=lambda: [(x[:64], y[:64])])
    assert len(result.history) == 5 and not result.stopped_early and result.best_epoch == 5
    assert "valid_accuracy" in result.history[-1]
    module.eval()
    with torch.no_grad():
        acc = (module(x[:64]).argmax(-1) == y[:64]).float().mean().item()
    assert acc == pytest.approx(result.history[-1]["valid_accuracy"])


def test_train_api_resumes_an_interrupted_run(tmp_path, monkeypatch):
    texts, labels = make_corpus(200)
    ds = Dataset(texts=texts, labels=labels)
    out = tmp_path / "model"
    straight = train(ds, "bow-mlp", overrides=["epochs=4", "patience=10", "progress=false"])

    import tweetlab.training as training

    real = training.evaluate_loss
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "evaluate_loss", dying)
    with pytest.raises(KeyboardInterrupt):
        train(ds, "bow-mlp", out=out, overrides=["epochs=4", "patience=10", "progress=false",
                                                 "checkpoint_seconds=0"])
    assert checkpoint_dir_for(out).exists() and not out.exists()
    with pytest.raises(ModelError, match="--resume"):
        train(ds, "bow-mlp", out=out, overrides=["epochs=4"])
    monkeypatch.setattr(training, "evaluate_loss", real)
    resumed = train(ds, "bow-mlp", out=out, resume=True,
                    overrides=["epochs=4", "patience=10", "progress=false", "checkpoint_seconds=0"])
    assert out.exists() and not checkpoint_dir_for(out).exists()
    assert np.allclose(resumed.predict_proba(texts), straight.predict_proba(texts), atol=1e-5)


def test_cuda_request_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    x, y = toy_problem()
    with pytest.raises(ModelError, match="no CUDA GPU"):
        train_module(net(), batches(x, y), 8, CFG.replace(device="cuda"))


def test_an_unknown_device_name_is_a_clear_error():
    from tweetlab.errors import ConfigError
    from tweetlab.training import resolve_device

    with pytest.raises(ConfigError, match="device 'tpu': use auto, cpu, cuda"):
        resolve_device("tpu")
    assert resolve_device("cpu").type == "cpu"


class _RecordsAutocast(nn.Module):
    """The toy net, noting whether each training forward ran under CPU bf16 autocast."""

    def __init__(self):
        super().__init__()
        self.inner, self.seen = net(), set()

    def forward(self, x):
        if self.training:
            self.seen.add(torch.is_autocast_enabled("cpu"))
        return self.inner(x)


@pytest.mark.parametrize("native, amp, expected", [(True, True, True), (True, False, False),
                                                    (False, True, False)])
def test_cpu_training_uses_bf16_autocast_only_where_the_cpu_does_bf16(monkeypatch, native,
                                                                       amp, expected):
    import tweetlab.training as training

    monkeypatch.setattr(training, "cpu_has_bf16", lambda: native)
    x, y = toy_problem()
    module = _RecordsAutocast()
    cfg = CFG.replace(device="cpu", epochs=6, lr=0.05, amp=amp)
    result = train_module(module, batches(x, y), 8, cfg, valid_batches=lambda: [(x, y)])
    assert module.seen == {expected} and result.bf16 is expected and result.device == "cpu"
    assert result.history[-1]["valid_loss"] < result.history[0]["valid_loss"]  # it learns
    assert next(module.parameters()).dtype == torch.float32  # weights stay float32


def test_the_model_folder_records_where_and_how_it_trained(tmp_path, monkeypatch):
    import tweetlab.training as training
    from tweetlab.persistence import read_metrics

    monkeypatch.setattr(training, "cpu_has_bf16", lambda: True)
    texts, labels = make_corpus(60)
    ds = Dataset(texts=texts, labels=labels)
    train(ds, "bow-mlp", out=tmp_path / "m", overrides=["epochs=2", "device=cpu"])
    metrics = read_metrics(tmp_path / "m")
    assert metrics["device"] == "cpu" and metrics["bf16"] is True
    assert "s on the CPU with bf16 autocast." in (tmp_path / "m" / "README.md").read_text()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_with_bf16_autocast_learns_and_keeps_the_best_weights():
    x, y = toy_problem()
    module = net()
    cfg = CFG.replace(device="cuda", epochs=8, lr=0.05, monitor="accuracy", patience=20)
    result = train_module(module, batches(x, y), 8, cfg, valid_batches=lambda: [(x, y)])
    assert next(module.parameters()).device.type == "cuda"
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    module.eval()
    with torch.no_grad():
        acc = (module(x.cuda()).argmax(-1).cpu() == y).float().mean().item()
    best = max(h["valid_accuracy"] for h in result.history)
    assert best > 0.9 and acc == pytest.approx(best)  # the best epoch's weights came back


def test_a_time_budget_decays_the_rate_by_the_clock():
    cfg = TrainConfig(lr=1.0, schedule="linear", max_seconds=100)
    assert get_lr(0, 1000, cfg, elapsed=0) == pytest.approx(1.0)
    assert get_lr(0, 1000, cfg, elapsed=75) == pytest.approx(0.25)  # time runs out first
    assert get_lr(900, 1000, cfg, elapsed=10) == pytest.approx(0.1)  # steps run out first


def test_accumulating_two_half_batches_equals_one_full_batch():
    x, y = toy_problem()
    full_cfg = TrainConfig(epochs=1, lr=0.05, optimizer="sgd", progress=False,
                           checkpoint_seconds=0, device="cpu", amp=False)  # float32 arithmetic
    a = net()
    train_module(a, lambda e: [(x[:64], y[:64])], 1, full_cfg)
    b = net()
    halves = lambda e: [(x[:32], y[:32]), (x[32:64], y[32:64])]  # noqa: E731
    train_module(b, halves, 2, full_cfg.replace(accumulate=2))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.allclose(pa, pb, atol=1e-6)


def test_an_entity_column_reaches_the_model(tmp_path):
    # The label depends only on the entity: a model that sees it learns the task.
    texts = ["same words every time"] * 60
    entities = ["Nvidia", "Amazon"] * 30
    labels = ["Positive", "Negative"] * 30
    ds = Dataset(texts=texts, labels=labels, columns={"entity": entities,
                                                      "id": list(range(60))})
    model = train(ds, "tfidf", out=tmp_path / "m", valid_size=0.2)
    assert model.entity_input
    from tweetlab.models import load_model
    from tweetlab.models.base import with_entity

    again = load_model(tmp_path / "m")
    assert again.entity_input
    assert again.predict(with_entity(["same words every time"] * 2, ["Nvidia", "Amazon"])) == \
        ["Positive", "Negative"]
    plain = train(ds, "tfidf", valid_size=0.2, entity=False)
    assert not plain.entity_input


def test_modules_that_opt_out_train_in_float32_on_the_cpu(monkeypatch):
    import tweetlab.training as training
    from tweetlab.generation.networks import CharLSTM
    from tweetlab.models.lstm import LSTMModule

    monkeypatch.setattr(training, "cpu_has_bf16", lambda: True)
    cfg = TrainConfig()
    assert training.use_bf16(cfg, torch.device("cpu"), net())
    for lstm in (CharLSTM, LSTMModule):  # measured: no better for the same time in bf16
        assert not training.use_bf16(cfg, torch.device("cpu"), lstm.__new__(lstm))
    assert training.use_bf16(cfg, torch.device("cuda"), LSTMModule.__new__(LSTMModule)) == \
        torch.cuda.is_bf16_supported()  # the opt-out is the CPU's only


def test_training_calibrates_confidences_on_the_validation_split_not_the_labels(tmp_path):
    import json

    import tweetlab
    from tweetlab.evaluation import calibration

    from .conftest import make_corpus

    texts, labels = make_corpus(1000, seed=4)
    # a fifth of the labels flipped: a model that is 99% sure is wrong ~20% of the time
    rng = np.random.default_rng(0)
    labels = [("positive" if lab == "negative" else "negative") if rng.random() < 0.2 else lab
              for lab in labels]
    ds = tweetlab.Dataset(texts=texts, labels=labels)
    model = tweetlab.train(ds, "fasttext", out=tmp_path / "m", valid_size=0.2)
    saved = json.loads((tmp_path / "m" / "metrics.json").read_text())["calibration"]
    assert saved["n"] == 200 and saved["temperature"] > 1  # softened: it was overconfident
    assert saved["nll_after"] < saved["nll_before"]
    raw = tweetlab.train(ds, "fasttext", valid_size=0.2, overrides=["calibrate=false"])
    assert raw.temperature == 1.0
    test, test_labels = make_corpus(300, seed=9)
    assert model.predict(test) == raw.predict(test)  # the labels never move
    noisy = [("positive" if lab == "negative" else "negative") if rng.random() < 0.2 else lab
             for lab in test_labels]
    assert calibration(model.predict_proba(test), noisy, model.classes_).ece < \
        calibration(raw.predict_proba(test), noisy, model.classes_).ece
    again = tweetlab.load_model(tmp_path / "m")
    assert again.temperature == pytest.approx(saved["temperature"], rel=1e-3)
    assert np.allclose(again.predict_proba(test), model.predict_proba(test), atol=1e-5)
    small = tweetlab.train(tweetlab.Dataset(texts=texts[:300], labels=labels[:300]), "tfidf",
                           valid_size=0.2)
    assert small.temperature == 1.0  # 60 validation tweets: too few to fit it on


def test_a_model_saved_before_calibration_loads_with_temperature_one(tmp_path):
    import json

    from tweetlab.models import create, load_model

    from .conftest import make_corpus

    texts, labels = make_corpus(100)
    path = create("tfidf").fit(texts, labels).save(tmp_path / "m")
    config = json.loads((path / "config.json").read_text())
    del config["temperature"]
    (path / "config.json").write_text(json.dumps(config))
    assert load_model(path).temperature == 1.0
