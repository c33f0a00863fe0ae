"""Analysis never raises, whatever text it is given (it runs on every keystroke)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.analysis import analyze
from tests.conftest import EXAMPLES

EXAMPLE_TEXTS = [p.read_text() for p in sorted(EXAMPLES.glob("*/stacktape.yml"))]
YAML_BITS = st.sampled_from(
    [":", " ", "\n", "-", "  ", "'", '"', "[", "]", "{", "}", "&a", "*a", "<<: ", "!Ref ", "#", "$Secret('",
     "$ResourceParam('jobs', ", ")", "type: ", "properties:", "resources:", "containers:", "\t", "|", ">"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_random_text_never_raises(text):
    analyze(text, strict=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EXAMPLE_TEXTS), st.floats(0, 1))
def test_truncated_examples_never_raise(text, cut):
    analyze(text[: int(len(text) * cut)], strict=True)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EXAMPLE_TEXTS), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 5), YAML_BITS), max_size=6))
def test_random_edits_of_examples_never_raise(text, edits):
    for where, delete, insert in edits:
        i = int(len(text) * where)
        text = text[:i] + insert + text[i + delete:]
    analyze(text, strict=True)
