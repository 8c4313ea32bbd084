"""One module per area; each defines its assets, checks, jobs, schedules or sensors at module
scope and definitions.py collects them all."""
