from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from core.bounds import column_bounds

from .choices import ChangeRequestKind, Condition, PointKind, SourceKind
from .models import Division, ServicePoint


class IntakeForm(forms.Form):
    """The scanner-friendly intake form: a handheld scanner types the code and presses Enter, which submits."""

    point = forms.ModelChoiceField(queryset=None, label=_("Service point"))
    code = forms.CharField(
        label=_("Pack code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "latin",
                "class": "form-control form-control-lg font-monospace",
                "placeholder": _("Scan or type the 24-character code"),
            }
        ),
    )
    source_kind = forms.ChoiceField(
        label=_("Received from"), choices=SourceKind.choices, initial=SourceKind.OWNER
    )
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices, initial=Condition.INTACT)
    mass_kg = forms.DecimalField(
        label=_("Mass (kg)"), required=False, min_value=0, max_digits=9, decimal_places=2
    )
    source_name = forms.CharField(label=_("Handed in by"), max_length=200, required=False)
    photo = forms.FileField(label=_("Photo"), required=False)

    def __init__(self, *args, points=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        for name, field in self.fields.items():
            if name != "code":
                css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
                field.widget.attrs.setdefault("class", css)


class IntakeUploadForm(forms.Form):
    point = forms.ModelChoiceField(queryset=None, label=_("Service point"))
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("Columns: code, source_kind, condition, mass_kg, received_at, source_name"),
    )

    def __init__(self, *args, points=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = points
        self.fields["point"].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs["class"] = "form-control"


class ServicePointForm(forms.Form):
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=PointKind.choices)
    district = forms.ModelChoiceField(
        label=_("District"), queryset=Division.objects.exclude(level="province")
    )
    address = forms.CharField(label=_("Address"), max_length=300)
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    coordinate_system = forms.ChoiceField(
        label=_("Coordinates given as"),
        choices=[("wgs84", _("WGS-84 (GPS)")), ("gcj02", _("GCJ-02 (Chinese web maps)"))],
        help_text=_("GCJ-02 input is converted to WGS-84 on saving."),
    )
    automakers = forms.ModelMultipleChoiceField(
        label=_("Automakers served (co-built point: several)"),
        queryset=Organisation.objects.filter(kinds__contains=["automaker"]),
        required=False,
    )
    operator = forms.ModelChoiceField(
        label=_("Operator (blank: your organisation)"),
        queryset=Organisation.objects.filter(is_regulator=False),
        required=False,
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    phone_public = forms.BooleanField(label=_("Publish the contact phone"), required=False)
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=200, required=False)
    capacity_packs = forms.IntegerField(
        label=_("Storage capacity (packs)"), initial=0, **column_bounds(ServicePoint, "capacity_packs")
    )
    capacity_kg = forms.IntegerField(
        label=_("Storage capacity (kg)"), initial=0, **column_bounds(ServicePoint, "capacity_kg")
    )
    has_isolation_area = forms.BooleanField(label=_("Isolation area for damaged packs"), required=False)
    has_fire_suppression = forms.BooleanField(label=_("Fire suppression"), required=False)
    fire_rating = forms.CharField(label=_("Fire-resistance rating"), max_length=40, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select | forms.SelectMultiple):
                field.widget.attrs["class"] = "form-select"
            else:
                field.widget.attrs["class"] = "form-control"


class ChangeRequestForm(forms.Form):
    """A served automaker's request to change or close a point it does not operate; blank fields stay as
    they are."""

    kind = forms.ChoiceField(label=_("Request"), choices=ChangeRequestKind.choices)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    automakers = forms.ModelMultipleChoiceField(
        label=_("Automakers served"),
        queryset=Organisation.objects.filter(kinds__contains=["automaker"]),
        required=False,
    )
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    CHANGE_FIELDS = ("name_zh", "name_en", "address", "opening_hours", "contact_phone", "automakers")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = (
                "form-select"
                if isinstance(field.widget, forms.Select | forms.SelectMultiple)
                else "form-control"
            )
            field.widget.attrs["class"] = css

    def changes(self) -> dict:
        data = self.cleaned_data
        return {name: (list(data[name]) if name == "automakers" else data[name])
                for name in self.CHANGE_FIELDS if data.get(name)}  # fmt: skip
