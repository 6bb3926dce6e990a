"""Random codes: order codes, customer identifiers, secrets."""
import secrets
import string

# No O/0 and 1/I confusion when read out on the phone.
CODE_ALPHABET = "ABCDEFGHIJKLMNPQRSTUVWXYZ23456789"
SECRET_ALPHABET = string.ascii_lowercase + string.digits
ORDER_CODE_LENGTH = 5
CUSTOMER_IDENTIFIER_LENGTH = 7
ORDER_SECRET_LENGTH = 16
POSITION_SECRET_LENGTH = 32
PSEUDONYMIZATION_ID_LENGTH = 10


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def order_code() -> str:
    return _random(CODE_ALPHABET, ORDER_CODE_LENGTH)


def customer_identifier() -> str:
    return _random(CODE_ALPHABET, CUSTOMER_IDENTIFIER_LENGTH)


def order_secret() -> str:
    return _random(SECRET_ALPHABET, ORDER_SECRET_LENGTH)


def position_secret() -> str:
    return _random(SECRET_ALPHABET, POSITION_SECRET_LENGTH)


def pseudonymization_id() -> str:
    return _random(CODE_ALPHABET, PSEUDONYMIZATION_ID_LENGTH)


def url_token() -> str:
    """A token for one-time links (password set)."""
    return secrets.token_urlsafe(32)
