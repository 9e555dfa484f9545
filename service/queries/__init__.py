"""Query functions, one module per table; each takes the `Connection` it runs on.

The rules (service/domain) hold no SQL: they call these inside the transaction
they opened, so a step's reads and writes commit or roll back together.
"""
