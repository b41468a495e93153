"""Phone calls: the Twilio Media Streams bridge (webhook, stream socket, link), a third kind of
media link beside the two WebRTC ones."""
