import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BookingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOOKING_STATUS_UNSPECIFIED: _ClassVar[BookingStatus]
    BOOKING_STATUS_CONFIRMED: _ClassVar[BookingStatus]
    BOOKING_STATUS_CANCELLED: _ClassVar[BookingStatus]
BOOKING_STATUS_UNSPECIFIED: BookingStatus
BOOKING_STATUS_CONFIRMED: BookingStatus
BOOKING_STATUS_CANCELLED: BookingStatus

class TimeSlot(_message.Message):
    __slots__ = ("start_time", "end_time", "agent_id", "time_zone")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    agent_id: str
    time_zone: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_id: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class Booking(_message.Message):
    __slots__ = ("booking_id", "listing_id", "slot", "lead_id", "contact_name", "contact_phone_e164", "status", "source_call_id", "created_at")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    LISTING_ID_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    listing_id: str
    slot: TimeSlot
    lead_id: str
    contact_name: str
    contact_phone_e164: str
    status: BookingStatus
    source_call_id: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, booking_id: _Optional[str] = ..., listing_id: _Optional[str] = ..., slot: _Optional[_Union[TimeSlot, _Mapping]] = ..., lead_id: _Optional[str] = ..., contact_name: _Optional[str] = ..., contact_phone_e164: _Optional[str] = ..., status: _Optional[_Union[BookingStatus, str]] = ..., source_call_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SlotUnavailable(_message.Message):
    __slots__ = ("reason", "alternatives")
    REASON_FIELD_NUMBER: _ClassVar[int]
    ALTERNATIVES_FIELD_NUMBER: _ClassVar[int]
    reason: str
    alternatives: _containers.RepeatedCompositeFieldContainer[TimeSlot]
    def __init__(self, reason: _Optional[str] = ..., alternatives: _Optional[_Iterable[_Union[TimeSlot, _Mapping]]] = ...) -> None: ...

class GetAvailabilityRequest(_message.Message):
    __slots__ = ("listing_id", "from_time", "to_time", "max_slots", "time_zone", "agent_id")
    LISTING_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_SLOTS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    listing_id: str
    from_time: _timestamp_pb2.Timestamp
    to_time: _timestamp_pb2.Timestamp
    max_slots: int
    time_zone: str
    agent_id: str
    def __init__(self, listing_id: _Optional[str] = ..., from_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., to_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_slots: _Optional[int] = ..., time_zone: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class GetAvailabilityResponse(_message.Message):
    __slots__ = ("slots", "time_zone")
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    slots: _containers.RepeatedCompositeFieldContainer[TimeSlot]
    time_zone: str
    def __init__(self, slots: _Optional[_Iterable[_Union[TimeSlot, _Mapping]]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class BookShowingRequest(_message.Message):
    __slots__ = ("idempotency_key", "listing_id", "start_time", "agent_id", "lead_id", "contact_name", "contact_phone", "source_call_id", "time_zone")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LISTING_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_NAME_FIELD_NUMBER: _ClassVar[int]
    CONTACT_PHONE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CALL_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    listing_id: str
    start_time: _timestamp_pb2.Timestamp
    agent_id: str
    lead_id: str
    contact_name: str
    contact_phone: str
    source_call_id: str
    time_zone: str
    def __init__(self, idempotency_key: _Optional[str] = ..., listing_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., contact_name: _Optional[str] = ..., contact_phone: _Optional[str] = ..., source_call_id: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class BookShowingResponse(_message.Message):
    __slots__ = ("booking", "unavailable")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    unavailable: SlotUnavailable
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ..., unavailable: _Optional[_Union[SlotUnavailable, _Mapping]] = ...) -> None: ...

class CancelBookingRequest(_message.Message):
    __slots__ = ("booking_id", "reason")
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    booking_id: str
    reason: str
    def __init__(self, booking_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelBookingResponse(_message.Message):
    __slots__ = ("booking",)
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ...) -> None: ...

class RescheduleBookingRequest(_message.Message):
    __slots__ = ("idempotency_key", "booking_id", "new_start_time")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    BOOKING_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_START_TIME_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    booking_id: str
    new_start_time: _timestamp_pb2.Timestamp
    def __init__(self, idempotency_key: _Optional[str] = ..., booking_id: _Optional[str] = ..., new_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RescheduleBookingResponse(_message.Message):
    __slots__ = ("booking", "unavailable")
    BOOKING_FIELD_NUMBER: _ClassVar[int]
    UNAVAILABLE_FIELD_NUMBER: _ClassVar[int]
    booking: Booking
    unavailable: SlotUnavailable
    def __init__(self, booking: _Optional[_Union[Booking, _Mapping]] = ..., unavailable: _Optional[_Union[SlotUnavailable, _Mapping]] = ...) -> None: ...
