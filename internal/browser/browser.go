// Package browser runs headless Chromium for tests that check what an
// operator sees (the Temporal Web UI): a fresh profile per test, no network
// beyond the pages asked for, and a screenshot kept when the test fails.
package browser

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// installHint tells a developer how to get the browser.
const installHint = "install it with: apt-get update && apt-get install -y chromium"

// Browser is one headless Chromium for one test.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// New starts Chromium, stopped when the test ends. It fails the test, with
// a hint, when no Chromium is installed.
func New(t testing.TB) *Browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Fatalf("browser tests need Chromium; %s", installHint)
	}
	// Not t.TempDir: Chromium may still write to its profile while the
	// test's own cleanup removes it.
	profile, err := os.MkdirTemp("", "chromium-profile-")
	if err != nil {
		t.Fatalf("browser profile: %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		// Without these Chromium reaches for the (closed) network.
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1440, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Run(ctx); err != nil {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile) // the failure to start is what matters
		t.Fatalf("start Chromium at %s: %v; %s", path, err, installHint)
	}
	b := &Browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			b.Screenshot("failure")
		}
		if err := chromedp.Cancel(ctx); err != nil {
			t.Logf("close Chromium: %v", err)
		}
		cancel()
		cancelAlloc()
		if err := os.RemoveAll(profile); err != nil {
			t.Logf("remove the browser profile: %v", err)
		}
	})
	return b
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_BIN"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// WaitText opens url and waits until the page's text matches want, or
// fails the test with what the page showed.
func (b *Browser) WaitText(url string, want *regexp.Regexp, within time.Duration) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.Navigate(url)); err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	return b.WaitFor(want, within)
}

// pageText is what a person reads on the page, including frames: the UI
// renders markdown (a workflow's details) in sandboxed iframes, whose
// document script cannot reach, so their srcdoc stands in.
const pageText = `[document.body.innerText].concat(Array.from(document.querySelectorAll("iframe")).map(
	f => { try { return f.contentDocument.body.innerText } catch (e) { return f.srcdoc || "" } })).join("\n")`

// ClickText clicks the first link, tab or button whose text is label.
func (b *Browser) ClickText(label string, within time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	xpath := fmt.Sprintf(`//*[self::a or self::button or @role="tab"][normalize-space(.)=%q]`, label)
	if err := chromedp.Run(ctx, chromedp.Click(xpath, chromedp.BySearch)); err != nil {
		b.t.Fatalf("click %q: %v", label, err)
	}
}

// Text is the page's text now.
func (b *Browser) Text() string {
	b.t.Helper()
	var text string
	if err := chromedp.Run(b.ctx, chromedp.Evaluate(pageText, &text)); err != nil {
		b.t.Fatalf("read the page: %v", err)
	}
	return text
}

// WaitFor waits until the open page's text matches want.
func (b *Browser) WaitFor(want *regexp.Regexp, within time.Duration) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	var text string
	for {
		err := chromedp.Run(ctx, chromedp.Evaluate(pageText, &text))
		if err == nil && want.MatchString(text) {
			return text
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("the page never showed %q; it showed:\n%s", want, text)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Reload reloads the page (the UI reads a running workflow's details when
// the page loads).
func (b *Browser) Reload() {
	b.t.Helper()
	if err := chromedp.Run(b.ctx, chromedp.Reload()); err != nil {
		b.t.Fatalf("reload: %v", err)
	}
}

// Screenshot saves the page as a PNG in the test's artifacts directory and
// returns its path.
func (b *Browser) Screenshot(name string) string {
	var png []byte
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	dir := ArtifactsDir(b.t)
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("save screenshot: %v", err)
		return ""
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// ArtifactsDir is where a test's artifacts go: $TEST_ARTIFACTS (CI can
// keep it) or ./artifacts, then the test's name.
func ArtifactsDir(t testing.TB) string {
	root := os.Getenv("TEST_ARTIFACTS")
	if root == "" {
		root = "artifacts"
	}
	dir := filepath.Join(root, unsafeName.ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(fmt.Sprintf("artifacts dir %s: %v", dir, err))
	}
	return dir
}

// Open navigates to url and waits for its body.
func (b *Browser) Open(url string) {
	b.t.Helper()
	b.Run(chromedp.Navigate(url), chromedp.WaitReady("body", chromedp.ByQuery))
}

// Fill sets the value of the form control that the CSS selector finds.
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	b.Run(chromedp.SetValue(selector, value, chromedp.ByQuery))
}

// Click clicks the element that the CSS selector finds (a submit button
// navigates; WaitFor then waits for the next page).
func (b *Browser) Click(selector string) {
	b.t.Helper()
	b.Run(chromedp.Click(selector, chromedp.ByQuery))
}

// Eval evaluates a script expression in the page into out.
func (b *Browser) Eval(expr string, out any) {
	b.t.Helper()
	b.Run(chromedp.Evaluate(expr, out))
}

// Count is the number of elements the CSS selector finds now.
func (b *Browser) Count(selector string) int {
	b.t.Helper()
	var n int
	b.Eval(fmt.Sprintf("document.querySelectorAll(%q).length", selector), &n)
	return n
}

// Run runs chromedp actions within 30 s, failing the test on an error.
func (b *Browser) Run(actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// ScreenshotTo saves the page, as a person sees it in the window, to path.
func (b *Browser) ScreenshotTo(path string) {
	b.t.Helper()
	var png []byte
	b.Run(chromedp.FullScreenshot(&png, 100))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.t.Fatalf("screenshot dir: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("save screenshot: %v", err)
	}
	b.t.Logf("screenshot: %s", path)
}
