import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SmsStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SMS_STATUS_UNSPECIFIED: _ClassVar[SmsStatus]
    SMS_STATUS_QUEUED: _ClassVar[SmsStatus]
    SMS_STATUS_SENT: _ClassVar[SmsStatus]
    SMS_STATUS_DELIVERED: _ClassVar[SmsStatus]
    SMS_STATUS_FAILED: _ClassVar[SmsStatus]
    SMS_STATUS_UNDELIVERED: _ClassVar[SmsStatus]
SMS_STATUS_UNSPECIFIED: SmsStatus
SMS_STATUS_QUEUED: SmsStatus
SMS_STATUS_SENT: SmsStatus
SMS_STATUS_DELIVERED: SmsStatus
SMS_STATUS_FAILED: SmsStatus
SMS_STATUS_UNDELIVERED: SmsStatus

class SmsMessage(_message.Message):
    __slots__ = ("message_id", "to_phone_e164", "body", "status", "provider", "provider_message_id", "error_message", "source_call_id", "created_at", "updated_at")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    TO_PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    to_phone_e164: str
    body: str
    status: SmsStatus
    provider: str
    provider_message_id: str
    error_message: str
    source_call_id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, message_id: _Optional[str] = ..., to_phone_e164: _Optional[str] = ..., body: _Optional[str] = ..., status: _Optional[_Union[SmsStatus, str]] = ..., provider: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., error_message: _Optional[str] = ..., source_call_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendSmsRequest(_message.Message):
    __slots__ = ("idempotency_key", "to_phone", "template_id", "variables", "body", "source_call_id")
    class VariablesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    TO_PHONE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    to_phone: str
    template_id: str
    variables: _containers.ScalarMap[str, str]
    body: str
    source_call_id: str
    def __init__(self, idempotency_key: _Optional[str] = ..., to_phone: _Optional[str] = ..., template_id: _Optional[str] = ..., variables: _Optional[_Mapping[str, str]] = ..., body: _Optional[str] = ..., source_call_id: _Optional[str] = ...) -> None: ...

class SendSmsResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: SmsMessage
    def __init__(self, message: _Optional[_Union[SmsMessage, _Mapping]] = ...) -> None: ...

class GetSmsStatusRequest(_message.Message):
    __slots__ = ("message_id",)
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    def __init__(self, message_id: _Optional[str] = ...) -> None: ...

class GetSmsStatusResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: SmsMessage
    def __init__(self, message: _Optional[_Union[SmsMessage, _Mapping]] = ...) -> None: ...

class SetSmsOptOutRequest(_message.Message):
    __slots__ = ("phone", "opted_out", "source")
    PHONE_FIELD_NUMBER: _ClassVar[int]
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    phone: str
    opted_out: bool
    source: str
    def __init__(self, phone: _Optional[str] = ..., opted_out: _Optional[bool] = ..., source: _Optional[str] = ...) -> None: ...

class SetSmsOptOutResponse(_message.Message):
    __slots__ = ("phone_e164", "opted_out")
    PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    phone_e164: str
    opted_out: bool
    def __init__(self, phone_e164: _Optional[str] = ..., opted_out: _Optional[bool] = ...) -> None: ...

class GetSmsOptOutRequest(_message.Message):
    __slots__ = ("phone",)
    PHONE_FIELD_NUMBER: _ClassVar[int]
    phone: str
    def __init__(self, phone: _Optional[str] = ...) -> None: ...

class GetSmsOptOutResponse(_message.Message):
    __slots__ = ("phone_e164", "opted_out")
    PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    phone_e164: str
    opted_out: bool
    def __init__(self, phone_e164: _Optional[str] = ..., opted_out: _Optional[bool] = ...) -> None: ...
