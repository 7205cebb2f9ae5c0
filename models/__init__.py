"""Which models exist, where the bundled defaults are, and what the hardware can run."""
