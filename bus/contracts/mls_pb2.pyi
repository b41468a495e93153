import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from bus.contracts import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PropertyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROPERTY_TYPE_UNSPECIFIED: _ClassVar[PropertyType]
    PROPERTY_TYPE_SINGLE_FAMILY: _ClassVar[PropertyType]
    PROPERTY_TYPE_CONDO: _ClassVar[PropertyType]
    PROPERTY_TYPE_TOWNHOUSE: _ClassVar[PropertyType]
    PROPERTY_TYPE_MULTI_FAMILY: _ClassVar[PropertyType]
    PROPERTY_TYPE_LAND: _ClassVar[PropertyType]

class ListingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LISTING_STATUS_UNSPECIFIED: _ClassVar[ListingStatus]
    LISTING_STATUS_ACTIVE: _ClassVar[ListingStatus]
    LISTING_STATUS_PENDING: _ClassVar[ListingStatus]
    LISTING_STATUS_SOLD: _ClassVar[ListingStatus]
PROPERTY_TYPE_UNSPECIFIED: PropertyType
PROPERTY_TYPE_SINGLE_FAMILY: PropertyType
PROPERTY_TYPE_CONDO: PropertyType
PROPERTY_TYPE_TOWNHOUSE: PropertyType
PROPERTY_TYPE_MULTI_FAMILY: PropertyType
PROPERTY_TYPE_LAND: PropertyType
LISTING_STATUS_UNSPECIFIED: ListingStatus
LISTING_STATUS_ACTIVE: ListingStatus
LISTING_STATUS_PENDING: ListingStatus
LISTING_STATUS_SOLD: ListingStatus

class ListingAgent(_message.Message):
    __slots__ = ("agent_id", "name", "phone_e164", "email")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PHONE_E164_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    name: str
    phone_e164: str
    email: str
    def __init__(self, agent_id: _Optional[str] = ..., name: _Optional[str] = ..., phone_e164: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class Listing(_message.Message):
    __slots__ = ("mls_id", "address", "price_usd", "bedrooms", "bathrooms", "square_feet", "property_type", "status", "description", "features", "photo_urls", "agent", "year_built", "listed_at", "time_zone")
    MLS_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PRICE_USD_FIELD_NUMBER: _ClassVar[int]
    BEDROOMS_FIELD_NUMBER: _ClassVar[int]
    BATHROOMS_FIELD_NUMBER: _ClassVar[int]
    SQUARE_FEET_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    PHOTO_URLS_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    YEAR_BUILT_FIELD_NUMBER: _ClassVar[int]
    LISTED_AT_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    mls_id: str
    address: _common_pb2.PostalAddress
    price_usd: int
    bedrooms: int
    bathrooms: float
    square_feet: int
    property_type: PropertyType
    status: ListingStatus
    description: str
    features: _containers.RepeatedScalarFieldContainer[str]
    photo_urls: _containers.RepeatedScalarFieldContainer[str]
    agent: ListingAgent
    year_built: int
    listed_at: _timestamp_pb2.Timestamp
    time_zone: str
    def __init__(self, mls_id: _Optional[str] = ..., address: _Optional[_Union[_common_pb2.PostalAddress, _Mapping]] = ..., price_usd: _Optional[int] = ..., bedrooms: _Optional[int] = ..., bathrooms: _Optional[float] = ..., square_feet: _Optional[int] = ..., property_type: _Optional[_Union[PropertyType, str]] = ..., status: _Optional[_Union[ListingStatus, str]] = ..., description: _Optional[str] = ..., features: _Optional[_Iterable[str]] = ..., photo_urls: _Optional[_Iterable[str]] = ..., agent: _Optional[_Union[ListingAgent, _Mapping]] = ..., year_built: _Optional[int] = ..., listed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ...) -> None: ...

class SearchListingsRequest(_message.Message):
    __slots__ = ("city", "state", "min_price_usd", "max_price_usd", "min_bedrooms", "min_bathrooms", "property_types", "text", "limit", "offset", "statuses")
    CITY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MIN_PRICE_USD_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_USD_FIELD_NUMBER: _ClassVar[int]
    MIN_BEDROOMS_FIELD_NUMBER: _ClassVar[int]
    MIN_BATHROOMS_FIELD_NUMBER: _ClassVar[int]
    PROPERTY_TYPES_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    city: str
    state: str
    min_price_usd: int
    max_price_usd: int
    min_bedrooms: int
    min_bathrooms: float
    property_types: _containers.RepeatedScalarFieldContainer[PropertyType]
    text: str
    limit: int
    offset: int
    statuses: _containers.RepeatedScalarFieldContainer[ListingStatus]
    def __init__(self, city: _Optional[str] = ..., state: _Optional[str] = ..., min_price_usd: _Optional[int] = ..., max_price_usd: _Optional[int] = ..., min_bedrooms: _Optional[int] = ..., min_bathrooms: _Optional[float] = ..., property_types: _Optional[_Iterable[_Union[PropertyType, str]]] = ..., text: _Optional[str] = ..., limit: _Optional[int] = ..., offset: _Optional[int] = ..., statuses: _Optional[_Iterable[_Union[ListingStatus, str]]] = ...) -> None: ...

class SearchListingsResponse(_message.Message):
    __slots__ = ("listings", "total_count")
    LISTINGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    listings: _containers.RepeatedCompositeFieldContainer[Listing]
    total_count: int
    def __init__(self, listings: _Optional[_Iterable[_Union[Listing, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class GetListingRequest(_message.Message):
    __slots__ = ("mls_id", "address")
    MLS_ID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    mls_id: str
    address: str
    def __init__(self, mls_id: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class GetListingResponse(_message.Message):
    __slots__ = ("listing",)
    LISTING_FIELD_NUMBER: _ClassVar[int]
    listing: Listing
    def __init__(self, listing: _Optional[_Union[Listing, _Mapping]] = ...) -> None: ...
