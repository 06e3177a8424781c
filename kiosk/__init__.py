"""The kiosk page and its routes."""
