"""The dashboard application (Textual): boot, polling, background work and the key flows."""
