package sandbox_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

// These tests run the real client over real HTTP against the in-process
// sandbox: the client's signing, decoding and error classification against
// an independently written server.

const (
	itMerchant = "3e2d1c0b-aaaa-4bbb-8ccc-0123456789ab"
	itKey      = "integration-payout-key/+="
	itAddr     = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
	itAddr2    = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"
)

// waitFor bounds waits on asynchronous deliveries so a broken sandbox fails
// the test instead of hanging it; no assertion depends on how long it takes.
const waitFor = 10 * time.Second

func startSandbox(t *testing.T, cfg sandbox.Config) *sandbox.Sandbox {
	t.Helper()
	cfg.MerchantID, cfg.APIKey = itMerchant, itKey
	if cfg.Balances == nil {
		cfg.Balances = map[string]decimal.Decimal{"USDT": decimal.RequireFromString("1000")}
	}
	if cfg.SettleAfter == 0 {
		cfg.SettleAfter = time.Hour // payouts stay in process unless a test wants them settled
	}
	sb := sandbox.New(cfg)
	require.NoError(t, sb.Start("127.0.0.1:0"))
	t.Cleanup(func() { assert.NoError(t, sb.Close()) })
	return sb
}

func clientFor(t *testing.T, sb *sandbox.Sandbox, mod ...func(*heleket.Config)) *heleket.Client {
	t.Helper()
	cfg := heleket.Config{BaseURL: sb.URL(), MerchantID: itMerchant, APIKey: itKey}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := heleket.New(cfg)
	require.NoError(t, err)
	return c
}

func createReq(orderID, amount string) heleket.CreatePayoutRequest {
	return heleket.CreatePayoutRequest{
		Amount: amount, Currency: "USDT", OrderID: orderID,
		Address: itAddr, IsSubtract: true, Network: "tron",
	}
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// webhookSink collects webhook bodies posted to it.
func webhookSink(t *testing.T) (*httptest.Server, <-chan []byte) {
	t.Helper()
	got := make(chan []byte, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		got <- body
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func nextWebhook(t *testing.T, ch <-chan []byte) heleket.Webhook {
	t.Helper()
	select {
	case body := <-ch:
		w, err := heleket.VerifyWebhook(body, itKey)
		require.NoError(t, err, "sandbox webhook must verify: %s", body)
		return w
	case <-time.After(waitFor):
		t.Fatal("no webhook delivered")
		return heleket.Webhook{}
	}
}

func TestClientCreateThenInfoByOrderIDAndUUID(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := clientFor(t, sb)
	ctx := context.Background()

	p, err := c.CreatePayout(ctx, createReq("it-create-1", "100"))
	require.NoError(t, err)
	require.NotEmpty(t, p.UUID)
	assert.Equal(t, heleket.StatusProcess, p.Status)
	assert.False(t, p.Final())
	assert.Equal(t, "tron", p.NormalizedNetwork())
	assert.True(t, p.Amount.Equal(d("100")))
	assert.True(t, p.Commission.Equal(d("1")), "USDT/tron fee is 1")
	merchant, _ := p.MerchantAmount.Amount()
	assert.True(t, merchant.Equal(d("101")), "is_subtract: merchant pays amount + fee")

	byOrder, err := c.PayoutInfo(ctx, heleket.InfoRequest{OrderID: "it-create-1"})
	require.NoError(t, err)
	assert.Equal(t, p.UUID, byOrder.UUID)
	byUUID, err := c.PayoutInfo(ctx, heleket.InfoRequest{UUID: p.UUID})
	require.NoError(t, err)
	assert.Equal(t, p.UUID, byUUID.UUID)
	assert.True(t, byUUID.Amount.Equal(d("100")))

	st := sb.Stats()
	assert.Equal(t, 1, st.Creates)
	assert.Equal(t, 2, st.Calls[heleket.PathPayoutInfo])
	assert.True(t, sb.Balance("USDT").Equal(d("899")), "1000 - 101, got %s", sb.Balance("USDT"))
}

func TestClientListWalksCursorPages(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{PageSize: 2})
	c := clientFor(t, sb)
	ctx := context.Background()

	want := map[string]bool{}
	for i := range 5 {
		p, err := c.CreatePayout(ctx, createReq("it-list-"+strconv.Itoa(i), "1"))
		require.NoError(t, err)
		want[p.UUID] = true
	}

	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		page, err := c.ListPayouts(ctx, heleket.ListRequest{}, cursor)
		require.NoError(t, err)
		pages++
		require.LessOrEqual(t, len(page.Items), 2)
		assert.Equal(t, itMerchant, page.MerchantUUID)
		for _, it := range page.Items {
			assert.False(t, seen[it.UUID], "payout %s listed twice", it.UUID)
			seen[it.UUID] = true
			assert.NotEmpty(t, it.OrderID, "list items carry order_id")
			assert.NotEmpty(t, it.CreatedAt)
		}
		if page.Paginate.NextCursor == "" {
			break
		}
		require.Less(t, pages, 10, "pagination does not terminate")
		cursor = page.Paginate.NextCursor
	}
	assert.Equal(t, 3, pages, "5 items at 2 per page")
	assert.Equal(t, want, seen)
}

func TestClientServicesAndCalc(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := clientFor(t, sb)
	ctx := context.Background()

	svcs, err := c.Services(ctx)
	require.NoError(t, err)
	var tron *heleket.Service
	for i := range svcs {
		if svcs[i].Currency == "USDT" && svcs[i].Network == "tron" {
			tron = &svcs[i]
		}
	}
	require.NotNil(t, tron, "USDT on tron is offered")
	assert.True(t, tron.IsAvailable.Value)
	assert.True(t, tron.Commission.FeeAmount.Equal(d("1")))
	assert.True(t, tron.Limit.MinAmount.Equal(d("1")))

	r, err := c.Calc(ctx, heleket.CalcRequest{Amount: "10", Currency: "USDT", Address: itAddr, Network: "tron", IsSubtract: true})
	require.NoError(t, err)
	assert.True(t, r.Commission.Equal(d("1")))
	assert.True(t, r.MerchantAmount.Equal(d("11")))
	assert.True(t, r.PayoutAmount.Equal(d("10")))
	assert.Equal(t, 1, sb.Stats().Calls[heleket.PathCalc])
}

func TestClientTestWebhookIsDeliveredAndVerifies(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := clientFor(t, sb)
	sink, got := webhookSink(t)

	err := c.TestWebhook(context.Background(), heleket.TestWebhookRequest{
		URLCallback: sink.URL + "/hooks/heleket", Currency: "USDT", Network: "tron",
		OrderID: "it-test-hook", Status: heleket.StatusPaid,
	})
	require.NoError(t, err)

	w := nextWebhook(t, got)
	assert.Equal(t, "payout", w.Type)
	assert.Equal(t, "it-test-hook", w.OrderID)
	assert.Equal(t, heleket.StatusPaid, w.Status)
	assert.True(t, w.Final())
	assert.Equal(t, "tron", w.Network)
	assert.True(t, w.Amount.Valid)
}

func TestClientStatusWebhooksVerifyAndFailRefunds(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{SettleAfter: time.Millisecond})
	c := clientFor(t, sb)
	sink, got := webhookSink(t)
	sb.ForceOutcome(itAddr2, heleket.StatusFail)

	req := createReq("it-fail-1", "50")
	req.Address = itAddr2
	req.URLCallback = sink.URL + "/hook"
	_, err := c.CreatePayout(context.Background(), req)
	require.NoError(t, err)

	// Webhooks arrive in status order without faults: process, then fail.
	first := nextWebhook(t, got)
	assert.Equal(t, heleket.StatusProcess, first.Status)
	assert.False(t, first.Final())
	last := nextWebhook(t, got)
	assert.Equal(t, heleket.StatusFail, last.Status)
	assert.True(t, last.Final())
	assert.Equal(t, "it-fail-1", last.OrderID)

	p, err := c.PayoutInfo(context.Background(), heleket.InfoRequest{OrderID: "it-fail-1"})
	require.NoError(t, err)
	assert.Equal(t, heleket.StatusFail, p.Status)
	assert.True(t, sb.Balance("USDT").Equal(d("1000")), "a failed payout is credited back, got %s", sb.Balance("USDT"))
}

