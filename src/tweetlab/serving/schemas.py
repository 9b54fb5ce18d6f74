"""Request and response bodies of the REST API (they become the OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PredictRequest(BaseModel):
    """Tweets to label with one model."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"model": "en-sentiment", "texts": ["What a lovely day!"]}]})

    model: str | None = Field(None, description="model name (GET /v1/models); default: the "
                                                "first model served, or a served multilingual "
                                                "model with its labels for texts mostly in a "
                                                "script it never learned (the response names "
                                                "the model)")
    texts: list[str] = Field(..., min_length=1, description="tweets to label")
    neutral_band: tuple[float, float] | None = Field(
        None, description="binary models: (low, high) probability band labelled neutral")


class Prediction(BaseModel):
    label: str
    confidence: float = Field(..., description="probability of the label")
    probabilities: dict[str, float]


class PredictResponse(BaseModel):
    model: str
    predictions: list[Prediction]
    warning: str | None = Field(None, description="set when most letters of the texts are "
                                "in a script the model never learned (its labels are guesses)")


class ExplainRequest(BaseModel):
    """Tweets whose labels to explain word by word."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"model": "en-sentiment", "texts": ["What a lovely day!"]}]})

    model: str | None = Field(None, description="model name (GET /v1/models); default: the "
                                                "first model served")
    texts: list[str] = Field(..., min_length=1, description="tweets to explain")
    target: str | None = Field(None, description="the class to explain (default: the "
                                                 "predicted one)")
    entity: str | None = Field(None, description="what the tweets are about, for models "
                                                 "trained on entity-level data")
    neutral_band: tuple[float, float] | None = Field(
        None, description="binary models: (low, high) probability band labelled neutral")


class WordWeightBody(BaseModel):
    word: str
    start: int = Field(..., description="character offset of the word in the text")
    end: int
    weight: float = Field(..., description="bits of evidence for the target class the text "
                                           "loses without this word (+1: the word doubles "
                                           "its odds; negative: the word argues against it)")


class ExplanationBody(BaseModel):
    label: str
    confidence: float
    target: str = Field(..., description="the class the weights are about")
    probabilities: dict[str, float]
    words: list[WordWeightBody]


class ExplainResponse(BaseModel):
    model: str
    explanations: list[ExplanationBody]
    warning: str | None = Field(None, description="as in PredictResponse")


class GenerateRequest(BaseModel):
    """New tweets from a tweet generator (``tweetlab generator train``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"prompt": "las mafias son", "n": 3, "temperature": 0.8}]})

    model: str | None = Field(None, description="generator name (GET /v1/models); default: "
                                                "the first generator served")
    prompt: str = Field("", max_length=279, description="seed phrase every tweet starts with")
    n: int = Field(3, ge=1, le=20, description="how many tweets")
    temperature: float = Field(0.8, gt=0, le=5)
    top_k: int | None = Field(None, ge=1, le=100_000)
    top_p: float | None = Field(0.95, gt=0, le=1)
    max_chars: int = Field(280, ge=1, le=280)
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="for reproducible output")
    allow_copies: bool = Field(False, description="keep tweets that copy 8+ words of a "
                                                  "training tweet (rejected by default)")
    trim: bool = Field(True, description="end a tweet cut by max_chars at its last sentence "
                                         "end or whole word")


class GenerateResponse(BaseModel):
    model: str
    tweets: list[str]
    rejected: int = Field(..., description="generations dropped for copying a training tweet")


class ModelInfo(BaseModel):
    name: str
    family: str
    labels: list[str]
    task: str
    metrics: dict[str, float | None] = Field(default_factory=dict,
                                             description="held-out accuracy and macro-F1 "
                                                         "(generators: bits per character)")
    source: str


class ModelList(BaseModel):
    models: list[ModelInfo]
    default: str


class Health(BaseModel):
    status: str
    models: int


class ErrorBody(BaseModel):
    error: str
    detail: str | list | dict | None = None
