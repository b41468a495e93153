"""Our own lean WebRTC audio endpoint: ICE (aioice), DTLS-SRTP (pyOpenSSL, pylibsrtp), RTP.

Why: aiortc decodes every received track in a thread of its own and has no public way to
receive or send Opus packets as they are; its per-packet transport work is ~80 % of a
call's CPU (docs/performance.md). This endpoint hands the gateway the Opus packets
themselves: the base for Opus passthrough to the STT provider and a receive path of our own.
"""
