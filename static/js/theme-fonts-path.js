// Where Bootstrap Italia's bundle finds its fonts: read from this tag's data-fonts-path, before the bundle loads.
window.__PUBLIC_PATH__ = document.currentScript.dataset.fontsPath;
