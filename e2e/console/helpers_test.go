package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

const tronAddress = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

// Tokens with one role each, as ADMIN_TOKENS lists them.
const (
	viewerToken = "vera-viewer-token-0123456789"
	viewerName  = "vera"
)

const wait = 60 * time.Second

// signIn signs the browser in with token and waits for the console.
func signIn(t *testing.T, b *browser.Browser, e *testenv.Env, token string) {
	t.Helper()
	b.Open(e.API.URL + "/console/signin")
	b.Fill("#token", token)
	b.Click("button[type=submit]")
	b.WaitFor(regexp.MustCompile(`Sign out`), wait)
}

// signInByKeyboard signs in as a keyboard user does: Tab from the skip
// link to the token field, type, Enter.
func signInByKeyboard(t *testing.T, b *browser.Browser, e *testenv.Env, token string) {
	t.Helper()
	b.Open(e.API.URL + "/console/signin")
	b.Run(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	var focused string
	b.Eval(`document.activeElement.id`, &focused)
	require.Equal(t, "token", focused, "the token field is the first stop after the skip link")
	b.Run(chromedp.KeyEvent(token), chromedp.KeyEvent(kb.Enter))
	b.WaitFor(regexp.MustCompile(`Sign out`), wait)
}

// screenshot writes the page to docs/console/name.png when
// UPDATE_SCREENSHOTS=1 (the README's pictures), and to the test's
// artifacts otherwise.
func screenshot(t *testing.T, b *browser.Browser, name string) {
	t.Helper()
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		b.ScreenshotTo(filepath.Join("..", "..", "docs", "console", name+".png"))
		return
	}
	b.Screenshot(name)
}

// agent is a console user without a browser: a cookie jar and the forms'
// CSRF token, for requests a browser would not send (forged, replayed).
type agent struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newAgent(t *testing.T, e *testenv.Env) *agent {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &agent{t: t, base: e.API.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// get fetches a console page and remembers its CSRF token.
func (a *agent) get(path string) (int, string) {
	a.t.Helper()
	resp, err := a.c.Get(a.base + path)
	require.NoError(a.t, err)
	return a.read(resp)
}

func (a *agent) read(resp *http.Response) (int, string) {
	a.t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(a.t, err)
	if m := csrfInput.FindSubmatch(b); m != nil {
		a.csrf = html.UnescapeString(string(m[1]))
	}
	return resp.StatusCode, string(b)
}

// post sends a form as a same-origin browser would, with the CSRF token
// unless form sets its own.
func (a *agent) post(path string, form url.Values) (int, string) {
	a.t.Helper()
	if _, set := form["csrf"]; !set {
		form.Set("csrf", a.csrf)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, a.base+path,
		strings.NewReader(form.Encode()))
	require.NoError(a.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.c.Do(req)
	require.NoError(a.t, err)
	return a.read(resp)
}

func (a *agent) signIn(token string) {
	a.t.Helper()
	status, _ := a.get("/console/signin")
	require.Equal(a.t, http.StatusOK, status)
	status, body := a.post("/console/signin", url.Values{"token": {token}})
	require.Equal(a.t, http.StatusOK, status, body)
	require.Contains(a.t, body, "Sign out")
}

func payoutCount(t *testing.T, e *testenv.Env) int {
	var n int
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM payouts").Scan(&n))
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// removeRequired lets a test send what a browser's own check would stop,
// to see the server's refusal.
func removeRequired(selector string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%q).removeAttribute("required")`, selector), nil)
}
