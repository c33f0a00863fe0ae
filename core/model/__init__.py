"""Pydantic models of stacktape.yml: one module per family of resource types.

Field descriptions are the documentation (hover text, JSON schema), so they
are written for users. See ``base.py`` for the conventions every model follows.
"""
