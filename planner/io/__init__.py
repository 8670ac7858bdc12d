"""Files in and out: the guarded workbook reader, cell validation, template, reports.

Contract: turns files into validated scenarios and results into files; every output is
written whole or not at all, and never over an input. Only this package imports openpyxl.
"""
