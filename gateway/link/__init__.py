"""How a call's media reaches the caller: a `MediaLink`, carried by aiortc or by our own endpoint."""
