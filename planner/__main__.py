"""``python -m planner``: the same command line as ``planner``."""

from planner.cli.main import main

main()
