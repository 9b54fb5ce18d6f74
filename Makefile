# Two commands that work on a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs what it needs (torch pinned by constraints.txt).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DATA ?= $(firstword $(wildcard ../shared/data/disaster_train.csv.gz) examples/tiny_tweets.csv)

.PHONY: install browser demo test test-slow docs lint bench bench-ref clean

# A held-out file for the demo's evaluation: TweetEval's validation tweets, which the bundled
# en-sentiment never trained on.
HELD_OUT ?= $(firstword $(wildcard ../shared/data/tweeteval_sentiment_val.csv.gz))

# The demo needs tweetlab alone; the tests need the dev extra (checkers, browser, ONNX...).
# --no-compile: Python compiles what it imports when it first imports it, instead of pip
# compiling every file of torch and the rest at install (a minute of a 2.5-minute install).
$(VENV)/.base: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --no-compile -c constraints.txt -e .
	touch $@

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --no-compile -c constraints.txt -e '.[dev]'
	touch $@ $(VENV)/.base

install: $(VENV)/.installed

demo: $(VENV)/.base
	$(VENV)/bin/tweetlab train $(DATA) --model fasttext --out demo/disaster-fasttext --force \
		--label-map 0=not_disaster,1=disaster
	@if [ -n "$(HELD_OUT)" ]; then \
		echo "+ tweetlab evaluate en-sentiment $(HELD_OUT) (tweets it never trained on)"; \
		$(VENV)/bin/tweetlab evaluate en-sentiment $(HELD_OUT) --out demo/evaluation \
			--label-map 0=negative,1=neutral,2=positive; \
	else echo "(no held-out file for an evaluation: ../shared/data/tweeteval_sentiment_val.csv.gz)"; fi
	$(VENV)/bin/tweetlab predict demo/disaster-fasttext \
		"Forest fire near La Ronge Sask. Canada" "What a lovely sunny day at the beach"
	$(VENV)/bin/tweetlab predict "What a lovely sunny day at the beach" "My flight got cancelled again"

browser:
	@bash scripts/install_browser.sh

# The fast suite, one pytest worker per core (pyproject.toml deselects the tests marked
# slow). test-slow: the tests that train on ../shared/data and the multi-process ones, one
# at a time; run it before a change to training, the models or distributed lands.
test: install browser
	$(PY) -m pytest -q -n auto --dist worksteal

test-slow: install browser
	$(PY) -m pytest -q -m slow

# The documentation site (mkdocs.yml, docs/), served with live reload.
docs: install
	$(PY) -m mkdocs serve

lint: install
	$(PY) -m ruff check src tests benchmarks scripts
	$(PY) -m mypy src

bench: install
	cd benchmarks && ../$(PY) bench_families.py

# Reference implementations for the side-by-side benchmarks (TensorFlow/Keras, fastText,
# Hugging Face transformers).
.venv-ref/.installed:
	$(PYTHON) -m venv .venv-ref
	.venv-ref/bin/python -m pip install -q tensorflow-cpu fasttext-numpy2-wheel numpy
	.venv-ref/bin/python -m pip install -q -c constraints.txt torch transformers
	touch $@

bench-ref: install .venv-ref/.installed
	cd benchmarks && ../$(PY) bench_keras_vs_bowmlp.py && ../$(PY) bench_fasttext.py \
		&& ../$(PY) bench_transformer_speed.py

clean:
	rm -rf $(VENV) demo .pytest_cache
