import Testing

@testable import KeyCluster

/// The page's static contract; the browser test (`StatusPageBrowserTests`) checks what it shows.
@Suite("Status page document")
struct StatusPageTests {
    @Test("self-contained: the CSP allows exactly its inline script and style, nothing is loaded from elsewhere")
    func selfContained() {
        let html = StatusPage.html
        #expect(html.contains("<script>\(StatusPageScript.source)</script>"))
        #expect(html.contains("<style>\(StatusPage.style)</style>"))
        let policy = StatusPage.contentSecurityPolicy(memberOrigins: ["https://10.0.0.2:8102", "https://10.0.0.3:8103"])
        #expect(policy.contains("connect-src 'self' https://10.0.0.2:8102 https://10.0.0.3:8103;"))
        #expect(policy.contains("script-src '\(StatusPage.sourceHash(StatusPageScript.source))'"))
        #expect(policy.contains("style-src '\(StatusPage.sourceHash(StatusPage.style))'"))
        #expect(
            policy.hasPrefix("default-src 'none'") && policy.contains("connect-src 'self'")
                && !policy.contains("unsafe"))
        for external in ["http://", "src=", "href=", "innerHTML", "eval("] {
            #expect(!html.contains(external), "the page mentions \(external)")
        }
        #expect(html.components(separatedBy: "https://").count == 2, "one https:// only: the other members' status")
        let headers = StatusPage.headers()
        #expect(headers[.contentType] == "text/html; charset=utf-8" && headers[.cacheControl] == "no-store")
    }
}
