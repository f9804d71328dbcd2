// Tests and the bench drive the system Chromium (/usr/bin/chromium); never download a browser.
module.exports = { skipDownload: true };
