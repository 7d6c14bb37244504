"""factory_boy factories shared by every app's tests."""

import itertools

import factory

from accounts.choices import Role
from accounts.models import Organisation, User
from accounts.uscc import ALPHABET, check_character

_counter = itertools.count(1)


def make_uscc(n: int | None = None, division: str = "110000", org_type: str = "91") -> str:
    n = next(_counter) if n is None else n
    digits = f"{n:09d}"
    body = org_type + division + "".join(ALPHABET[int(d)] for d in digits)
    return body + check_character(body)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    uscc = factory.LazyFunction(make_uscc)
    name_zh = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    name_en = factory.Sequence(lambda n: f"Test Enterprise {n}")
    region = "BJ"
    kinds = factory.LazyFunction(lambda: ["automaker"])


class RegulatorFactory(OrganisationFactory):
    is_regulator = True
    kinds = factory.LazyFunction(list)
    department = "industry_it"
    name_zh = factory.Sequence(lambda n: f"监管部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.MANAGER
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()
