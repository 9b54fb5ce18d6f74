"""Request and response bodies of the REST API (they become the OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PredictRequest(BaseModel):
    """Tweets to label with one model."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"model": "en-sentiment", "texts": ["What a lovely day!"]}]})

    model: str | None = Field(None, description="model name (GET /v1/models); default: the "
                                                "first model served")
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


class ModelInfo(BaseModel):
    name: str
    family: str
    labels: list[str]
    task: str
    metrics: dict[str, float | None] = Field(default_factory=dict,
                                             description="held-out accuracy and macro-F1")
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
