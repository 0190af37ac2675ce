"""The emulator's errors: each becomes ``{"error_code", "message"}`` with its HTTP status."""

from __future__ import annotations


class ApiError(Exception):
    """An error answer of the API."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self) -> dict[str, object]:
        return {"error_code": self.error_code, "message": self.message}


def invalid(message: str) -> ApiError:
    """400 INVALID_PARAMETER_VALUE: what the service answers for bad or missing fields."""
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def missing(field: str) -> ApiError:
    return invalid(f"Missing required field: {field}")


def not_found(error_code: str, message: str) -> ApiError:
    return ApiError(404, error_code, message)


def invalid_state(message: str) -> ApiError:
    return ApiError(400, "INVALID_STATE", message)
