from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class DialCallRequest(_message.Message):
    __slots__ = ("to_phone", "source_call_id", "purpose")
    TO_PHONE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    to_phone: str
    source_call_id: str
    purpose: str
    def __init__(self, to_phone: _Optional[str] = ..., source_call_id: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class DialCallResponse(_message.Message):
    __slots__ = ("dial_id", "call_sid", "to_phone_e164")
    DIAL_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_SID_FIELD_NUMBER: _ClassVar[int]
    TO_PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    dial_id: str
    call_sid: str
    to_phone_e164: str
    def __init__(self, dial_id: _Optional[str] = ..., call_sid: _Optional[str] = ..., to_phone_e164: _Optional[str] = ...) -> None: ...
