from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import JJJ_REGION_CHOICES

from .models import MembershipTier, PriceForm


class ApplyForm(forms.Form):
    tier = forms.ModelChoiceField(MembershipTier.objects.filter(is_active=True), label=_("Tier"))
    statement = forms.CharField(
        label=_("Application statement"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    public_profile = forms.CharField(
        label=_("Public profile"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    listed_publicly = forms.BooleanField(
        label=_("List us in the public directory"), required=False, initial=True
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    capabilities = forms.CharField(
        label=_("Capabilities (members only)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class LotForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    form = forms.ChoiceField(
        label=_("Form"), choices=[(PriceForm.PACK, _("Pack")), (PriceForm.MODULE, _("Module"))]
    )
    location = forms.CharField(label=_("Location"), max_length=300)
    region = forms.ChoiceField(label=_("Region"), choices=JJJ_REGION_CHOICES)
    reserve_price_cny = forms.DecimalField(label=_("Reserve price (CNY)"), min_value=0, decimal_places=2)
    deadline = forms.DateTimeField(
        label=_("Bidding deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    sealed = forms.BooleanField(label=_("Sealed bids"), required=False, initial=True)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    items = forms.CharField(
        label=_("Batteries"),
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "CODE,0.78"}),
        help_text=_(
            "One battery code per line, optionally followed by a comma and its state of health (0–1)."
        ),
    )

    def clean_items(self):
        parsed = []
        for n, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            if not line.strip():
                continue
            code, _sep, soh = line.partition(",")
            try:
                value = Decimal(soh.strip()) if soh.strip() else None
            except InvalidOperation:
                raise forms.ValidationError(
                    _("line %(n)s: the state of health must be a number") % {"n": n}
                ) from None
            parsed.append((code.strip(), value))
        if not parsed:
            raise forms.ValidationError(_("List at least one battery code."))
        return parsed


class BidForm(forms.Form):
    amount_cny = forms.DecimalField(label=_("Your bid (CNY)"), min_value=Decimal("0.01"), decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
