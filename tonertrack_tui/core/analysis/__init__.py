"""What history says: supply forecasts and page trends."""
