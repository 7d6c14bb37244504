"""The pure residual-value core (R-VALUE): degradation, grading, batch sorting, value and the cycle-life model.

Nothing here imports Django, so the same functions run in a worker, a script or a hypothesis test. Parameters
(degradation coefficients, grade thresholds, prices, the trained cycle-life artefact) come in as plain data.
"""
