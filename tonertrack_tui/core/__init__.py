"""Everything a cron job needs: SNMP, Printer-MIB decoding, status, storage, reports.

Nothing in this package imports Textual or Rich (tests/test_layers.py proves it).
"""
