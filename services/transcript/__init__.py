"""transcript: Stores call transcripts and exports them."""
