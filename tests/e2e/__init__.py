"""End-to-end tests: `downwatch serve` and `downwatch db` as real processes."""
