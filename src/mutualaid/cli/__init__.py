"""The ``mutualaid`` command: its parser (:mod:`~mutualaid.cli.main`) and every command's
printing (:mod:`~mutualaid.cli.db`, :mod:`~mutualaid.cli.accounts`, :mod:`~mutualaid.cli.audit`).

Building the parser imports nothing heavy; each command imports what it runs.
"""
