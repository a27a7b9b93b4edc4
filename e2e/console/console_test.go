package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

func viewerCredentials(t *testing.T) []access.Credential {
	tokens, err := config.ParseAdminTokens(viewerName + ":" + viewerToken + ":viewer")
	require.NoError(t, err)
	return config.Credentials(tokens)
}

func usdt(s string) map[string]decimal.Decimal {
	return map[string]decimal.Decimal{"USDT": decimal.RequireFromString(s)}
}

// lastPayout is the newest payout of a client.
func lastPayout(t *testing.T, e *testenv.Env, clientID string) payout.Payout {
	t.Helper()
	items, _, err := e.Store.ListPayouts(context.Background(), store.PayoutFilter{ClientID: clientID}, nil, 1)
	require.NoError(t, err)
	require.Len(t, items, 1, "client %s has a payout", clientID)
	return items[0]
}

// An admin signs in, adds a default wallet, quotes a payout to it, pays
// it out and watches the payout page turn paid by itself.
func TestConsoleSignInPayOutAndWatchItTurnPaid(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)

	b.Open(e.API.URL + "/console/clients?client_id=501")
	b.Fill("#w-asset", "USDT")
	b.Fill("#w-network", "tron")
	b.Fill("#w-address", tronAddress)
	b.Click("form[action$='/wallets'] button[type=submit]")
	b.WaitFor(regexp.MustCompile(regexp.QuoteMeta(payout.MaskAddress(tronAddress))), wait)

	b.Fill("#asset", "USDT")
	b.Fill("#network", "tron")
	b.Fill("#amount", "12.5")
	b.Click("#quote-button")
	text := b.WaitFor(regexp.MustCompile(`Recipient receives\s+12\.5 USDT`), wait)
	assert.Regexp(t, `Heleket's fee\s+[0-9.]+ USDT`, text)
	assert.Zero(t, payoutCount(t, e), "a quote stores nothing")
	screenshot(t, b, "client")

	b.Click("#payout-button")
	b.WaitFor(regexp.MustCompile(`Payout \S+`), wait)
	b.Eval(`window.stayed = true`, nil)
	text = b.WaitFor(regexp.MustCompile(`Status\s+paid`), wait)
	var stayed bool
	b.Eval(`window.stayed === true`, &stayed)
	assert.True(t, stayed, "the status changed in place, without reloading the page")
	assert.Regexp(t, `txid\s+\S{8,}`, text)
	assert.Contains(t, text, "open in the Temporal UI")
	var href string
	b.Eval(`document.querySelector("a[href*='/workflows/']").href`, &href)
	id := regexp.MustCompile(`Payout (\S+)`).FindStringSubmatch(text)[1]
	assert.Equal(t, testenv.UIURL()+"/namespaces/default/workflows/"+payout.WorkflowID(id), href)
	assert.GreaterOrEqual(t, b.Count("#audit tbody tr"), 3, "the audit trail updated in place too")
	assert.Zero(t, b.Count("#decide-form"), "a final payout has nothing to decide")
	screenshot(t, b, "payout")

	p := lastPayout(t, e, "501")
	assert.Equal(t, payout.StatusPaid, p.Status)
	assert.Equal(t, testenv.AdminName, p.RequestedBy)
	assert.Equal(t, tronAddress, p.Address, "the default wallet was paid")
	assert.Equal(t, 1, payoutCount(t, e))

	b.Open(e.API.URL + "/console/dashboard")
	text = b.WaitFor(regexp.MustCompile(`Amounts per asset`), wait)
	assert.Positive(t, b.Count("#chart-status svg rect[fill]"), "today's paid payout is a bar")
	assert.Positive(t, b.Count("#chart-success svg circle"), "today's success rate is a point")
	assert.Positive(t, b.Count("#chart-time svg polyline"), "time to final is drawn")
	assert.Positive(t, b.Count("#chart-activity svg rect[fill]"), "alice's request is counted")
	assert.Regexp(t, `USDT\s+1\s+12\.5 USDT`, text)
	screenshot(t, b, "dashboard")

	// On a phone nothing but the tables' own scroll boxes is wider than
	// the screen.
	b.Run(chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/console/clients?client_id=501", "/console/payouts/" + p.ID, "/console/dashboard"} {
		b.Open(e.API.URL + path)
		var wide bool
		b.Eval(`document.documentElement.scrollWidth > window.innerWidth`, &wide)
		assert.False(t, wide, "%s is wider than a phone", path)
	}
	b.Screenshot("phone-dashboard")
}

