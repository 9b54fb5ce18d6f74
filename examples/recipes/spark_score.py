"""Label a folder of Parquet parts with Spark: python spark_score.py LAKE OUT

Needs pyspark and Java (not dependencies of tweetlab). Each task loads the model once and
calls tweetlab.score_frame on each Arrow batch of its partition (mapInPandas).
"""

import sys

from pyspark.sql import SparkSession

import tweetlab

spark = SparkSession.builder.getOrCreate()
tweets = spark.read.parquet(sys.argv[1])


def score(batches):
    model = tweetlab.load("en-sentiment")  # once per task
    for df in batches:
        yield tweetlab.score_frame(model, df)[["id", "label", "confidence"]]


scored = tweets.mapInPandas(score, schema="id string, label string, confidence double")
scored.write.parquet(sys.argv[2])
spark.stop()
