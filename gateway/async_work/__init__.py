"""`voicepod worker async` (docs/modes.md): the work done after a caller hung up. Voicemail jobs
(batch STT, the dialog's reading of the message, a lead, a callback slot, a text) and callback items
(dialled inside the agent's hours, retried per its policy) come off JetStream work queues that any
number of worker replicas share, each item taken by one."""
