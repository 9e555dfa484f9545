"""The rules the kiosk and the unlock service must agree on, written once.

Both sides import this package; it imports nothing heavier than the standard
library (and pydantic for wire types), so a kiosk machine and a service machine
install it alike. See docs/api.md for the wire contract these names belong to.
"""
