"""The pod as a whole: the `voicepod` command and the supervisor behind `voicepod up`."""