func TestClientErrorClassesAgainstSandbox(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := clientFor(t, sb)
	ctx := context.Background()

	t.Run("422 validation on a missing field", func(t *testing.T) {
		req := createReq("it-invalid", "")
		_, err := c.CreatePayout(ctx, req)
		var ve *heleket.ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Contains(t, ve.Errors["amount"], "validation.required")
		assert.False(t, heleket.IsRetryable(err))
	})

	t.Run("refusal on insufficient balance", func(t *testing.T) {
		_, err := c.CreatePayout(ctx, createReq("it-too-much", "5000"))
		var re *heleket.RefusalError
		require.ErrorAs(t, err, &re)
		assert.NotEmpty(t, re.Message)
		assert.Equal(t, http.StatusUnprocessableEntity, re.HTTPStatus)
		assert.False(t, heleket.IsRetryable(err))
		assert.True(t, sb.Balance("USDT").Equal(d("1000")), "nothing debited")
	})

	t.Run("refusal on an unknown payout", func(t *testing.T) {
		_, err := c.PayoutInfo(ctx, heleket.InfoRequest{OrderID: "it-never-created"})
		var re *heleket.RefusalError
		require.ErrorAs(t, err, &re)
		assert.False(t, heleket.IsRetryable(err))
	})

	t.Run("401 on a wrong key", func(t *testing.T) {
		bad := clientFor(t, sb, func(cfg *heleket.Config) { cfg.APIKey = itKey + "-wrong" })
		_, err := bad.Services(ctx)
		var ae *heleket.AuthError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusUnauthorized, ae.HTTPStatus)
		assert.True(t, heleket.IsRetryable(err), "our configuration: retried, never the payout's fault")
		assert.True(t, heleket.NeedsOperator(err))
		assert.NotContains(t, err.Error(), itKey)
	})

	t.Run("429 with Retry-After", func(t *testing.T) {
		sb.SetFaults(sandbox.Faults{RateLimitRate: 1, RetryAfter: 2 * time.Second})
		t.Cleanup(func() { sb.SetFaults(sandbox.Faults{}) })
		_, err := c.Services(ctx)
		var rl *heleket.RateLimitError
		require.ErrorAs(t, err, &rl)
		assert.True(t, heleket.IsRetryable(err))
		after, ok := heleket.RetryAfter(err)
		assert.True(t, ok)
		assert.Equal(t, 2*time.Second, after)
	})

	t.Run("5xx", func(t *testing.T) {
		sb.SetFaults(sandbox.Faults{ServerErrorRate: 1})
		t.Cleanup(func() { sb.SetFaults(sandbox.Faults{}) })
		_, err := c.CreatePayout(ctx, createReq("it-5xx", "1"))
		var se *heleket.ServerError
		require.ErrorAs(t, err, &se)
		assert.Equal(t, http.StatusInternalServerError, se.HTTPStatus)
		assert.True(t, heleket.IsRetryable(err))
	})

	t.Run("faults cleared, calls succeed again", func(t *testing.T) {
		_, err := c.Services(ctx)
		require.NoError(t, err)
	})

	assert.Equal(t, 0, sb.Stats().Creates, "no error path created a payout")
}

