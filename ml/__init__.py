"""Models and algorithms on warehouse data: pure Python (scikit-learn, scipy, Splink), no Dagster.

Each subpackage takes DuckDB connections or Arrow tables and returns tables; orchestration/
decides where they come from and where they are written.
"""
