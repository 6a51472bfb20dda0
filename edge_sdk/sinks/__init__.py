"""Sinks: where the analyzer's events and frames go (timeline, MQTT, Prometheus, live view)."""
