"""Language-server tests: one `stp-lsp` process per client kind (VS Code, Neovim) for the session.

Tests share that server, so each opens its documents under its own URI and
closes them. A test that needs a differently initialised server starts its
own with ``start_server``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from pytest_asyncio import is_async_test

from tests.lsp.lsp_support import CLIENTS, start_server, stop_server

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # the shared server lives on the session's event loop, so the tests run there too
    marker = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if is_async_test(item) and HERE in Path(str(item.path)).parents:
            item.add_marker(marker, append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session", params=CLIENTS)
async def client(request):
    lsp = await start_server(request.param)
    yield lsp
    await stop_server(lsp)
