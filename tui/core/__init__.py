"""The domain core: playbook, events, projection, store and the one command path. No Textual."""
