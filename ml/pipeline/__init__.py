"""What every model's pipeline shares, from the warehouse's feature marts to the ml.* tables.

Each model lives in its own package with its pipeline beside it (ml.segments, ml.leads,
ml.churn, ml.clv, ml.offers: `<model>/pipeline.py` trains an artifact from the feature marts
and scores with it). This package holds what they have in common, without Dagster:

  frames        the point-in-time feature marts (features.*, built by dbt) as pandas frames
  artifacts     versioned model artifacts (joblib + metadata.json + plots)
  classifier    the propensity classifier of leads and churn; classifier_validation its
                time-based validation and metrics
  tables        the ml.* table contract and the one way a table is written
  publishing    replace ml.<table> with scores, the metadata of what was written
  checks        point-in-time leakage, score drift, beats-its-baseline verdicts
  cadence       when a model is retrained
  plots         PNG plots for artifacts and the UI
  evaluation    `binesh evaluate ml`: every model on time-based holdouts and ground truth

See docs/ml_pipeline.md.
"""