func TestClientRetriedCreateNeverDuplicates(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := clientFor(t, sb, func(cfg *heleket.Config) { cfg.Timeout = 300 * time.Millisecond })
	ctx := context.Background()
	req := createReq("it-idem-1", "100")

	// Attempt 1: the sandbox hangs; the per-call timeout fires.
	sb.SetFaults(sandbox.Faults{TimeoutRate: 1})
	_, err := c.CreatePayout(ctx, req)
	require.ErrorIs(t, err, heleket.ErrCallTimeout)
	require.True(t, heleket.IsRetryable(err))

	// Attempt 2: the create is applied but its answer is lost (a 504 or a
	// dropped connection); the caller cannot know it succeeded.
	sb.SetFaults(sandbox.Faults{LostResponseRate: 1})
	_, err = c.CreatePayout(ctx, req)
	require.Error(t, err)
	require.True(t, heleket.IsRetryable(err), "a lost answer must be retried: %v", err)

	// Attempts 3 and 4: no faults; the same order_id returns the payout
	// created by attempt 2.
	sb.SetFaults(sandbox.Faults{})
	first, err := c.CreatePayout(ctx, req)
	require.NoError(t, err)
	again, err := c.CreatePayout(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, first.UUID, again.UUID)

	st := sb.Stats()
	assert.Equal(t, 1, st.Creates, "one payout despite four attempts")
	assert.Equal(t, 2, st.IdempotentRepeats)
	assert.Equal(t, 4, st.Calls[heleket.PathCreatePayout])
	assert.True(t, sb.Balance("USDT").Equal(d("899")), "debited once: 1000 - (100 + 1), got %s", sb.Balance("USDT"))
}

func TestClientCallerCancellationAgainstSandbox(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := clientFor(t, sb)
	sb.SetFaults(sandbox.Faults{TimeoutRate: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()

	_, err := c.Services(ctx)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
	assert.False(t, heleket.IsRetryable(err), "the caller's own deadline is not the client's to retry")
}

// Heleket's webhooks reach the API over kept-alive connections: a sender
// that left each answer unread closed the connection and opened another
// for every webhook.
func TestWebhooksReuseTheirConnection(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{SettleAfter: time.Millisecond})
	c := clientFor(t, sb)
	var opened atomic.Int32
	got := make(chan []byte, 64)
	sink := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		got <- body
		_, _ = io.WriteString(w, `{"status":"ok"}`) // an answer with a body, as the API's
	}))
	sink.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	sink.Start()
	t.Cleanup(sink.Close)

	for i := range 3 {
		req := createReq("it-keepalive-"+strconv.Itoa(i), "5")
		req.URLCallback = sink.URL + "/hook"
		_, err := c.CreatePayout(context.Background(), req)
		require.NoError(t, err)
		assert.Equal(t, heleket.StatusProcess, nextWebhook(t, got).Status)
		assert.Equal(t, heleket.StatusPaid, nextWebhook(t, got).Status)
		// The next payout's webhooks start once this one's answer is read
		// (the sandbox counts a delivery after reading it); otherwise they
		// could rightly need a second connection.
		delivered := 2 * (i + 1)
		require.Eventually(t, func() bool { return sb.Stats().WebhooksDelivered == delivered }, waitFor, time.Millisecond)
	}
	assert.Equal(t, int32(1), opened.Load(), "connections opened for 6 webhooks sent one after another")
}
