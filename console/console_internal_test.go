package console

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestConsole(t *testing.T, d Deps) http.Handler {
	t.Helper()
	h, err := New(d)
	require.NoError(t, err, "every template parses")
	return h
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	h := newTestConsole(t, Deps{})
	for _, path := range []string{"/signin", "/static/console.js", "/payouts"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		csp := rec.Header().Get("Content-Security-Policy")
		assert.Contains(t, csp, "script-src 'self'", path)
		assert.NotContains(t, csp, "unsafe-inline", path)
		assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"), path)
		assert.Equal(t, "DENY", rec.Header().Get("X-Frame-Options"), path)
	}
}

func TestTheSignInFormSetsAStrictHttpOnlyCookie(t *testing.T) {
	h := newTestConsole(t, Deps{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/signin", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	assert.Equal(t, signInCookie, c.Name)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	assert.False(t, c.Secure, "plain http without a trusted proxy")
	assert.Contains(t, rec.Body.String(), `value="`+c.Value+`"`, "the form carries the cookie's CSRF token")
	assert.Contains(t, rec.Body.String(), `<label for="token">`)
	assert.NotContains(t, rec.Body.String(), "<script>", "no inline script")
}

func TestCookiesAreSecureOverHTTPSOrBehindATrustedProxy(t *testing.T) {
	c := &console{Deps: Deps{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	r := httptest.NewRequest(http.MethodGet, "/signin", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	assert.False(t, c.secure(r), "no X-Forwarded-Proto")
	r.Header.Set("X-Forwarded-Proto", "https")
	assert.True(t, c.secure(r), "a trusted proxy says https")
	r.RemoteAddr = "192.0.2.7:5555"
	assert.False(t, c.secure(r), "anyone else saying https is not believed")
	r = httptest.NewRequest(http.MethodGet, "https://console.example/signin", nil)
	assert.True(t, c.secure(r), "TLS")
}

func TestWithoutASessionReadsGoToSignInAndChangesAreRefused(t *testing.T) {
	h := newTestConsole(t, Deps{})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/payouts", nil))
	assert.Equal(t, http.StatusSeeOther, rec.Code)
	assert.Equal(t, "/console/signin", rec.Header().Get("Location"))

	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/clients/1/payout", strings.NewReader("amount=5"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
}

func TestAPostFromAnotherSiteIsRefusedBeforeAnything(t *testing.T) {
	h := newTestConsole(t, Deps{})
	for name, header := range map[string][2]string{
		"cross-site fetch": {"Sec-Fetch-Site", "cross-site"},
		"other origin":     {"Origin", "https://evil.example"},
		"opaque origin":    {"Origin", "null"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader("token=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(header[0], header[1])
		h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusForbidden, rec.Code, name)
	}
}

func TestASignInWithoutTheFormsTokenIsRefused(t *testing.T) {
	h := newTestConsole(t, Deps{})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader("token=anything&csrf=guess"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: signInCookie, Value: "other"})
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	assert.Contains(t, rec.Body.String(), "The form expired")
	for _, c := range rec.Result().Cookies() {
		assert.NotEqual(t, sessionCookie, c.Name, "no session")
	}
}

func TestATrustedProxysForwardedHostIsTheOrigin(t *testing.T) {
	c := &console{Deps: Deps{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	r := httptest.NewRequest(http.MethodPost, "http://payouts-api:8080/console/signin", nil)
	r.Header.Set("X-Forwarded-Host", "console.example")
	r.RemoteAddr = "10.0.0.2:4000"
	assert.Equal(t, "console.example", c.host(r))
	r.RemoteAddr = "192.0.2.1:4000"
	assert.Equal(t, "payouts-api:8080", c.host(r), "anyone else's header is ignored")
}

func TestFailedSignInsFromOneSourceAreThrottled(t *testing.T) {
	h := newTestConsole(t, Deps{})
	try := func(addr string) int {
		get := httptest.NewRecorder()
		h.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/signin", nil))
		pre := get.Result().Cookies()[0]
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader("token=wrong&csrf="+pre.Value))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(pre)
		req.RemoteAddr = addr
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for range signInFailures {
		require.Equal(t, http.StatusUnauthorized, try("192.0.2.1:1000"))
	}
	assert.Equal(t, http.StatusTooManyRequests, try("192.0.2.1:1001"))
	assert.Equal(t, http.StatusUnauthorized, try("192.0.2.2:1000"), "another source is not held back")
}
