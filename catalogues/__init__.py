"""The gettext catalogues (English and Welsh) and the build's extractors for them.

`make catalogues` extracts every holder-facing text with Babel (`babel.cfg`),
updates `<language>/LC_MESSAGES/ssu.po` and compiles `ssu.mo`, which the kiosk
and the service load with the standard library's gettext (`contract.language`).
"""
