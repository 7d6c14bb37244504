from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import ApiToken
from .services import api_token_issue, api_token_revoke


@login_required
def profile(request):
    new_token = request.session.pop("new_token", None)
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "accounts/profile.html", {"tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def token_issue(request):
    issued = api_token_issue(owner=request.user, name=request.POST.get("name") or "default")
    request.session["new_token"] = issued.raw
    messages.success(request, _("Token issued. Copy it now: it will not be shown again."))
    return redirect("accounts:profile")


@login_required
@require_POST
def token_revoke(request, prefix: str):
    token = get_object_or_404(ApiToken, user=request.user, prefix=prefix)
    api_token_revoke(token=token, actor=request.user)
    messages.info(request, _("Token revoked."))
    return redirect("accounts:profile")
