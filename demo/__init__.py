"""The demo harness: everything `make demo` and the tests run on one machine.

A private pcscd with the vpcd reader and the demo cards, a local SMTP catcher and
the unlock service in demo mode on loopback (`demo.world.DemoWorld`). It is not
part of the kiosk: a kiosk machine installs the `kiosk` extra and never imports
it; `ssu-kiosk --demo` loads it only when asked, and it needs the `demo` extra.
"""
