"""warroom's own labelled corpus of incident messages (issue 12): see README.md."""
