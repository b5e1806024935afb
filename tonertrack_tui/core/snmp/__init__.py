"""SNMP on the wire: the BER codec, the client (one UDP socket, v1/v2c/v3), credentials."""
