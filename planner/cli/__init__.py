"""The command line: ``planner template|validate|run|share``, chaining the API's stages.

Contract: only parses options, calls :mod:`planner.api` and prints; planner errors become
one-line messages and exit codes, any other exception keeps its traceback.
"""

from planner.cli.main import main

__all__ = ["main"]
