"""Where bytes come from: named files, the working tree, the git index, history (blobs and messages)."""
