"""Which rules each table has: raw.py (raw tables), staging.py (staging models) and marts.py
(public marts) each map a table to its list of rules, written with the constructors of kinds.py
(`impossible`, `event_time`, `in_set`, `matches`, `unique`, `covered`, `file_volume`, ...).

To add a rule, add a line to its table's list, e.g.
`impossible("tip_not_negative", "tip", "tips are >= 0", min_value=0)`; put any new bound in
data_quality/thresholds.py. data_quality/suites.py turns the lists into the suites that
data_quality/validation.py runs and Dagster reports as asset checks (one per rule, by its name).
"""
