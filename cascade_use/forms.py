from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.choices import Region
from accounts.models import Organisation
from traceability.choices import Chemistry

from .models import AuthorisationKind, ProductType, Scenario, Verdict

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
D = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuthorisationForm(forms.Form):
    enterprise = forms.ModelChoiceField(
        label=_("cascade-use enterprise"),
        queryset=Organisation.objects.filter(kinds__contains=["cascade_use"]),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=AuthorisationKind.choices)
    chemistries = forms.MultipleChoiceField(
        label=_("chemistries (none = all)"), choices=Chemistry.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    product_types = forms.MultipleChoiceField(
        label=_("product types (none = all)"), choices=ProductType.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    valid_from = forms.DateField(label=_("valid from"), widget=D)
    valid_to = forms.DateField(label=_("valid to"), widget=D)
    document_ref = forms.CharField(label=_("document reference"), max_length=100)


class AssessmentForm(forms.Form):
    assessed_at = forms.DateTimeField(label=_("assessed at"), widget=DT)
    assessor_name = forms.CharField(label=_("assessor"), max_length=100)
    visual_ok = forms.BooleanField(label=_("1. visual inspection passed"), required=False)
    visual_notes = forms.CharField(label=_("visual findings"), max_length=300, required=False)
    polarity_ok = forms.BooleanField(label=_("2. polarity correct"), required=False, initial=True)
    voltage_v = forms.DecimalField(label=_("3. open-circuit voltage (V)"), max_digits=8, decimal_places=3)
    voltage_spread_mv = forms.DecimalField(
        label=_("cell voltage spread (mV)"), max_digits=8, decimal_places=1
    )
    voltage_consistency_ok = forms.BooleanField(label=_("voltage consistency passed"), required=False)
    test_current_a = forms.DecimalField(label=_("4. test current (A)"), max_digits=8, decimal_places=2)
    remaining_capacity_ah = forms.DecimalField(
        label=_("5. remaining capacity (Ah)"), max_digits=9, decimal_places=2
    )
    soh_pct = forms.DecimalField(
        label=_("SOH (%), blank = from rated capacity"), max_digits=5, decimal_places=2, required=False
    )
    insulation_mohm = forms.DecimalField(
        label=_("insulation resistance (MΩ)"), max_digits=9, decimal_places=2
    )
    insulation_ok = forms.BooleanField(label=_("insulation passed"), required=False)
    internal_resistance_mohm = forms.DecimalField(
        label=_("internal resistance (mΩ)"), max_digits=9, decimal_places=3
    )
    verdict = forms.ChoiceField(label=_("verdict"), choices=Verdict.choices)
    limits = forms.CharField(label=_("limits of use"), max_length=300, required=False)
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ProductForm(forms.Form):
    sources = forms.MultipleChoiceField(label=_("original batteries"), widget=forms.CheckboxSelectMultiple)
    scenario = forms.ModelChoiceField(
        label=_("application scenario"), queryset=Scenario.objects.filter(is_active=True)
    )
    name = forms.CharField(label=_("product"), max_length=150)
    level = forms.ChoiceField(label=_("product type"), choices=ProductType.choices)
    code = forms.CharField(label=_("new code (blank = generate)"), max_length=25, required=False)
    site = forms.CharField(label=_("site"), max_length=200)
    site_region = forms.ChoiceField(
        label=_("site region"),
        choices=Region.choices,
    )
    operator = forms.CharField(label=_("operator"), max_length=200)
    commissioned_at = forms.DateTimeField(label=_("commissioned at"), widget=DT)
    rated_energy_kwh = forms.DecimalField(
        label=_("rated energy (kWh)"), max_digits=9, decimal_places=3, required=False
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sources"].choices = [
            (b.code, f"{b.code} · {b.get_chemistry_display()}") for b in candidates
        ]


class HandoverForm(forms.Form):
    battery = forms.CharField(widget=forms.HiddenInput)
    to = forms.ModelChoiceField(
        label=_("regeneration enterprise"),
        queryset=Organisation.objects.filter(kinds__contains=["regeneration"]),
        empty_label=_("Regeneration enterprise…"),
    )
    occurred_at = forms.DateTimeField(label=_("handed over at"), widget=DT)


class RetireForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("second life ended at"), widget=DT)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)
