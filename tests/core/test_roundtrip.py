"""Edits keep everything the user wrote except the edited bit."""

from core.source import roundtrip

TEXT = """\
# my app
serviceName: demo   # the project name
resources:
  # the queue
  jobs:
    type: sqs-queue
  worker:
    type: worker-service
    properties:
      enviornment:   # typo on purpose
        - name: 'A'
          value: "1"
"""


def test_rename_key_keeps_comments_quotes_and_order():
    out = roundtrip.rename_key(TEXT, ("resources", "worker", "properties", "enviornment"), "environment")
    assert out == TEXT.replace("enviornment:", "environment:")


def test_set_value_changes_only_that_value():
    out = roundtrip.set_value(TEXT, ("resources", "jobs", "type"), "sns-topic")
    assert out == TEXT.replace("type: sqs-queue", "type: sns-topic")


def test_delete_removes_only_that_key():
    out = roundtrip.delete(TEXT, ("serviceName",))
    assert "serviceName" not in out
    assert out.count("#") == TEXT.count("#") - 1  # only the deleted line's comment goes
    assert "# the queue" in out and "# typo on purpose" in out


def test_four_space_files_keep_their_indentation_and_comment_columns():
    text = (
        "resources:\n"
        "    api:   # the api\n"
        "        type: worker-service\n"
        "        properties:\n"
        "            connectTo:\n"
        "                - jobs      # the queue\n"
        "            stopTimeout: 10\n"
    )
    out = roundtrip.set_value(text, ("resources", "api", "properties", "stopTimeout"), 30)
    assert out == text.replace("stopTimeout: 10", "stopTimeout: 30")
