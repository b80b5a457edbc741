"""A SPID identity provider for development and tests (pysaml2's server), installed with the other fakes: its
metadata, a page to choose one of the demo citizens, signed responses — and wrong ones on demand, so that every
refusal of the service provider is tested."""
