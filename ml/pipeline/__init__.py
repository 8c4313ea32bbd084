"""From the warehouse's feature marts to the ml.* tables: training, scoring, evaluation.

The orchestration of the modelling modules (ml.clv, ml.segments, ml.propensity, ml.recommend)
for Dagster and the CLI, without Dagster: read the point-in-time feature marts
(marts.ml_*, built by dbt as of a cutoff), train each model into a versioned artifact, score
with that artifact, write the ml.* tables. See docs/ml_pipeline.md.
"""
