"""The rules of self-service (docs/design.md section 4), one module per sub-domain.

They raise the errors of `errors` and know nothing of HTTP; every one runs on the
`Parts` of `parts` (store, clock, keys, mailer) and returns contract models.
"""
