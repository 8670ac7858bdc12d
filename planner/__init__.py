"""Coalition capability planner: braided coalitions against national AI stacks.

The public API is the pipeline the CLI runs, one typed stage at a time::

    import planner
    loaded = planner.load("scenarios/pax_silica.xlsx")  # read, validate, check
    result = planner.run(loaded)                                  # build, solve, tabulate
    result.headline                                               # pandas DataFrames
    planner.write_report(result, "report.xlsx")

Importing the package has no side effects.
"""

from planner.api import load, run, run_one
from planner.errors import InputError, NoPlanError, OutputError, PlannerError, Problem
from planner.report import write_json, write_report
from planner.results import Comparison, RunResult
from planner.schema import Mode, Regime, Scenario
from planner.sharing import SharingResult, share, write_sharing_json, write_sharing_report
from planner.solve import SolveOptions, Status
from planner.template import write_template
from planner.validate import LoadedScenario, load_scenario

__all__ = [
    "Comparison",
    "InputError",
    "LoadedScenario",
    "Mode",
    "NoPlanError",
    "OutputError",
    "PlannerError",
    "Problem",
    "Regime",
    "RunResult",
    "Scenario",
    "SharingResult",
    "SolveOptions",
    "Status",
    "load",
    "load_scenario",
    "run",
    "run_one",
    "share",
    "write_json",
    "write_report",
    "write_sharing_json",
    "write_sharing_report",
    "write_template",
]
