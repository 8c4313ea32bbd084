"""Lead scoring: the probability that an open lead converts within its window (ml.lead_scores).

Module: pipeline (train the propensity classifier of ml.pipeline.classifier on the leads whose
window has passed, validate it over time, score the open leads). Pure Python, no Dagster.
"""
