"""Where the warehouse goes beyond its DuckDB file: other engines its dbt models build on."""
