enum _PlaceholderTickTape {}
