"""Providers behind one small interface each: stt/ (speech to text), later llm/ and tts/.
Vendor types never leave a provider's own file."""
