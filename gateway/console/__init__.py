"""The operators' console, `/console` on the gateway's call port (ops token): live calls with their
quality, recent calls through the services, the eval pass-rate history, the services' own figures."""
