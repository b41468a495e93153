"""The media path of a call: inbound (decode, resample, VAD) and outbound (paced playout)."""
