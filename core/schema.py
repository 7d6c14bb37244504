"""The OpenAPI document: the platform's token authentication (a drf-spectacular extension) and the schema class
that describes each operation by its own view."""

import inspect

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`; issue one with `manage.py issue_api_token` or on the account page.",
        }


class PlatformAutoSchema(AutoSchema):
    """An operation's description is its view's own docstring (or its method's), never one inherited from the
    classes a view is built on: those explain the code (``core.api.base``, DRF, Django), not the endpoint."""

    FRAMEWORK = ("core.api.", "rest_framework.", "django.")

    def get_description(self) -> str:  # type: ignore[override]  # drf-spectacular narrows DRF's signature
        method = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        own = inspect.getdoc(method) if method is not None and method.__doc__ else None
        if own:
            return own
        for cls in type(self.view).__mro__:
            if cls.__module__.startswith(self.FRAMEWORK) or cls is object:
                continue
            if cls.__dict__.get("__doc__"):
                return inspect.cleandoc(cls.__dict__["__doc__"])
        return ""
