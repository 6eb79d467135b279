"""relucurves: exact piecewise-linear views of ReLU networks along lines."""
