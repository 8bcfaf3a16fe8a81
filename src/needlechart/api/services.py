"""Writes for API clients: creating one (its token or OAuth 2 secret is returned once) and revoking it. Audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from needlechart.api.models import ApiClient
from needlechart.api.oauth import redirect_uri_errors
from needlechart.api.scopes import Scope, may_grant, may_manage_clients
from needlechart.api.tokens import new_token
from needlechart.audit.models import AuditAction, AuditObject
from needlechart.audit.services import audit_record
from needlechart.clinics.models import User
from needlechart.clinics.selectors import clinic_id_of
from needlechart.core.forms import single_line


def _require_manager(actor: User) -> None:
    if not may_manage_clients(actor):
        raise PermissionDenied(_("Only clinic admins can manage API clients."))


@transaction.atomic
def api_client_create(
    *,
    actor: User,
    name: str,
    scopes: Collection[str],
    valid_days: int,
    oauth: bool = False,
    redirect_uris: Collection[str] = (),
    public: bool = False,
) -> tuple[ApiClient, str]:
    """A new client of the actor's clinic and its secret, which exists only in the returned text:
    its personal access token, or with ``oauth`` the secret of its OAuth 2 client credentials
    (the client id is ``client.application.client_id``).

    With ``redirect_uris`` (and ``oauth``) the client uses the authorization code grant with PKCE
    instead: confidential (with a secret), or with ``public`` a public client, which has no secret
    (the text returned is empty). Each URI must pass api.oauth.redirect_uri_errors.

    The actor must manage staff and hold every capability of every scope given
    (api.scopes.may_grant); the token expires after ``valid_days``, at most
    ``settings.API_TOKEN_MAX_DAYS``.
    """
    _require_manager(actor)
    name = name.strip()
    single_line(name)
    if not name or len(name) > 100:
        raise ValidationError(_("Give the client a name of at most 100 characters."), code="name")
    wanted = sorted(set(scopes))
    if not wanted or any(scope not in Scope.values for scope in wanted):
        raise ValidationError(_("Choose at least one scope from the list."), code="scopes")
    refused = [scope for scope in wanted if not may_grant(actor, scope)]
    if refused:
        raise PermissionDenied(_("Your role cannot give a client this scope: %(scopes)s.") % {"scopes": ", ".join(refused)})
    if not 1 <= valid_days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            _("A token is valid for 1 to %(days)s days.") % {"days": settings.API_TOKEN_MAX_DAYS},
            code="valid_days",
        )
    clinic_id = clinic_id_of(actor)
    if ApiClient.objects.filter(clinic_id=clinic_id, name=name).exists():
        raise ValidationError(_("The clinic already has a client of this name."), code="name_taken")
    client = ApiClient(
        clinic_id=clinic_id,
        name=name,
        scope=" ".join(wanted),
        acting_role=actor.role,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=valid_days),
    )
    uris = list(dict.fromkeys(uri.strip() for uri in redirect_uris if uri.strip()))
    if uris or public:
        if not oauth or not uris:
            raise ValidationError(_("An authorization code client needs at least one redirect URI."), code="redirect_uris")
        errors = redirect_uri_errors(uris)
        if errors:
            raise ValidationError(errors, code="redirect_uris")
    if oauth:
        secret = generate_client_secret()
        # Saved hashed by the toolkit (hash_client_secret); the text is returned once.
        client.application = Application.objects.create(
            name=f"{name} ({clinic_id})"[:255],
            client_type=Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE if uris else Application.GRANT_CLIENT_CREDENTIALS,
            redirect_uris=" ".join(uris),
            client_secret=secret,
        )
        if public:
            secret = ""  # a public client proves itself with PKCE alone: it is given no secret
    else:
        token = new_token()
        client.token_prefix, client.token_digest, secret = token.prefix, token.digest, token.text
    client.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=AuditObject.API_CLIENT,
        object_id=client.pk,
        detail={
            "name": name,
            "scopes": wanted,
            "expires_at": client.expires_at.isoformat(),
            "credentials": client.shown_token,
            **({"redirect_uris": uris, "public": public} if uris else {}),
        },
    )
    return client, secret


@transaction.atomic
def api_client_revoke(*, actor: User, client: ApiClient) -> ApiClient:
    """Revoke the client at once: its next call is refused, and an OAuth 2 client's access tokens,
    refresh tokens and unused authorization codes are removed. Revoking twice changes nothing."""
    _require_manager(actor)
    if client.clinic_id != actor.clinic_id:
        raise PermissionDenied
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if locked.revoked_at is None:
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        if locked.application_id is not None:
            RefreshToken.objects.filter(application_id=locked.application_id).delete()
            AccessToken.objects.filter(application_id=locked.application_id).delete()
            Grant.objects.filter(application_id=locked.application_id).delete()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type=AuditObject.API_CLIENT,
            object_id=client.pk,
            detail={"revoked": True, "name": client.name},
        )
    return locked
