"""Coalition capability planner: braided coalitions against national AI stacks.

The public API is the pipeline the CLI runs, one typed stage at a time::

    import planner
    loaded = planner.load("scenarios/pax_silica.xlsx")  # read, validate, check
    result = planner.run(loaded)                                  # build, solve, tabulate
    result.headline                                               # pandas DataFrames
    planner.write_report(result, "report.xlsx")

Importing the package has no side effects.
"""

from planner.analysis.compare import Comparison
from planner.analysis.sharing import SharingResult
from planner.analysis.sweep import SweepResult
from planner.api import load, run, run_one, share, stress, sweep
from planner.errors import InputError, NoPlanError, OutputError, PlannerError, Problem
from planner.io.report import write_json, write_report
from planner.io.sharing_report import write_sharing_json, write_sharing_report
from planner.io.template import write_template
from planner.io.validate import LoadedScenario
from planner.io.write import write_scenario
from planner.model.families import PriceFamily, VariableFamily
from planner.model.results import RunResult
from planner.model.solve import SolveOptions, Status
from planner.scenario.edits import (
    scaled,
    with_members,
    with_records,
    with_rows,
    with_setting,
    with_value,
    without_members,
    without_rows,
)
from planner.scenario.schema import Mode, Regime, Scenario

__all__ = [
    "Comparison",
    "InputError",
    "LoadedScenario",
    "Mode",
    "NoPlanError",
    "OutputError",
    "PlannerError",
    "PriceFamily",
    "Problem",
    "Regime",
    "RunResult",
    "Scenario",
    "SharingResult",
    "SolveOptions",
    "Status",
    "SweepResult",
    "VariableFamily",
    "load",
    "run",
    "run_one",
    "scaled",
    "share",
    "stress",
    "sweep",
    "with_members",
    "with_records",
    "with_rows",
    "with_setting",
    "with_value",
    "without_members",
    "without_rows",
    "write_json",
    "write_report",
    "write_scenario",
    "write_sharing_json",
    "write_sharing_report",
    "write_template",
]
