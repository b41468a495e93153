"""The six services by name, for `voicepod service NAME`."""

from __future__ import annotations

from bus.runner import ServiceDefinition
from services.audit.service import DEFINITION as AUDIT
from services.calendar.service import DEFINITION as CALENDAR
from services.crm_writer.service import DEFINITION as CRM_WRITER
from services.mls_lookup.service import DEFINITION as MLS_LOOKUP
from services.sms.service import DEFINITION as SMS
from services.transcript.service import DEFINITION as TRANSCRIPT

DEFINITIONS: dict[str, ServiceDefinition] = {
    d.name: d for d in (CRM_WRITER, CALENDAR, MLS_LOOKUP, SMS, AUDIT, TRANSCRIPT)
}
