"""Dagster wiring for Binesh: assets, checks, jobs, schedules, sensors and the `binesh` CLI.

Business logic lives in sources/, dbt_project/, ml/ and data_quality/; this package only
connects it to Dagster.
"""
