package console_test

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/browser"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// The payouts list takes the API's filters and pages with its keyset
// cursor: every payout once, none twice.
func TestConsolePayoutsListFiltersAndPages(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	for i := range 3 {
		resp := e.Do(http.MethodPost, "/clients/901/payout",
			[]byte(fmt.Sprintf(`{"asset":"USDT","network":"tron","amount":"%d","address":"%s"}`, i+1, tronAddress)),
			map[string]string{"Idempotency-Key": fmt.Sprintf("list-%d", i)})
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		resp.Body.Close()
	}
	resp := e.Do(http.MethodPost, "/clients/902/payout",
		[]byte(`{"asset":"USDT","network":"tron","amount":"9","address":"`+tronAddress+`"}`),
		map[string]string{"Idempotency-Key": "other"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()

	b := browser.New(t)
	signIn(t, b, e, testenv.AdminToken)
	b.Open(e.API.URL + "/console/payouts?client_id=901&limit=2")
	b.WaitFor(regexp.MustCompile(`Next page`), wait)
	var first []string
	b.Eval(`Array.from(document.querySelectorAll("#payouts tbody a[href^='/console/payouts/']")).map(a => a.textContent)`, &first)
	require.Len(t, first, 2)
	b.Click(`a[rel=next]`)
	b.WaitFor(regexp.MustCompile(`Filter`), wait)
	var second []string
	b.Eval(`Array.from(document.querySelectorAll("#payouts tbody a[href^='/console/payouts/']")).map(a => a.textContent)`, &second)
	require.Len(t, second, 1)
	assert.NotContains(t, first, second[0])
	assert.Zero(t, b.Count(`a[rel=next]`), "the last page")
	assert.NotContains(t, b.Text(), "902")

	b.Open(e.API.URL + "/console/payouts?status=bogus")
	b.WaitFor(regexp.MustCompile(`must be a comma-separated list of`), wait)
}
