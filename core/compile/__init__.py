"""Compiler: a validated config → one CloudFormation template, built with troposphere.

Entry points: ``compile_template(analysis, stage, project, region) -> dict``
and ``compile_stack`` (the same plus warnings and the images to build).
Resource types plug in through ``core.compile.registry``.
"""

from core.compile.compiler import CompileResult, compile_stack, compile_template, unsupported_resources
from core.compile.errors import CompileError, Problem

__all__ = ["CompileError", "CompileResult", "Problem", "compile_stack", "compile_template", "unsupported_resources"]
