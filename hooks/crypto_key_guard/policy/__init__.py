"""What the user decided: configuration, command-line options, the ignore file, data files, the rotation log."""
