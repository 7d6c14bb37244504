from django import forms
from django.utils.translation import gettext_lazy as _


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Battery code or VIN"), max_length=64)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Battery code"), max_length=64)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"), help_text=_("First row: column names; at most 10,000 rows.")
    )
