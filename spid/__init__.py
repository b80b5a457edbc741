"""Entering with SPID (and, later, CIE): the portal as a SAML 2.0 service provider (pysaml2), its identity
providers, the one-time requests, and the link from a SPID identity (fiscalNumber) to the codice-fiscale account."""
