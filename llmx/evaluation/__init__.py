"""Evals: gold annotations -> scoring -> reports (computing kept apart from rendering)."""
