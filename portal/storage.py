from whitenoise.storage import CompressedManifestStaticFilesStorage


class PortalStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Whitenoise's manifest storage, tolerant of references to files that do not exist, remembering URLs.

    The Bootstrap Italia base template names `css/vendor/owl.carousel.min.css` (inside an HTML
    comment, but the tag still runs): the strict storage would turn every page into a 500.
    The manifest never changes while a process runs, so each name's URL is worked out once.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            return name

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url
