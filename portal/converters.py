"""The `<id:…>` path converter: a database id in the address, refused (404) before the database sees it if too long.

Django's `<int:…>` takes any run of digits; 99999999999999999999 is past PostgreSQL's bigint. Today the ORM turns
such an exact lookup into an empty result, but nothing should rely on every query doing so: up to 18 digits
always fits a bigint (2**63 - 1 has 19), and no id of the portal comes near it. Registered in PortalConfig.ready().
"""

ID_MAX = 2**63 - 1  # PostgreSQL bigint, the type of every primary key (DEFAULT_AUTO_FIELD = BigAutoField)


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(int(value))
