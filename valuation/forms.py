from django import forms
from django.utils.translation import gettext_lazy as _


class AssessForm(forms.Form):
    valuation_date = forms.DateField(
        label=_("valuation date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class JobForm(forms.Form):
    SOURCES = [
        ("codes", _("A list of battery codes")),
        ("service_point", _("A service point's stock")),
        ("custody", _("All retired packs in my custody")),
    ]
    source = forms.ChoiceField(label=_("assess"), choices=SOURCES, initial="codes")
    codes = forms.CharField(
        label=_("battery codes"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("one code per line or separated by commas"),
    )  # fmt: skip
    service_point = forms.CharField(
        label=_("service point reference"), required=False, max_length=64, help_text=_("e.g. sp:12")
    )
    valuation_date = forms.DateField(
        label=_("valuation date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    description = forms.CharField(label=_("description"), required=False, max_length=200)

    def clean(self):
        data = super().clean()
        source = data.get("source")
        if source == "codes":
            codes = [c for c in (data.get("codes") or "").replace(",", "\n").split() if c.strip()]
            if not codes:
                self.add_error("codes", _("Enter at least one battery code."))
            data["code_list"] = codes
        elif source == "service_point" and not data.get("service_point"):
            self.add_error("service_point", _("Enter the service point's reference."))
        return data
