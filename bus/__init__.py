"""The bus: what the gateway and every service share to talk over NATS.

Arrows point here: `gateway -> bus <- services`. Nothing in this package imports
the gateway, a service or the pod.
"""
