"""Space commands (`validate-space`)."""
