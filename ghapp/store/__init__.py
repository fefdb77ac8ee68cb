"""The App's database: the only package that imports SQLModel/SQLAlchemy or writes SQL.

One module per table family, each with its table class, its typed `Table` and the small functions the rest
of the App calls: `deliveries` and `inbox` (webhook deliveries, their leases and the pull-request locks),
`check_runs` (the check-run ledger), `evaluations` (published decisions and tool reports), `overrides`,
`review_requests`, `direct_pushes`, `installations` (installations and repositories), `app_state`, `audit`
(the audit trail), `audit_tokens` (the tokens a SIEM reads it with) and `details` (each PR head's details
page).
`database` holds the engine and transactions, `schema` gathers every table, `migrations/` creates them.
"""
