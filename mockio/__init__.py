"""A fake of IO's API for public-administration services (profiles and messages), strict as the real one, with an
inbox page that shows a citizen's messages as the app would. Installed only when settings.IO_MOCK_ENABLED."""
