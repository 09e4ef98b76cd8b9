@testable import KeyCluster
import Testing

/// The page's static contract; the browser test (`StatusPageBrowserTests`) checks what it shows.
@Suite("Status page document")
struct StatusPageTests {
    @Test("self-contained: the CSP allows exactly its inline script and style, nothing is loaded from elsewhere")
    func selfContained() {
        let html = StatusPage.html
        #expect(html.contains("<script>\(StatusPageScript.source)</script>"))
        #expect(html.contains("<style>\(StatusPage.style)</style>"))
        let policy = StatusPage.contentSecurityPolicy
        #expect(policy.contains("script-src '\(StatusPage.sourceHash(StatusPageScript.source))'"))
        #expect(policy.contains("style-src '\(StatusPage.sourceHash(StatusPage.style))'"))
        #expect(policy.hasPrefix("default-src 'none'") && policy.contains("connect-src 'self'") && !policy.contains("unsafe"))
        for external in ["http://", "https://", "src=", "href=", "innerHTML", "eval("] {
            #expect(!html.contains(external), "the page mentions \(external)")
        }
        #expect(StatusPage.headers[.contentType] == "text/html; charset=utf-8" && StatusPage.headers[.cacheControl] == "no-store")
    }
}
