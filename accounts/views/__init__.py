"""accounts' pages, one module per topic: `family` (profile, consents, legal documents, children), `activation`
(the code of the Comune's letter), `invitations` (delegates), `privacy` (the privacy center).
accounts/urls.py imports the modules; nothing else imports views."""

__all__: list[str] = []
