"""Helpers shared by the model tests: load an inline config, validate a body against one model."""

from __future__ import annotations

from pydantic import ValidationError

from core.analysis import analyze
from core.source import compose, to_data
from tests.conftest import yaml


def load(text: str):
    """The data of an inline YAML config (dedented), directives parsed as in real use."""
    return to_data(compose(yaml(text)).root).data


def validation_errors(model, body) -> list[dict]:
    """pydantic's errors of validating ``body`` against ``model``; [] when it is valid."""
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return exc.errors()
    return []


def analysis_errors(text: str) -> list:
    """The error diagnostics of analysing ``text`` (rule crashes re-raised)."""
    return analyze(text, strict=True).errors
