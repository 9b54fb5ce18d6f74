"""Label a folder of Parquet parts with Dask: python dask_score.py LAKE OUT

Needs dask[dataframe] (not a dependency of tweetlab). Each worker process loads the model
once (the cached function) and calls tweetlab.score_frame on each partition.
"""

import functools
import sys

import dask.dataframe as dd

import tweetlab


@functools.lru_cache(1)
def model():
    return tweetlab.load("en-sentiment")


ddf = dd.read_parquet(sys.argv[1])
scored = ddf.map_partitions(lambda df: tweetlab.score_frame(model(), df))
scored.to_parquet(sys.argv[2])
