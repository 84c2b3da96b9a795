"""Mail delivery of the RTE digest: routing, the SMTP client, the outbox, and the one call
the CLI and the service make (``deliver_digests``)."""

from __future__ import annotations

from sync.mail.delivery import DeliveryReport, deliver_digests, preview_text

__all__ = ["DeliveryReport", "deliver_digests", "preview_text"]
