"""The notification engine; arrives with the notification issue."""
