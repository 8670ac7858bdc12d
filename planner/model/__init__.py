"""One run: which countries and links a regime holds, the model, its solve, its tables.

Contract: a validated scenario and a (mode, regime) in, a solved run's tidy tables out.
Only this package imports PuLP and highspy.
"""
