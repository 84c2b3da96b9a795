"""The Jira HTTP client: the ``jira`` library with our retry adapter, errors mapped to ours."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import requests
from jira import JIRA, JIRAError
from requests.adapters import HTTPAdapter

from connectors.base import (
    Transport,
)
from connectors.errors import (
    AuthError,
    FatalError,
    RetriesExhausted,
    ScopeError,
    Unreachable,
    Vanished,
)
from connectors.jira.settings import (
    JiraSettings,
)
from connectors.observe import ResponseObserver

# HTTP: the jira client, our retry adapter, errors mapped to connector errors
# --------------------------------------------------------------------------------------------


class JiraApi:
    """The ``jira.JIRA`` client with our retry layer mounted; raw JSON calls where it lacks them."""

    def __init__(self, name: str, settings: JiraSettings, transport: Transport) -> None:
        self.name = name
        self.base = settings.url.rstrip("/")
        self.transport = transport
        self.observer = ResponseObserver.for_transport(transport)
        token = _secret(name, settings.token_env)
        auth: dict[str, Any] = (
            {"basic_auth": (_secret(name, settings.user_env), token)}
            if settings.user_env
            else {"token_auth": token}
        )
        # get_server_info=False: the constructor would call serverInfo before our adapter is
        # mounted (unretried, untimed); max_retries=0: ResilientSession's retries have gaps.
        self.client = JIRA(
            server=self.base,
            get_server_info=False,
            max_retries=0,
            timeout=transport.timeout,
            logging=False,
            **auth,
        )
        self.session: requests.Session = self.client._session
        # one connection per concurrent per-issue call (connectors.jira.pool)
        size = max(10, settings.concurrency)
        adapter = HTTPAdapter(max_retries=transport.retry, pool_maxsize=size)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.hooks["response"].append(self.observer.hook)

    @property
    def requests(self) -> int:
        """HTTP attempts: responses seen plus attempts retried inside urllib3."""
        return self.observer.requests

    @property
    def rate_limit_remaining(self) -> int | None:
        return self.observer.rate_limit_remaining

    @property
    def near_limit(self) -> bool:
        """Jira's ``X-RateLimit-NearLimit``: under 20% of the budget left."""
        return self.observer.near_limit

    def server_info(self) -> dict[str, Any]:
        info: dict[str, Any] = self._call(self.client.server_info, "/rest/api/2/serverInfo")
        self.client.deploymentType = info.get("deploymentType")  # lets cloud_api helpers work
        return info

    def remote_links(self, issue_id: str) -> list[dict[str, Any]]:
        path = f"/rest/api/2/issue/{issue_id}/remotelink"
        links = self._call(lambda: self.client.remote_links(issue_id), path, per_issue=True)
        return [link.raw for link in links]

    def get(
        self, path: str, params: Mapping[str, Any] | None = None, per_issue: bool = False
    ) -> Any:
        """GET JSON; ``per_issue``: a 404/403 means that one issue vanished (``Vanished``)."""
        url = self.base + path
        return self._call(lambda: self.session.get(url, params=params).json(), path, per_issue)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        url = self.base + path
        data = json.dumps(body)
        headers = {"Content-Type": "application/json"}
        return self._call(lambda: self.session.post(url, data=data, headers=headers).json(), path)

    def _call(self, fn: Any, path: str, per_issue: bool = False) -> Any:
        """Run one request; failures become one-line connector errors (never ``str(JIRAError)``:
        it prints the request headers, credentials included)."""
        try:
            return fn()
        except JIRAError as exc:
            if per_issue and exc.status_code in (403, 404):
                raise Vanished(
                    f"deleted or hidden in Jira (HTTP {exc.status_code} on {path})"
                ) from None
            raise self._error(exc.status_code, path, exc.response) from None
        except Unreachable as exc:
            raise Unreachable(
                f"jira source {self.name!r}: {exc}; check url in its [[sources]] table"
            ) from None
        except RetriesExhausted:
            raise
        except requests.RequestException as exc:
            raise RetriesExhausted(
                f"jira source {self.name!r}: lost the connection on {path} "
                f"({type(exc).__name__}); the next sync resumes where this one stopped"
            ) from None
        except ValueError:
            raise FatalError(
                f"jira source {self.name!r}: {path} did not answer JSON; check that url points "
                "at the Jira site (not a login page or proxy)"
            ) from None

    def _error(self, status: int | None, path: str, response: Any) -> FatalError:
        who = f"jira source {self.name!r}"
        if status in (401, 403):
            return AuthError(
                f"{who}: Jira rejected the credentials (HTTP {status} on {path}); check the "
                "token (and user e-mail for Cloud) in the environment variables the config names"
            )
        if status in (400, 404):
            detail = _jira_messages(response)
            return ScopeError(
                f"{who}: Jira rejected the scope (HTTP {status} on {path}: {detail}); check "
                "projects / jql in the config"
            )
        if status == 410:
            return ScopeError(
                f"{who}: Jira answered 410 Gone on {path}: this API was removed from the site; "
                "trainyard uses it only where serverInfo says Data Center, so check that url is "
                "the site itself (https://SITE.atlassian.net for Cloud, no proxy answering for it)"
            )
        return RetriesExhausted(
            f"{who}: HTTP {status} on {path} after retries; the next sync resumes where this one "
            "stopped"
        )


def _secret(source: str, env: str | None) -> str:
    if not env:
        raise AuthError(f"jira source {source!r}: no credential variable configured")
    try:
        return os.environ[env]
    except KeyError:
        raise AuthError(
            f"jira source {source!r}: environment variable {env} is not set; export it"
        ) from None


def _jira_messages(response: Any) -> str:
    try:
        body = response.json()
        messages = list(body.get("errorMessages") or []) + list((body.get("errors") or {}).values())
        return "; ".join(str(m) for m in messages)[:300] or "no detail"
    except Exception:  # a non-JSON error page: the status line says enough
        return "no detail"
