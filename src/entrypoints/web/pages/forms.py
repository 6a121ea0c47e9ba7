"""The bodies of the pages' forms (url-encoded); each also carries the CSRF field, checked before."""

from typing import Annotated

import msgspec
from litestar.enums import RequestEncodingType
from litestar.params import Body


class SignInForm(msgspec.Struct, frozen=True):
    token: str = ""


class UnlockForm(msgspec.Struct, frozen=True):
    password: str = ""


SignInBody = Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
UnlockBody = Annotated[UnlockForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
