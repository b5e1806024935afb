"""IPP (RFC 8010/8011, PWG 5100.13): polling printers that do not speak SNMP."""
