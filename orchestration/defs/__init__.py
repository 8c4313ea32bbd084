"""One module per area, each exposing `defs`: its assets, checks, jobs, schedules or sensors.

definitions.py merges them; a new area is a new module plus one line there.
"""
