"""After resolution: the post-mortem and the recovery offers. No Textual."""
