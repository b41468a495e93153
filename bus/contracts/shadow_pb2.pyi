from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ShadowAction(_message.Message):
    __slots__ = ("tool", "arguments_json", "writes")
    TOOL_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    tool: str
    arguments_json: str
    writes: bool
    def __init__(self, tool: _Optional[str] = ..., arguments_json: _Optional[str] = ..., writes: _Optional[bool] = ...) -> None: ...

class ShadowTurn(_message.Message):
    __slots__ = ("agent_name", "caller_text", "human_text", "recommended_reply", "recommended_actions", "entities", "human_turn")
    class EntitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CALLER_TEXT_FIELD_NUMBER: _ClassVar[int]
    HUMAN_TEXT_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_REPLY_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    HUMAN_TURN_FIELD_NUMBER: _ClassVar[int]
    agent_name: str
    caller_text: str
    human_text: str
    recommended_reply: str
    recommended_actions: _containers.RepeatedCompositeFieldContainer[ShadowAction]
    entities: _containers.ScalarMap[str, str]
    human_turn: int
    def __init__(self, agent_name: _Optional[str] = ..., caller_text: _Optional[str] = ..., human_text: _Optional[str] = ..., recommended_reply: _Optional[str] = ..., recommended_actions: _Optional[_Iterable[_Union[ShadowAction, _Mapping]]] = ..., entities: _Optional[_Mapping[str, str]] = ..., human_turn: _Optional[int] = ...) -> None: ...

class ShadowOutcome(_message.Message):
    __slots__ = ("agent_name", "human_action", "recommended_action", "human_actions", "recommended_actions", "human_entities", "recommended_entities")
    class HumanEntitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class RecommendedEntitiesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    AGENT_NAME_FIELD_NUMBER: _ClassVar[int]
    HUMAN_ACTION_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_ACTION_FIELD_NUMBER: _ClassVar[int]
    HUMAN_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    HUMAN_ENTITIES_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDED_ENTITIES_FIELD_NUMBER: _ClassVar[int]
    agent_name: str
    human_action: str
    recommended_action: str
    human_actions: _containers.RepeatedCompositeFieldContainer[ShadowAction]
    recommended_actions: _containers.RepeatedCompositeFieldContainer[ShadowAction]
    human_entities: _containers.ScalarMap[str, str]
    recommended_entities: _containers.ScalarMap[str, str]
    def __init__(self, agent_name: _Optional[str] = ..., human_action: _Optional[str] = ..., recommended_action: _Optional[str] = ..., human_actions: _Optional[_Iterable[_Union[ShadowAction, _Mapping]]] = ..., recommended_actions: _Optional[_Iterable[_Union[ShadowAction, _Mapping]]] = ..., human_entities: _Optional[_Mapping[str, str]] = ..., recommended_entities: _Optional[_Mapping[str, str]] = ...) -> None: ...
