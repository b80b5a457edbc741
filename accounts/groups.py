"""The office groups a Comune needs (created by the migration portal/0003_office_groups): their names in one place."""

OFFICE_GROUP = "Ufficio scuola"
OFFICE_GROUP_WITH_HEALTH_DATA = "Ufficio scuola – dati sanitari"  # noqa: RUF001 - the group's name, as the office reads it
ACCOUNTS_OFFICE_GROUP = "Ragioneria"
