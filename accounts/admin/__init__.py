"""accounts' back office, one module per topic: `users` (adults, consents, legal documents), `families`
(children, their adults, the family log, deletion requests), `imports` (the Comune's families: CSV import,
imported adults and their activation letters), `mfa` (the users' authenticators). Importing the package registers
every ModelAdmin."""

from . import families, imports, mfa, users

__all__ = ["families", "imports", "mfa", "users"]
