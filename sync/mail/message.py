"""The digest as one MIME message: multipart/alternative of plain text and HTML, the HTML
part multipart/related with the chart as an inline PNG referenced by Content-ID."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from reports.digest import Digest, age_chart_png, render_html, render_text, subject
from sync.mail.routing import chart_cid

PERIOD_HEADER = "X-Trainyard-Digest-Period"


def build_message(
    digest: Digest,
    *,
    sender: str,
    to: tuple[str, ...],
    message_id: str,
    period: str,
    now: datetime,
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject(digest)
    if sender:
        message["From"] = sender
    if to:
        message["To"] = ", ".join(to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    message[PERIOD_HEADER] = period
    png = age_chart_png(digest.age_buckets)
    cid = chart_cid(message_id) if png else None
    message.set_content(render_text(digest))
    message.add_alternative(render_html(digest, cid), subtype="html")
    if png is not None and cid is not None:
        html = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
        html.add_related(
            png, maintype="image", subtype="png", cid=f"<{cid}>", filename="dependency-age.png"
        )
    return message
