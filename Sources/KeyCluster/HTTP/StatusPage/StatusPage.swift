import Crypto
import Foundation
import HTTPTypes
import RaftCore

/// The status page every member serves at `GET /`: one self-contained HTML document (inline style sheet
/// and script, nothing fetched from elsewhere) that shows this member's view of the cluster and refreshes
/// it from `/v1/cluster/status`, which is anonymous — so an operator's browser needs no certificate.
///
/// The Content-Security-Policy allows exactly the inline style and script below, by their SHA-256, and
/// connections to the cluster's members only (this origin and the others' client addresses, whose own
/// status the page reads for their term and indexes): no injected markup could run a script or send data
/// anywhere else.
enum StatusPage {
    /// How often the page asks for a new status.
    static let statusRefreshMilliseconds = 2_000
    /// How long the page waits for another member's own status before showing "no answer".
    static let peerStatusTimeoutMilliseconds = 1_500

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1b1f24;background:#f6f8fa}
        h1{font-size:1.4rem;margin:0 0 1rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}h3{margin:.2rem 0 .5rem}
        h4{margin:0 0 .3rem}dl{display:grid;grid-template-columns:max-content auto;gap:.1rem .8rem;margin:0}
        dt{color:#57606a}dd{margin:0;font-variant-numeric:tabular-nums}
        .regions{display:block}.region{display:inline-block;vertical-align:top;margin:0 1rem 1rem 0;padding:.6rem;
        border:1px solid #d0d7de;border-radius:6px;background:#fff}
        .member{margin:.4rem 0;padding:.5rem;border-radius:6px;border:2px solid #d0d7de;min-width:15rem}
        .role-leader{border-color:#1a7f37;background:#dafbe1}.link-unreachable{border-color:#cf222e;background:#ffebe9}
        .alarm{color:#cf222e;font-weight:600}.quiet{color:#57606a}
        #banner{padding:.5rem;background:#fff8c5;border:1px solid #d4a72c;border-radius:6px}
        """

    /// The document, with the style and script inline.
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>KeyCluster status</title>
        <style>\(style)</style>
        </head>
        <body>
        <h1>KeyCluster status</h1>
        <p id="banner" hidden></p>
        <main id="status" data-state="loading"><p class="quiet">Loading this member's status…</p></main>
        <noscript>This page needs JavaScript; the same figures are at /v1/cluster/status.</noscript>
        <script>\(StatusPageScript.source)</script>
        </body>
        </html>
        """

    /// Only this page's own inline style and script, and requests to this origin and `memberOrigins`.
    static func contentSecurityPolicy(memberOrigins: [String] = []) -> String {
        [
            "default-src 'none'",
            "script-src '\(scriptHash)'",
            "style-src '\(styleHash)'",
            (["connect-src 'self'"] + memberOrigins).joined(separator: " "),
            "img-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// The origin a member's page is served from: `https://` and its client address.
    static func origin(clientAddress: String) -> String { "https://\(clientAddress)" }

    /// The members' origins, for the CSP and CORS. An address that could not be a plain `host:port`
    /// (nothing but letters, digits, `.`, `-`, `:`, `[`, `]`) is left out rather than let into a header.
    static func memberOrigins(_ configuration: MembershipConfiguration) -> [String] {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        return configuration.members.compactMap { configuration.addresses[$0]?.client }
            .filter { !$0.isEmpty && $0.allSatisfy(allowed.contains) }.map(origin(clientAddress:)).sorted()
    }

    /// The inline script's and style's hashes, computed once: the page is served to anyone, on every refresh.
    static let scriptHash = sourceHash(StatusPageScript.source)
    static let styleHash = sourceHash(style)

    /// A CSP source expression for an inline element whose text is `source`.
    static func sourceHash(_ source: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Data(source.utf8))).base64EncodedString()
    }

    /// The header fields of the page: HTML, never cached (it is a live view), this CSP, no sniffing. (The
    /// CSP's `frame-ancestors` stands in for X-Frame-Options; the page's meta tag sends no referrer.)
    static func headers(memberOrigins: [String] = []) -> HTTPFields {
        [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            .contentSecurityPolicy: contentSecurityPolicy(memberOrigins: memberOrigins),
            .xContentTypeOptions: "nosniff",
        ]
    }
}