// Four eyes hold in the console as in the API: the initiator's approve is
// refused, a second admin's from the Approvals page pays the payout.
func TestConsoleSecondAdminApprovesAPayoutOverTheThreshold(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	alice := browser.New(t)
	signIn(t, alice, e, testenv.AdminToken)
	alice.Open(e.API.URL + "/console/clients?client_id=503")
	alice.Fill("#asset", "USDT")
	alice.Fill("#network", "tron")
	alice.Fill("#amount", "1500")
	alice.Fill("#address", tronAddress)
	alice.Click("#quote-button")
	alice.WaitFor(regexp.MustCompile(`Waits for\s+awaiting a second admin's approval`), wait)
	alice.Click("#payout-button")
	alice.WaitFor(regexp.MustCompile(`Status\s+awaiting_approval`), wait)
	alice.Click("#approve-button")
	alice.WaitFor(regexp.MustCompile(`alice initiated it, so alice cannot approve it`), wait)
	p := lastPayout(t, e, "503")
	require.Equal(t, payout.StatusAwaitingApproval, p.Status)

	bob := browser.New(t)
	signInByKeyboard(t, bob, e, testenv.SecondAdminToken)
	bob.Open(e.API.URL + "/console/approvals")
	bob.WaitFor(regexp.MustCompile(regexp.QuoteMeta(p.ID)), wait)
	bob.Fill("#note-"+p.ID, "checked with the client")
	bob.Click(`form.inline-decide button[formaction$="/approve"]`)
	bob.WaitFor(regexp.MustCompile(`Nothing waits for a decision`), wait)
	bob.Open(e.API.URL + "/console/payouts/" + p.ID)
	text := bob.WaitFor(regexp.MustCompile(`Status\s+paid`), wait)
	assert.Contains(t, text, "checked with the client", "the note is in the audit trail")
	assert.Contains(t, text, testenv.SecondAdmin)
}

// A viewer sees no button that changes anything, and the use cases
// refuse its forged form posts; posts without the session's CSRF token,
// from another site, or after sign-out change nothing either.
func TestConsoleRefusesWhatTheRoleOrTheSessionDoesNotAllow(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, AdminTokens: viewerCredentials(t)})
	b := browser.New(t)
	signIn(t, b, e, viewerToken)
	b.Open(e.API.URL + "/console/clients?client_id=502")
	b.WaitFor(regexp.MustCompile(`Wallets`), wait)
	assert.Zero(t, b.Count("#quote-button"), "no quote button")
	assert.Zero(t, b.Count("#payout-button"), "no pay out button")
	assert.Zero(t, b.Count("form[action$='/wallets']"), "no add-wallet form")
	assert.NotContains(t, b.Text(), "New payout")

	form := url.Values{"asset": {"USDT"}, "network": {"tron"}, "amount": {"5"}, "address": {tronAddress},
		"idempotency_key": {"forged-1"}}
	vera := newAgent(t, e)
	vera.signIn(viewerToken)
	status, body := vera.post("/console/clients/502/payout", form)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "vera may not create a payout")
	status, _ = vera.post("/console/clients/502/wallets", url.Values{"asset": {"USDT"}, "network": {"tron"},
		"address": {tronAddress}, "default": {"on"}})
	assert.Equal(t, http.StatusForbidden, status)

	alice := newAgent(t, e)
	alice.signIn(testenv.AdminToken)
	noCSRF := url.Values{"csrf": {""}}
	for k, v := range form {
		noCSRF[k] = v
	}
	status, body = alice.post("/console/clients/502/payout", noCSRF)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, body, "CSRF token missing or wrong")
	noCSRF.Set("csrf", vera.csrf)
	status, _ = alice.post("/console/clients/502/payout", noCSRF)
	assert.Equal(t, http.StatusForbidden, status, "another session's token")

	req, err := http.NewRequest(http.MethodPost, e.API.URL+"/console/clients/502/payout", nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := alice.c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a post from another origin")

	csrf := alice.csrf
	status, _ = alice.post("/console/signout", url.Values{})
	require.Equal(t, http.StatusOK, status)
	// The old cookie, replayed after sign-out, opens nothing.
	replay := newAgent(t, e)
	u, err := url.Parse(e.API.URL + "/console/")
	require.NoError(t, err)
	replay.c.Jar.SetCookies(u, alice.c.Jar.Cookies(u))
	var left int
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM console_sessions WHERE admin = $1", testenv.AdminName).Scan(&left))
	assert.Zero(t, left, "sign-out deleted the session")
	form.Set("csrf", csrf)
	status, body = alice.post("/console/clients/502/payout", form)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, body, "signed out")
	status, body = alice.get("/console/payouts")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `name="token"`, "a read goes to the sign-in page")

	assert.Zero(t, payoutCount(t, e), "nothing was stored")
	wallets, err := e.Store.ListWallets(context.Background(), "502")
	require.NoError(t, err)
	assert.Empty(t, wallets)
}

