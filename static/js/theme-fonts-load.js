// Bootstrap Italia's font loader, once its bundle has loaded.
bootstrap.loadFonts("/bootstrap-italia/dist/fonts");
