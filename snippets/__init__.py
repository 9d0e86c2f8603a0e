"""The implementations that the chapters embed: one module per chapter topic."""
