"""Publishing: drafts, message checks, payloads, the outbox and the delivery worker. No Textual."""
