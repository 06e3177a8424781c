"""Every error leaves as JSON with the right status; no stack trace ever does."""

from __future__ import annotations

import logging

from aiohttp import web

from hub.api.replies import reply
from models.errors import StoreUnavailable

log = logging.getLogger(__name__)

# Messages a person can act on, in Vietnamese since citizens read some of them.
_DEFAULT_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Thiếu hoặc sai khóa API (Authorization: Bearer <khóa>).",
    403: "Không có quyền thực hiện yêu cầu này.",
    404: "Không tìm thấy.",
    405: "Phương thức HTTP không được hỗ trợ cho địa chỉ này.",
    408: "Yêu cầu gửi quá chậm; kết nối đã bị đóng.",
    409: "Xung đột với trạng thái hiện tại.",
    413: "Nội dung gửi lên quá lớn (tối đa 1 MiB).",
    415: "Định dạng nội dung không được hỗ trợ; hãy gửi JSON.",
    422: "Dữ liệu không hợp lệ.",
    429: "Quá nhiều yêu cầu; vui lòng thử lại sau.",
    500: "Lỗi hệ thống; yêu cầu chưa được xử lý, vui lòng thử lại.",
    503: "Hệ thống tạm thời không lưu được dữ liệu; yêu cầu chưa được xử lý, vui lòng thử lại sau.",
}
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}
STORE_RETRY_AFTER = 30  # seconds: an operator has to act before the store takes writes again


def error_response(
    status: int, message: str | None = None, *, field: str | None = None, headers: dict | None = None, **extra
) -> web.Response:
    body = {"error": _CODES.get(status, "error"), "message": message or _DEFAULT_MESSAGES.get(status, "")}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return reply(body, status=status, headers=headers)


class ApiError(Exception):
    """Raised by handlers; the middleware renders it."""

    def __init__(
        self, status: int, message: str | None = None, *, field: str | None = None, headers: dict | None = None, **extra
    ):
        super().__init__(message)
        self.status_code, self.message, self.field = status, message, field
        self.headers, self.extra = headers or {}, extra


def too_many(message: str, wait: int) -> ApiError:
    """429 with the wait twice: the Retry-After header for programs, `retry_after`
    in the body for the page or app that shows the person when to try again."""
    return ApiError(429, message, headers={"Retry-After": str(wait)}, retry_after=wait)


def after_minutes(wait: int) -> str:
    """'thử lại sau N phút', rounded up: a guard's wait is minutes long."""
    return f"Vui lòng thử lại sau {-(-wait // 60)} phút."


def passthrough_headers(exc: web.HTTPException) -> dict:
    return {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after", "www-authenticate"}}


@web.middleware
async def json_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status_code, exc.message, field=exc.field, headers=exc.headers, **exc.extra)
    except StoreUnavailable as exc:
        # Nothing was stored: say so rather than 201 for a write that would be lost.
        log.error("store unavailable", extra={"path": request.path, "method": request.method, "error": str(exc)})
        return error_response(503, headers={"Retry-After": str(STORE_RETRY_AFTER)})
    except web.HTTPException as exc:
        if exc.status_code < 400:
            raise
        return error_response(exc.status_code, headers=passthrough_headers(exc))
    except web.RequestPayloadError:
        # A body aiohttp could not decode (a Content-Encoding over junk): the client's fault.
        return error_response(400, "Nội dung yêu cầu không đọc được.")
    except ConnectionResetError:
        raise  # the client left mid-request: nobody to answer, nothing to log
    except Exception:
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return error_response(500)
