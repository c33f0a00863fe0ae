"""Environment helpers shared by the tests that talk to a local AWS (tests/aws, tests/local, tests/tui)."""

from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def env(**values: str | None):
    """Set (or, with None, remove) environment variables for the block; restore them afterwards.

    For session fixtures, where pytest's ``monkeypatch`` is not available.
    """
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dummy_credentials(monkeypatch, tmp_path) -> None:
    """Test credentials, no real profile or config file, and no user state folder (never the user's server)."""
    empty = tmp_path / "aws-config-empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "STP_LOCAL_PORT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("STP_LOCAL_STATE_DIR", str(tmp_path / "no-local-server"))
