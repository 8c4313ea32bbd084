"""Churn: the probability that a customer who has bought makes no purchase within the horizon
(ml.churn_predictions), and whom to contact first to keep.

Modules: pipeline (train the propensity classifier of ml.pipeline.classifier one horizon back,
or fall back on BG/NBD's P(alive); score every buyer), retention_list (the customers still
within reach, ranked by value at risk, for the insight report). Pure Python, no Dagster.
"""
