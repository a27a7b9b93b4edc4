package console_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// A failed payout's page offers a retry; the retry is a new payout that
// links back to it and is paid.
func TestConsoleRetriesAFailedPayout(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	e.Sandbox.ForceOutcome(tronAddress, "fail")
	resp := e.Do(http.MethodPost, "/clients/951/payout",
		[]byte(`{"asset":"USDT","network":"tron","amount":"4","address":"`+tronAddress+`"}`),
		map[string]string{"Idempotency-Key": "to-fail"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()
	failed := lastPayout(t, e, "951")
	require.Equal(t, payout.StatusFailed, e.WaitFinal(failed.ID).Status)
	e.Sandbox.ForceOutcome(tronAddress, "")

	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)
	b.Open(e.API.URL + "/console/payouts/" + failed.ID)
	b.WaitFor(regexp.MustCompile(`Status\s+failed`), wait)
	b.Click("#retry-button")
	text := b.WaitFor(regexp.MustCompile(`Retries\s+`+regexp.QuoteMeta(failed.ID)), wait)
	assert.NotContains(t, text, "Retry as a new payout")
	b.WaitFor(regexp.MustCompile(`Status\s+paid`), wait)

	b.Open(e.API.URL + "/console/payouts/" + failed.ID)
	b.WaitFor(regexp.MustCompile(`Retried as\s+\S+`), wait)
	assert.Zero(t, b.Count("#retry-button"), "a payout is retried once")
}

// A campaign's failed row is retried from the campaign page.
func TestConsoleRetriesACampaignsFailedRows(t *testing.T) {
	const failing = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"
	e := testenv.New(t, testenv.Options{})
	e.Sandbox.ForceOutcome(failing, "fail")
	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)
	csv := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(csv, []byte("client_id,asset,network,amount,address,memo\n"+
		"961,USDT,tron,5,"+tronAddress+",\n962,USDT,tron,6,"+failing+",\n"), 0o644))
	b.Open(e.API.URL + "/console/campaigns")
	b.Run(chromedp.SetUploadFiles("#csv", []string{csv}, chromedp.ByQuery))
	b.Click("#upload-button")
	b.WaitFor(regexp.MustCompile(`2 of 2 rows final \(done\)`), wait)
	b.Reload()
	b.WaitFor(regexp.MustCompile(`1 rows failed`), wait)
	e.Sandbox.ForceOutcome(failing, "")
	b.Click("#retry-failed-button")
	b.WaitFor(regexp.MustCompile(`Retried 1 rows`), wait)
	retry := lastPayout(t, e, "962")
	assert.NotEmpty(t, retry.RetryOf, "the newest payout of the client is the retry")
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(retry.ID).Status)
}
