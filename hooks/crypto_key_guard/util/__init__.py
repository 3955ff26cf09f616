"""Small helpers shared by every package: file writes, light records."""
