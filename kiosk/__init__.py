"""The counter kiosk / tablet app: the citizen's ballot, its durable offline store, and sync."""
