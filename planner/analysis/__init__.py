"""Many runs and their derived figures: the batch engine, comparison, checks, sharing, games.

Contract: takes validated scenarios and solved runs, returns frozen results of DataFrames;
it reads and writes no file and never imports a solver or a spreadsheet library.
"""
