"""What a printer is over SNMP: the Printer-MIB, what to ask, decoding, status, the poll model."""
