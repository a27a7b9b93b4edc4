package console_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/workflows"
)

// With scripts off, signing in and every read still work, and a payout
// page that is not final reloads itself until it is.
func TestConsoleReadsWorkWithoutJavaScript(t *testing.T) {
	// The sandbox settles nothing by itself: the test pays the payout
	// while its page is open.
	e := testenv.New(t, testenv.Options{SettleAfter: time.Hour})
	b := browser.New(t)
	b.Run(emulation.SetScriptExecutionDisabled(true))
	signIn(t, b, e, testenv.AdminToken)

	resp := e.Do(http.MethodPost, "/clients/801/payout",
		[]byte(`{"asset":"USDT","network":"tron","amount":"3","address":"`+tronAddress+`"}`),
		map[string]string{"Idempotency-Key": "nojs-1"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()
	p := lastPayout(t, e, "801")

	e.WaitState(p.ID, func(st workflows.PayoutState) bool { return st.HeleketUUID != "" })
	b.Open(e.API.URL + "/console/payouts/" + p.ID)
	text := b.WaitFor(regexp.MustCompile(`Status\s+(submitted|processing)`), wait)
	assert.Regexp(t, `Waits for\s+Heleket to`, text, "what the payout waits for")
	require.NoError(t, e.Sandbox.SetStatus(p.ID, "paid"))
	b.WaitFor(regexp.MustCompile(`Status\s+paid`), wait)
	for path, want := range map[string]string{
		"/console/payouts/" + p.ID:         "Audit trail",
		"/console/payouts?client_id=801":   p.ID,
		"/console/clients?client_id=801":   "New payout",
		"/console/dashboard":               "Payouts by status per day",
		"/console/approvals":               "Nothing waits for a decision",
		"/console/campaigns":               "Upload a campaign",
		"/console/schedules?client_id=801": "No schedules",
		"/console/reconciliation":          "Run reconciliation now",
	} {
		b.Open(e.API.URL + path)
		assert.Contains(t, b.WaitFor(regexp.MustCompile(regexp.QuoteMeta(want)), wait), want, path)
		var unlabelled []string
		b.Eval(`Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea"))
			.filter(e => e.labels.length === 0).map(e => e.name)`, &unlabelled)
		assert.Empty(t, unlabelled, "every control on %s has a label", path)
	}
}
