"""Cross-cutting pieces: errors, ids, working days, audit, auth, notify."""
