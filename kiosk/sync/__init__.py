"""The kiosk's side of sync protocol v1: payload (pure), client (network), service (one run), scheduler."""
