"""SPID's and CIE's attribute names, as the IdPs send them (NameFormat basic): the same name on both sides."""

NAMES = ("fiscalNumber", "name", "familyName", "email", "spidCode", "dateOfBirth")

MAP = {
    "identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
    "fro": {name: name for name in NAMES},
    "to": {name: name for name in NAMES},
}
