"""The positioned YAML layer: positions, YAML features and syntax errors."""

from core.analysis import analyze
from core.source import Locator, compose, to_data
from core.source.directives import Directive, DirectiveSyntaxError, parse_directive

import pytest


def test_every_key_and_value_knows_its_range():
    text = "resources:\n  api:\n    type: web-service\n"
    tree = compose(text).root
    loc = Locator(tree)
    key = loc.key_span(("resources", "api", "type"))
    value = loc.value_span(("resources", "api", "type"))
    assert (key.line, key.col, key.end_col) == (2, 4, 8)
    assert (value.line, value.col, value.end_col) == (2, 10, 21)


def test_plain_scalars_get_yaml_12_types_and_quoted_ones_stay_text():
    data = to_data(compose("a: 512\nb: '512'\nc: 0.25\nd: true\ne: yes\nf: ~\ng: 0x1F\n").root).data
    assert data == {"a": 512, "b": "512", "c": 0.25, "d": True, "e": "yes", "f": None, "g": 31}


def test_syntax_error_is_one_diagnostic_at_the_fault():
    a = analyze("resources:\n  api:\n    type: [web-service\n  other: 1\n")
    assert len(a.diagnostics) == 1
    d = a.diagnostics[0]
    assert d.code == "yaml-syntax" and d.severity == "error"
    assert d.span.line == 3  # where the parser noticed the unclosed flow sequence


def test_syntax_error_at_end_of_file_points_inside_the_file():
    a = analyze("resources:\n  api: 'unclosed\n")
    assert [d.code for d in a.diagnostics] == ["yaml-syntax"]
    assert a.diagnostics[0].span.line <= 1


def test_duplicate_keys_are_reported_on_the_second_key():
    a = analyze("resources:\n  q:\n    type: sqs-queue\n  q:\n    type: sns-topic\n")
    dup = [d for d in a.diagnostics if d.code == "duplicate-key"]
    assert len(dup) == 1 and dup[0].span.line == 3
    assert "line 2" in dup[0].message


def test_anchors_aliases_and_merge_keys_produce_no_false_errors():
    text = """\
x-base: &base
  cpu: 0.25
  memory: 512
resources:
  worker:
    type: worker-service
    properties:
      packaging:
        type: prebuilt-image
        properties:
          image: busybox
      resources:
        <<: *base
        memory: 1024
"""
    a = analyze(text)
    assert not [d for d in a.diagnostics if d.path and d.path[0] == "resources"], a.diagnostics
    res = a.data["resources"]["worker"]["properties"]["resources"]
    assert res == {"cpu": 0.25, "memory": 1024}
    # a merged key resolves to where it is written, inside the anchored map
    assert a.locator.key_span(("resources", "worker", "properties", "resources", "cpu")).line == 1


def test_alias_cycles_do_not_hang():
    a = analyze("a: &x [*x]\n")
    assert a is not None


def test_cloudformation_short_tags_become_long_form():
    data = to_data(compose("a: !Ref Bucket\nb: !GetAtt Bucket.Arn\nc: !Sub '${AWS::Region}'\n").root).data
    assert data == {"a": {"Ref": "Bucket"}, "b": {"Fn::GetAtt": ["Bucket", "Arn"]}, "c": {"Fn::Sub": "${AWS::Region}"}}


def test_directives_are_values_with_name_and_arguments():
    d = parse_directive("$Format('{}-{}', $Stage(), 'api')")
    assert isinstance(d, Directive) and d.name == "Format"
    assert d.args[0] == "{}-{}" and isinstance(d.args[1], Directive) and d.args[1].name == "Stage"
    assert [x.name for x in d.walk()] == ["Format", "Stage"]
    assert parse_directive("$File('cfg.json').db.host").accessor == ".db.host"


@pytest.mark.parametrize("bad", ["$Secret('a'", "$Secret(a)", "$ResourceParam('a' 'b')", "$Stage() trailing"])
def test_malformed_directives_raise_with_an_offset(bad):
    with pytest.raises(DirectiveSyntaxError) as info:
        parse_directive(bad)
    assert 0 <= info.value.offset <= len(bad)


def test_position_to_path_for_keys_and_values():
    text = "resources:\n  api:\n    type: web-service\n"
    loc = Locator(compose(text).root)
    assert loc.path_at(2, 5) == (("resources", "api", "type"), "key")
    assert loc.path_at(2, 12) == (("resources", "api", "type"), "value")
