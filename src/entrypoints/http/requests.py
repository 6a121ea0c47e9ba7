"""The app's request class: JSON bodies that the decoder chokes on are a 400, not a crash."""

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException


class JsonErrorsAre400Request(Request[Any, Any, Any]):
    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:  # msgspec decodes nested arrays and objects recursively
            raise ClientException("The request body is nested too deeply.") from None
        except UnicodeDecodeError:  # msgspec reports invalid UTF-8 inside strings this way
            raise ClientException("The request body is not valid UTF-8.") from None
