from whitenoise.storage import CompressedManifestStaticFilesStorage


class PortalStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's manifest storage, tolerant of references to files that do not exist.

    The Bootstrap Italia base template names `css/vendor/owl.carousel.min.css` (inside an HTML
    comment, but the tag still runs): the strict storage would turn every page into a 500.
    """

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            return name
