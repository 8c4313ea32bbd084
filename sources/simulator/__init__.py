"""The synthetic business: a UK omnichannel retailer's source systems, as landing-zone files.

    from sources.simulator import simulate, append_days, SimulationSummary
    simulate(Path("landing"), customers=5000, days=365, seed=42)
    append_days(Path("landing"), days=1)

What it writes: `<out>/<source>/<table>/<YYYY-MM-DD>.<csv|jsonl|parquet>`, one file per table
and day that has rows, as each system would export it (web/events as Parquet, marketing/messages
as JSONL, the rest as CSV in the dialect of its system). `<out>/_truth/` holds the ground truth
the pipeline never reads: identity.csv (the person behind every CRM, shop, support, survey and
review record and every web anonymous_id), persons.csv (latent traits and outcomes such as
churned_at), noise.csv (every injected defect, with file and 1-based data row) and
simulation.json. append_days() appends to identity.csv and noise.csv and rewrites persons.csv
with everyone's state on the last day; `_truth/state/` is what it continues from.

The business: about 320 products in ten categories, 14 stores, email campaigns with A/B tests
and coupons, paid media, leads that convert, customers who churn, support that can go wrong.
`customers` is the number of people: about 60% exist before start_date (the first day's files
are full exports of them), the rest first turn up over the following 365 days, whatever `days`
is; a run longer than a year keeps simulating the same people. Event history (orders, visits,
emails) starts at start_date.

Determinism: the same arguments give byte-identical files, and simulate(days=10) followed by
append_days(2) gives the same files as simulate(days=12): every day draws from random streams
derived from (seed, day, purpose), and everything carried between days is saved in
`_truth/state/`.

Existing folders: simulate() writes into a missing or empty folder. Into a folder that already
holds a simulation with the same parameters (customers, seed, start_date, noise_rate, days) it
removes that simulation's files and writes it again, identically; any other non-empty folder
is refused with a ValueError (use append_days() to extend a simulation).

Noise: `noise_rate` (0 to 0.5) is the share of rows per table that carry one data-quality defect
(see noise.py); noise_rate=0 gives files that all parse with the contract's types and have every
required value. Identity noise (typos, email case, phone formats, shared family addresses,
second emails, missing emails) is natural variation of the systems and is always there.
"""

from sources.simulator.runner import SimulationSummary, append_days, simulate

__all__ = ["SimulationSummary", "append_days", "simulate"]
