"""What the pages and the API share: per-request transactions, the current user, templates."""
