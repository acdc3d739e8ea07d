"""Strict local emulators of the providers warroom publishes to: real HTTP over 127.0.0.1,
auth checked, unknown or missing fields refused as the real API would. One module per provider
(or family); each server starts in a thread and is stopped by its test's teardown."""
