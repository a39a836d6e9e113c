"""Error shapes: a JSON problem body for the native API, Twilio's shape for `/v1/…`.

Handlers are installed once in the app so that no bad input ever becomes a 500."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class Problem(Exception):
    """A native-API error: status, a short title, a sentence naming what is wrong."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }


class TwilioError(Exception):
    """An error of the TaskRouter-compatible API, shaped like Twilio's."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def _is_twilio_path(request: Request) -> bool:
    return request.url.path.startswith("/v1/")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem) -> JSONResponse:
        return JSONResponse(
            exc.body(), status_code=exc.status, media_type="application/problem+json"
        )

    @app.exception_handler(TwilioError)
    async def _twilio(_request: Request, exc: TwilioError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        detail = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        if _is_twilio_path(request):
            return JSONResponse(TwilioError(400, 20001, detail).body(), status_code=400)
        return JSONResponse(
            Problem(422, "Invalid request", detail).body(),
            status_code=422,
            media_type="application/problem+json",
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if _is_twilio_path(request):
            code = 20404 if exc.status_code == 404 else 20000 + exc.status_code
            body = TwilioError(exc.status_code, code, str(exc.detail)).body()
            return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        problem = Problem(exc.status_code, "Error", str(exc.detail))
        return JSONResponse(
            problem.body(),
            status_code=exc.status_code,
            headers=exc.headers,
            media_type="application/problem+json",
        )
