"""What a scenario is: the validated schema, the sheet contract, the rules across sheets.

Contract: everything above this package reads a scenario only as a frozen
:class:`~planner.scenario.schema.Scenario`; nothing here reads a file or builds a model.
"""
