"""The store port and its backends. All state goes through a Store."""

from hub.store.port import (
    ApplicantData,
    DeliveryResult,
    DossierData,
    OutboxRow,
    StatusChange,
    StatusChangeResult,
    Store,
)

__all__ = ["ApplicantData", "DeliveryResult", "DossierData", "OutboxRow", "StatusChange", "StatusChangeResult", "Store"]
