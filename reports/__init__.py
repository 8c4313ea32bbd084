"""What the warehouse publishes for people and tools that never open it: the BI snapshot, the dbt
docs and the insight report. Pure Python on a DuckDB connection; no Dagster imports."""
