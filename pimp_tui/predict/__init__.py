"""Predictors: learners, evaluation, explanation, Pareto fronts, recommendation, active learning."""

# Known without importing numpy/scikit-learn, so the CLI can offer them at start-up;
# predict.learners.LEARNERS builds each one (a test keeps the two in step).
LEARNER_NAMES = ("auto", "rf", "cart", "gbm", "linear-interactions", "gp", "lasso")
