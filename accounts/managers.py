from typing import TYPE_CHECKING

from django.contrib.auth.base_user import BaseUserManager

from .validators import normalize_codice_fiscale

if TYPE_CHECKING:
    from .models import User

    _Base = BaseUserManager[User]
else:
    _Base = BaseUserManager  # not subscriptable at run time


class UserManager(_Base):
    use_in_migrations = True

    def _create_user(self, codice_fiscale, email, password, **extra_fields):
        user = self.model(
            codice_fiscale=normalize_codice_fiscale(codice_fiscale),
            email=self.normalize_email(email).lower(),
            **extra_fields,
        )
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, codice_fiscale, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(codice_fiscale, email, password, **extra_fields)

    def create_superuser(self, codice_fiscale, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(codice_fiscale, email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(codice_fiscale=normalize_codice_fiscale(username))
