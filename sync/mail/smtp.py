"""Hand one message to the SMTP server of ``[smtp]``, or raise ``SendError`` with one line.

``security``: "starttls" (plain connection upgraded with STARTTLS before anything else is
said; a server that does not offer it is an error, never a silent plain-text send), "ssl"
(TLS from the first byte, port 465) or "none" (plain; a loopback relay). Certificates are
verified against the system trust store (``SSL_CERT_FILE`` names another bundle). The
password is read from the variable ``password_env`` names and never appears in a message.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from sync.config_digest import SmtpConfig
from sync.errors import RunError


class SendError(RunError):
    """The server refused the message or could not be reached; the next run retries."""


def send(message: EmailMessage, cfg: SmtpConfig, password: str | None) -> None:
    where = f"{cfg.host}:{cfg.effective_port}"
    try:
        with _connect(cfg) as conn:
            if cfg.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
            if cfg.user:
                conn.login(cfg.user, password or "")
            conn.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            f"SMTP server {where} rejected the login of {cfg.user!r} ({exc.smtp_code}); "
            "check [smtp] user and the variable named by password_env"
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        if "AUTH" in str(exc):
            raise SendError(
                f"SMTP server {where} offers no login (AUTH); remove [smtp] user, or use "
                'security = "starttls"/"ssl" (many servers offer AUTH only over TLS)'
            ) from None
        raise SendError(
            f'SMTP server {where} does not offer STARTTLS; use security = "ssl" or a server '
            'that does (security = "none" only for a local relay)'
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = ", ".join(f"{r} ({c})" for r, (c, _) in exc.recipients.items())
        raise SendError(
            f"SMTP server {where} refused the recipient {codes}; check [digest] addresses"
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise SendError(
            f"SMTP server {where} refused the sender {exc.sender} ({exc.smtp_code}); "
            "check [smtp] from"
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = _text(exc.smtp_error)
        raise SendError(
            f"SMTP server {where} answered {exc.smtp_code} {text}; retried next run"
        ) from None
    except ssl.SSLError as exc:
        raise SendError(
            f"TLS with SMTP server {where} failed ({exc.reason or exc}); check [smtp] host, "
            "security and the server's certificate"
        ) from None
    except TimeoutError:
        raise SendError(
            f"SMTP server {where} did not answer within {cfg.timeout:g} s; check [smtp] host "
            "and port, or raise [smtp] timeout"
        ) from None
    except (OSError, smtplib.SMTPException) as exc:
        reason = getattr(exc, "strerror", None) or _text(str(exc)) or type(exc).__name__
        raise SendError(
            f"cannot reach SMTP server {where}: {reason}; check [smtp] host and port"
        ) from None


def _connect(cfg: SmtpConfig) -> smtplib.SMTP:
    if cfg.security == "ssl":
        return smtplib.SMTP_SSL(
            cfg.host, cfg.effective_port, timeout=cfg.timeout, context=ssl.create_default_context()
        )
    return smtplib.SMTP(cfg.host, cfg.effective_port, timeout=cfg.timeout)


def _text(value: bytes | str) -> str:
    raw = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(raw.split())[:200]
