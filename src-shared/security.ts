// The Content-Security-Policy of every page of the app: set as a header by the Electron session and the
// HTTP server, and (without frame-ancestors, which a meta tag cannot carry) in index.html.
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
