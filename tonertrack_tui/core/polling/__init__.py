"""Polling: one printer, the whole fleet (bounded, adaptive), discovery, the SNMP thread."""
