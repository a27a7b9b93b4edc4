package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawPost signs and sends body, returning the status code or a transport
// error, for requests whose answer may never come.
func rawPost(s *Sandbox, client *http.Client, path, body string) (int, http.Header, error) {
	req, err := http.NewRequest(http.MethodPost, s.URL()+path, bytes.NewReader([]byte(body)))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("merchant", testMerchant)
	req.Header.Set("sign", signHex([]byte(body), testKey))
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header, nil
}

func TestRateLimitFault(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour})
	s.SetFaults(Faults{RateLimitRate: 1, RetryAfter: 1500 * time.Millisecond})
	r := post(t, s, "/v1/payout", usdt("rl", "5").body())
	assert.Equal(t, http.StatusTooManyRequests, r.HTTP)
	assert.Equal(t, "2", r.Header.Get("Retry-After"), "rounded up to whole seconds")
	assert.Equal(t, 1, r.State)
	_, created := s.Payout("rl")
	assert.False(t, created)

	s.SetFaults(Faults{RateLimitRate: 1})
	r = post(t, s, "/v1/payout/services", "")
	assert.Equal(t, http.StatusTooManyRequests, r.HTTP)
	assert.Empty(t, r.Header.Get("Retry-After"))
	assert.Equal(t, 2, s.Stats().FaultsInjected[FaultRateLimit])
}

func TestServerErrorFault(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour})
	s.SetFaults(Faults{ServerErrorRate: 1})
	r := post(t, s, "/v1/payout", usdt("five", "5").body())
	assert.Equal(t, http.StatusInternalServerError, r.HTTP)
	_, created := s.Payout("five")
	assert.False(t, created, "a plain 5xx strikes before the create")
	assert.Equal(t, 1, s.Stats().Calls["/v1/payout"])
}

func TestTimeoutFault(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour})
	s.SetFaults(Faults{TimeoutRate: 1})
	client := &http.Client{Timeout: 50 * time.Millisecond}
	_, _, err := rawPost(s, client, "/v1/payout", usdt("hang", "5").body())
	require.Error(t, err)
	_, created := s.Payout("hang")
	assert.False(t, created)
	assert.Equal(t, 1, s.Stats().FaultsInjected[FaultTimeout])
}

func TestLostResponseAppliesCreate(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Seed: 3})
	s.SetFaults(Faults{LostResponseRate: 1})
	var aborted, gatewayTimeouts int
	for i := range 8 {
		a := usdt(fmt.Sprintf("lost-%d", i), "5")
		status, _, err := rawPost(s, http.DefaultClient, "/v1/payout", a.body())
		if err != nil {
			aborted++
		} else {
			require.Equal(t, http.StatusGatewayTimeout, status)
			gatewayTimeouts++
		}
		_, created := s.Payout(a.orderID)
		assert.True(t, created, "applied despite the lost answer")
	}
	assert.Positive(t, aborted)
	assert.Positive(t, gatewayTimeouts)

	// The client's retry with the same order_id gets the existing payout.
	s.SetFaults(Faults{})
	before := s.Balance("USDT")
	p := create(t, s, usdt("lost-0", "5"))
	stored, _ := s.Payout("lost-0")
	assert.Equal(t, stored.UUID, p.UUID)
	assert.True(t, before.Equal(s.Balance("USDT")))
	assert.Equal(t, 8, s.Stats().Creates)
}

func TestLatencyFault(t *testing.T) {
	s := newSandbox(t, Config{})
	s.SetFaults(Faults{Latency: time.Millisecond, LatencyJitter: time.Millisecond})
	r := post(t, s, "/v1/payout/services", "")
	assert.Equal(t, http.StatusOK, r.HTTP)
	assert.Equal(t, 1, s.Stats().FaultsInjected[FaultLatency])
}

func TestFaultsAreReproducible(t *testing.T) {
	run := func() []int {
		s := newSandbox(t, Config{Seed: 42})
		s.SetFaults(Faults{ServerErrorRate: 0.5})
		var codes []int
		for range 30 {
			status, _, err := rawPost(s, http.DefaultClient, "/v1/payout/services", "")
			require.NoError(t, err)
			codes = append(codes, status)
		}
		return codes
	}
	first := run()
	assert.Equal(t, first, run())
	assert.Contains(t, first, http.StatusOK)
	assert.Contains(t, first, http.StatusInternalServerError)
}

func TestFaultsJSON(t *testing.T) {
	f := Faults{Latency: 250 * time.Millisecond, ServerErrorRate: 0.1, WebhookReorder: true, RetryAfter: 2 * time.Second}
	b, err := f.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), `"latency":"250ms"`)
	assert.Contains(t, string(b), `"retry_after":"2s"`)

	var back Faults
	require.NoError(t, back.UnmarshalJSON(b))
	assert.Equal(t, f, back)

	// Unmarshal merges into the receiver.
	require.NoError(t, back.UnmarshalJSON([]byte(`{"timeout_rate":0.2}`)))
	assert.Equal(t, 250*time.Millisecond, back.Latency)
	assert.Equal(t, 0.2, back.TimeoutRate)

	assert.Error(t, back.UnmarshalJSON([]byte(`{"latency":"soon"}`)))
	assert.Error(t, Faults{ServerErrorRate: 1.5}.Validate())
	assert.NoError(t, f.Validate())
}
