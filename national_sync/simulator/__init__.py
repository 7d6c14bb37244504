"""A simulator of the national traceability platform (R-SHARE): ``python -m national_sync.simulator``.

Plain standard-library HTTP (threaded) and psycopg2, no Django: it stores what it receives in its own
PostgreSQL schema (``national_sim``), once per idempotency key, and injects faults on demand.
"""