// Client ids, reasons and notes holding HTML and script are shown as text
// on every page, and none of it runs.
func TestConsoleShowsHostileInputAsText(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	resp := e.Do(http.MethodPost, "/clients/504/payout",
		[]byte(`{"asset":"USDT","network":"tron","amount":"2000","address":"`+tronAddress+`"}`),
		map[string]string{"Idempotency-Key": "hostile-1"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()
	p := lastPayout(t, e, "504")

	const script = `<script>window.pwned=1</script>`
	const img = `<img src=x onerror="window.pwned=1">`
	b := browser.New(t)
	signIn(t, b, e, testenv.SecondAdminToken)
	pages := []string{
		"/console/clients?client_id=" + url.QueryEscape(script+img),
		"/console/payouts?client_id=" + url.QueryEscape(script) + "&status=" + url.QueryEscape(img),
	}
	for _, path := range pages {
		b.Open(e.API.URL + path)
		b.WaitFor(regexp.MustCompile(`Sign out`), wait)
		notRun(t, b, path)
	}
	b.Open(e.API.URL + pages[0])
	assert.Contains(t, b.Text(), script+img, "the client id is shown as text")

	// A campaign row and a schedule holding markup come back as errors,
	// shown as text.
	csv := filepath.Join(t.TempDir(), "hostile.csv")
	require.NoError(t, os.WriteFile(csv, []byte("client_id,asset,network,amount,address,memo\n"+
		`"`+strings.ReplaceAll(img, `"`, `""`)+`",USDT,tron,5,`+tronAddress+`,`+"\n"), 0o644))
	b.Open(e.API.URL + "/console/campaigns")
	b.Run(chromedp.SetUploadFiles("#csv", []string{csv}, chromedp.ByQuery))
	b.Click("#upload-button")
	b.WaitFor(regexp.MustCompile(`Nothing was stored`), wait)
	notRun(t, b, "campaign row errors")
	b.Open(e.API.URL + "/console/schedules?client_id=504")
	b.Fill("#s-name", script+img)
	b.Fill("#s-asset", "USDT")
	b.Fill("#s-network", "tron")
	b.Fill("#s-amount", "1")
	b.Fill("#s-cron", img)
	b.Click("#schedule-button")
	b.WaitFor(regexp.MustCompile(`invalid payout schedule`), wait)
	notRun(t, b, "schedule form errors")
	var name string
	b.Eval(`document.querySelector("#s-name").value`, &name)
	assert.Equal(t, script+img, name, "the name comes back as typed")

	b.Open(e.API.URL + "/console/approvals")
	b.WaitFor(regexp.MustCompile(regexp.QuoteMeta(p.ID)), wait)
	notRun(t, b, "approvals")

	// A note too long is refused next to the field, as typed.
	b.Open(e.API.URL + "/console/payouts/" + p.ID)
	long := script + img + strings.Repeat("x", 500)
	b.Eval(fmt.Sprintf(`document.querySelector("#note").removeAttribute("maxlength"), document.querySelector("#note").value = %q`, long), nil)
	b.Click("#reject-button")
	b.WaitFor(regexp.MustCompile(`at most 500 characters`), wait)
	notRun(t, b, "payout page with a refused note")
	var note string
	b.Eval(`document.querySelector("#note").value`, &note)
	assert.Equal(t, long, note, "the note comes back as typed")

	// The note goes into the audit trail, shown as text.
	b.Fill("#note", script+img)
	b.Click("#reject-button")
	b.WaitFor(regexp.MustCompile(`Status\s+rejected`), wait)
	notRun(t, b, "payout page with the note in its audit trail")
	assert.Contains(t, b.Text(), script+img)
}

func notRun(t *testing.T, b *browser.Browser, where string) {
	t.Helper()
	var pwned bool
	b.Eval(`window.pwned === 1`, &pwned)
	assert.False(t, pwned, "script ran on %s", where)
	assert.Zero(t, b.Count("img[src=x]"), "an injected element on %s", where)
}
