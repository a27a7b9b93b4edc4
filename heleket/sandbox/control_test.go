package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

func control(t *testing.T, s *Sandbox, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestControlRoutes(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("100")}})

	code, body := control(t, s, http.MethodGet, "/healthz", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok\n", body)

	create(t, s, usdt("ctl-1", "10"))
	code, body = control(t, s, http.MethodGet, "/_sandbox/stats", "")
	require.Equal(t, http.StatusOK, code)
	var st Stats
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, 1, st.Creates)
	assert.Equal(t, 1, st.Payouts)
	assert.True(t, dec("89").Equal(st.Balances["USDT"]))
	assert.Equal(t, 1, st.Calls["/v1/payout"])

	code, _ = control(t, s, http.MethodPut, "/_sandbox/faults", `{"latency":"250ms","server_error_rate":0.1}`)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 250*time.Millisecond, s.Faults().Latency)
	code, _ = control(t, s, http.MethodPatch, "/_sandbox/faults", `{"webhook_reorder":true}`)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, Faults{Latency: 250 * time.Millisecond, ServerErrorRate: 0.1, WebhookReorder: true}, s.Faults())
	code, body = control(t, s, http.MethodGet, "/_sandbox/faults", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"latency":"250ms"`)
	code, _ = control(t, s, http.MethodPut, "/_sandbox/faults", `{"timeout_rate":2}`)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = control(t, s, http.MethodPut, "/_sandbox/faults", `{}`)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, Faults{}, s.Faults())

	code, _ = control(t, s, http.MethodPost, "/_sandbox/outcomes", `{"address":"`+tronAddr2+`","status":"system_fail"}`)
	assert.Equal(t, http.StatusNoContent, code)
	code, _ = control(t, s, http.MethodPost, "/_sandbox/outcomes", `{"address":"x","status":"lost"}`)
	assert.Equal(t, http.StatusBadRequest, code)

	code, body = control(t, s, http.MethodGet, "/_sandbox/payouts/ctl-1", "")
	require.Equal(t, http.StatusOK, code)
	var p heleket.Payout
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	assert.Equal(t, "ctl-1", p.OrderID)
	code, _ = control(t, s, http.MethodGet, "/_sandbox/payouts/nope", "")
	assert.Equal(t, http.StatusNotFound, code)

	code, _ = control(t, s, http.MethodPost, "/_sandbox/payouts/ctl-1/status", `{"status":"cancel"}`)
	assert.Equal(t, http.StatusNoContent, code)
	assert.True(t, dec("100").Equal(s.Balance("USDT")))
	code, _ = control(t, s, http.MethodPost, "/_sandbox/payouts/ctl-1/status", `{"status":"paid"}`)
	assert.Equal(t, http.StatusConflict, code)

	code, _ = control(t, s, http.MethodPut, "/_sandbox/settle-after", `{"settle_after":"0s"}`)
	assert.Equal(t, http.StatusNoContent, code)
	a := usdt("ctl-2", "10")
	a.address = tronAddr2
	create(t, s, a)
	eventually(t, "forced system_fail", func() bool {
		got, _ := s.Payout("ctl-2")
		return got.Status == heleket.StatusSystemFail
	})
	assert.True(t, dec("100").Equal(s.Balance("USDT")))
}

func TestControlRoutesBypassAuthAndFaults(t *testing.T) {
	s := newSandbox(t, Config{})
	s.SetFaults(Faults{ServerErrorRate: 1})
	code, _ := control(t, s, http.MethodGet, "/_sandbox/stats", "")
	assert.Equal(t, http.StatusOK, code)
	code, _ = control(t, s, http.MethodGet, "/v1/payout", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code)
}
