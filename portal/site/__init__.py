"""portal's site pages: the top layer, the only code that reads every app (through their selectors).

`views` (home, accessibility statement, the family dashboard), `urls` (and how the dashboard keeps its
`accounts:family` name), `backends` (the authentication backend that loads what the page chrome needs), `demo`
(the demo data; `manage.py seed_demo`). Nothing below (accounts, enrollment, payments, portal's helpers)
imports it.
"""
