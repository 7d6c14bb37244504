from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Element, OutputKind, Route, ThresholdEdition, WasteCategory

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
D = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LicenceForm(forms.Form):
    number = forms.CharField(label=_("licence number"), max_length=64)
    issuing_authority = forms.CharField(label=_("issuing authority"), max_length=200)
    categories = forms.MultipleChoiceField(label=_("waste categories"), widget=forms.CheckboxSelectMultiple)
    annual_scale_t = forms.DecimalField(
        label=_("annual scale (t)"), max_digits=12, decimal_places=3, min_value=0
    )
    valid_from = forms.DateField(label=_("valid from"), widget=D)
    valid_to = forms.DateField(label=_("valid to"), widget=D)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [(c.code, str(c)) for c in WasteCategory.objects.all()]


class ReceiveForm(forms.Form):
    battery = forms.CharField(widget=forms.HiddenInput)
    mass_kg = forms.DecimalField(
        label=_("weighed mass (kg)"), max_digits=10, decimal_places=2, required=False
    )
    occurred_at = forms.DateTimeField(label=_("received at"), widget=DT)


class BatchForm(forms.Form):
    reference = forms.CharField(label=_("batch reference"), max_length=64)
    started_at = forms.DateTimeField(label=_("started at"), widget=DT)
    edition = forms.ModelChoiceField(label=_("threshold edition"), queryset=ThresholdEdition.objects.all())
    inputs = forms.MultipleChoiceField(label=_("input packs"), widget=forms.CheckboxSelectMultiple)
    powder_content_kg = forms.DecimalField(
        label=_("electrode powder contained in the input (kg)"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inputs"].choices = [(b.code, f"{b.code} · {b.mass_kg or '?'} kg") for b in candidates]


class Stage1Form(forms.Form):
    """One mass per output kind (blank = none); impurities for the black mass / electrode powder."""

    finished_at = forms.DateTimeField(label=_("stage 1 finished at"), widget=DT)
    cu_impurity_pct = forms.DecimalField(
        label=_("Cu impurity in powder (%)"), max_digits=5, decimal_places=2, required=False
    )
    al_impurity_pct = forms.DecimalField(
        label=_("Al impurity in powder (%)"), max_digits=5, decimal_places=2, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in OutputKind.choices:
            self.fields[f"out_{value}"] = forms.DecimalField(
                label=f"{label} (kg)", max_digits=12, decimal_places=2, min_value=0, required=False
            )

    def outputs(self) -> list[dict]:
        d = self.cleaned_data
        rows = []
        for value in OutputKind.values:
            if d.get(f"out_{value}") is not None:
                row = {"kind": value, "mass_kg": d[f"out_{value}"]}
                if value in ("black_mass", "electrode_powder"):
                    row |= {
                        "cu_impurity_pct": d.get("cu_impurity_pct"),
                        "al_impurity_pct": d.get("al_impurity_pct"),
                    }
                rows.append(row)
        return rows


class Stage2Form(forms.Form):
    """One line per element: route, mass contained in the feed, mass recovered (blank feed = not recovered)."""

    finished_at = forms.DateTimeField(label=_("stage 2 finished at"), widget=DT)
    energy_kgce_per_t = forms.DecimalField(
        label=_("Li2CO3 energy use (kgce/t)"), max_digits=10, decimal_places=2, required=False
    )
    water_recycled_pct = forms.DecimalField(
        label=_("process water recycled (%)"), max_digits=5, decimal_places=2, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Element.choices:
            self.fields[f"{value}_route"] = forms.ChoiceField(
                label=f"{label}: {_('route')}", choices=Route.choices
            )
            self.fields[f"{value}_feed"] = forms.DecimalField(
                label=f"{label}: {_('in feed (kg)')}",
                max_digits=12,
                decimal_places=3,
                min_value=0,
                required=False,
            )
            self.fields[f"{value}_recovered"] = forms.DecimalField(
                label=f"{label}: {_('recovered (kg)')}",
                max_digits=12,
                decimal_places=3,
                min_value=0,
                required=False,
            )

    def element_rows(self):
        return [
            (label, self[f"{v}_route"], self[f"{v}_feed"], self[f"{v}_recovered"])
            for v, label in Element.choices
        ]

    def recoveries(self) -> list[dict]:
        d = self.cleaned_data
        return [
            {
                "element": v,
                "route": d[f"{v}_route"],
                "feed_kg": d[f"{v}_feed"],
                "recovered_kg": d.get(f"{v}_recovered") or 0,
            }
            for v in Element.values
            if d.get(f"{v}_feed") is not None
        ]
