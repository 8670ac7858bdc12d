"""Many runs and the figures derived from them: comparison, checks, cost sharing, games.

Contract: takes validated scenarios and solved runs, returns frozen results of DataFrames;
it reads and writes no file and never imports a solver or a spreadsheet library.
"""
