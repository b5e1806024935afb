"""Notifications: events from status changes, and the channels that deliver them."""
