"""Privacy: erase a person everywhere Binesh holds them, and keep them erased.

    suppression.py  the suppression list (salted hashes) and the SQL that matches a row against it
    keys.py         where a person's keys and identifiers live in the warehouse, table by table
    landing.py      rewriting a landing file without some of its records
    erase.py        resolve identifiers to people, then erase them from landing, raw and the rest
    verify.py       look for any trace of them in every table and every file

docs/privacy.md says what is stored where and what erasure does.
"""
