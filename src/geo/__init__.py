"""Road networks, snapping and travel-time matrices (knows nothing of routing or care)."""
