"""Reports: CSV usage/monthly/supplies/alerts and the Prometheus exposition."""
