// Screenshots of every screen in Korean and English → docs/screenshots/<screen>-<ko|en>.png.
// They come from a real match (the e2e scenario), so every screen shows live data.
// Korean text needs a CJK font in the system (Debian: fonts-noto-cjk, fonts-noto-color-emoji).
process.env.SCREENSHOTS = '1';
await import('./match.e2e.mjs');
