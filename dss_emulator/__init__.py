"""DSS emulator (placeholder, see issue 2)."""
