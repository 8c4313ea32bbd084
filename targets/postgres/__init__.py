"""The same dbt models on PostgreSQL: connecting, and syncing what they read there."""
