"""Local servers that speak cloud providers' wire protocols, for testing the adapters with the real SDKs."""
