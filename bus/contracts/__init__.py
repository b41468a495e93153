"""Generated Protobuf messages for the voicepod.v1 contracts. Do not edit: `make proto`."""
