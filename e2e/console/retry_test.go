package console_test

import (
	"net/http"
	"regexp"
	"testing"

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
