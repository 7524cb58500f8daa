"""Predictors: learners, evaluation, explanation, Pareto fronts, recommendation, active learning."""
