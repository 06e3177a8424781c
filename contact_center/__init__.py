"""Escalations, queues and the agent console."""
