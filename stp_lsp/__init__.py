"""stp-lsp: a language server for stacktape.yml, thin over ``core.analysis`` (see ``server.py``)."""
