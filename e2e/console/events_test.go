package console_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// The Events page lists a payout's outbound events and their deliveries,
// and an operator redelivers one.
func TestConsoleShowsAndRedeliversAnEvent(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	recv := testenv.NewEventReceiver(t)
	resp := e.Do(http.MethodPost, "/event-endpoints", []byte(testenv.JSON(t, map[string]any{"url": recv.URL(), "events": []string{"*"}})), nil)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	recv.SetSecret(testenv.Decode[struct {
		Secret string `json:"secret"`
	}](e, resp).Secret)
	resp = e.Do(http.MethodPost, "/clients/971/payout",
		[]byte(`{"asset":"USDT","network":"tron","amount":"2","address":"`+tronAddress+`"}`),
		map[string]string{"Idempotency-Key": "evented"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()
	p := lastPayout(t, e, "971")
	e.WaitFinal(p.ID)
	recv.AwaitPayout(p.ID, "payout.paid")

	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)
	b.Open(e.API.URL + "/console/events?payout_id=" + p.ID)
	b.WaitFor(regexp.MustCompile(`payout\.paid`), wait)
	b.Click(`#events tbody a`)
	text := b.WaitFor(regexp.MustCompile(`Deliveries`), wait)
	assert.Contains(t, text, p.ID, "the body names the payout")
	assert.NotContains(t, text, tronAddress, "the address is masked")
	assert.Regexp(t, `delivered`, text)
	before := len(recv.Accepted())
	b.Click("#redeliver-button")
	b.WaitFor(regexp.MustCompile(`Queued again for 1 endpoint`), wait)
	require.Eventually(t, func() bool { return len(recv.Accepted()) > before }, wait, 100*time.Millisecond, "the receiver got it again")
}
