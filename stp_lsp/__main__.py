"""``python -m stp_lsp``: the same as the ``stp-lsp`` command."""

from stp_lsp.server import main

main()
