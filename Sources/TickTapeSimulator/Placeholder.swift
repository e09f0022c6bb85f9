enum _PlaceholderTickTapeSimulator {}
