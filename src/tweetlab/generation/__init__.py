"""Tweet generation: character language models that learn an account's style.

Two families share one contract (:class:`TweetGenerator`): ``char-lstm`` (the founding
design: character vocabulary, stacked LSTM, next-character prediction) and
``char-transformer`` (a small causal transformer over characters, with a key/value
cache for fast sampling). Each tweet is one training sequence ``<b> t w e e t <b>``
where ``<b>`` marks both the start and the end of a tweet, so generation starts from
``<b>`` plus the seed phrase and stops when the model writes ``<b>`` again.

Quality is measured as bits per character (BPC) over held-out tweets - the newest
ones (a time split) - counting every character and the end of each tweet.

>>> gen = TweetGenerator(GeneratorConfig(family="char-lstm", hidden=32, layers=1, embed=16),
...                      train_config=TrainConfig(epochs=2, progress=False))
>>> gen = gen.fit(["hola mundo", "hola amigos", "buenos dias"] * 20)
>>> outs = gen.generate("hola", n=2, seed=1, max_chars=30, novelty=False)
>>> len(outs), all(o.startswith("hola") for o in outs)
(2, True)
"""

from ..config import TrainConfig
from .config import (
                     BOUNDARY,
                     FAMILY_DEFAULTS,
                     GENERATION_TASK,
                     GENERATOR_FAMILIES,
                     MAX_TWEET,
                     TRAIN_DEFAULTS,
                     UNK,
                     GeneratorConfig,
                     TweetCleaning,
)
from .corpus import TweetCorpus, clean_tweet, read_tweets, recency_weights
from .generator import (
                     TweetGenerator,
                     UpdateSummary,
                     load_generator,
                     train_generator,
                     trim_tweet,
                     update_generator,
)
from .networks import CharLSTM, CharTransformer, CharVocab, alibi_bias

__all__ = ["BOUNDARY", "FAMILY_DEFAULTS", "GENERATION_TASK", "GENERATOR_FAMILIES", "MAX_TWEET",
           "TRAIN_DEFAULTS", "UNK", "CharLSTM", "CharTransformer", "CharVocab", "GeneratorConfig",
           "TrainConfig", "TweetCleaning", "TweetCorpus", "TweetGenerator", "UpdateSummary",
           "alibi_bias", "clean_tweet", "load_generator", "read_tweets", "recency_weights",
           "train_generator", "trim_tweet", "update_generator"]
