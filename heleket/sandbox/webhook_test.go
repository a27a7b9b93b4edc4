package sandbox

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

func TestPHPEncode(t *testing.T) {
	got := phpEncode([]member{
		{"a/b", "x/y"}, {"q", `say "hi" \ ok`}, {"ctl", "\n\t\r\b\f\x01\x1f"},
		{"uni", "é€😀"}, {"ls", "\u2028\u2029"}, {"t", true}, {"f", false}, {"n", nil},
		{"bad", "a\xffb"}, {"lt", "<&>"},
	})
	want := `{"a\/b":"x\/y","q":"say \"hi\" \\ ok","ctl":"\n\t\r\b\f\u0001\u001f",` +
		`"uni":"é€😀","ls":"\u2028\u2029","t":true,"f":false,"n":null,"bad":"a` + "\uFFFD" + `b","lt":"<&>"}`
	assert.Equal(t, want, string(got))
}

func TestProgressionWithSignedWebhooks(t *testing.T) {
	s := newSandbox(t, Config{CheckAfter: 10 * time.Millisecond, SettleAfter: 30 * time.Millisecond})
	rcv := newReceiver(t, 0)
	a := usdt("prog-1", "12.5")
	a.callback = rcv.url()
	p := create(t, s, a)

	eventually(t, "three webhooks", func() bool { return s.Stats().WebhooksDelivered == 3 })
	final, ok := s.Payout("prog-1")
	require.True(t, ok)
	require.Equal(t, heleket.StatusPaid, final.Status)
	require.Regexp(t, `^[0-9a-f]{64}$`, final.TxID)
	assert.Equal(t, heleket.Flag{Value: true, Valid: true}, final.IsFinal)

	bodies := rcv.got()
	assert.Equal(t, expectedWebhook(p, "prog-1", heleket.StatusProcess, ""), string(bodies[0]))
	assert.Equal(t, expectedWebhook(p, "prog-1", heleket.StatusCheck, ""), string(bodies[1]))
	assert.Equal(t, expectedWebhook(p, "prog-1", heleket.StatusPaid, final.TxID), string(bodies[2]))

	st := s.Stats()
	assert.Equal(t, 3, st.WebhooksSent)
	assert.Equal(t, 3, st.WebhooksDelivered)
}

func TestNoCallbackNoWebhook(t *testing.T) {
	s := newSandbox(t, Config{})
	create(t, s, usdt("quiet", "5"))
	eventually(t, "paid", func() bool { p, _ := s.Payout("quiet"); return p.Status == heleket.StatusPaid })
	assert.Zero(t, s.Stats().WebhooksSent)
}

func TestWebhookRetryUntil2xx(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, WebhookRetry: time.Millisecond})
	rcv := newReceiver(t, 2)
	a := usdt("retry", "5")
	a.callback = rcv.url()
	create(t, s, a)

	eventually(t, "delivered", func() bool { return s.Stats().WebhooksDelivered == 1 })
	bodies := rcv.got()
	require.Len(t, bodies, 3)
	assert.Equal(t, bodies[0], bodies[1])
	assert.Equal(t, bodies[0], bodies[2])
	assert.Equal(t, 3, s.Stats().WebhooksSent)
}

func TestWebhookDrop(t *testing.T) {
	s := newSandbox(t, Config{})
	s.SetFaults(Faults{WebhookDropRate: 1})
	rcv := newReceiver(t, 0)
	a := usdt("dropped", "5")
	a.callback = rcv.url()
	create(t, s, a)

	eventually(t, "both dropped", func() bool { return s.Stats().WebhooksDropped == 2 })
	st := s.Stats()
	assert.Zero(t, st.WebhooksSent)
	assert.Equal(t, 2, st.FaultsInjected[FaultWebhookDrop])
	assert.Zero(t, rcv.count())
}

func TestWebhookDuplicate(t *testing.T) {
	s := newSandbox(t, Config{})
	s.SetFaults(Faults{WebhookDuplicateRate: 1})
	rcv := newReceiver(t, 0)
	a := usdt("twice", "5")
	a.callback = rcv.url()
	create(t, s, a)

	eventually(t, "four deliveries", func() bool { return rcv.count() == 4 })
	var statuses []string
	for _, b := range rcv.got() {
		statuses = append(statuses, statusOf(t, b))
	}
	assert.Equal(t, []string{"process", "process", "paid", "paid"}, statuses)
	assert.Equal(t, 2, s.Stats().WebhooksDuplicated)
}

func TestWebhookReorder(t *testing.T) {
	s := newSandbox(t, Config{CheckAfter: 5 * time.Millisecond, SettleAfter: 10 * time.Millisecond, Seed: 7})
	s.SetFaults(Faults{WebhookReorder: true})
	rcv := newReceiver(t, 0)
	a := usdt("shuffled", "5")
	a.callback = rcv.url()
	create(t, s, a)

	eventually(t, "three deliveries", func() bool { return rcv.count() == 3 })
	var statuses []string
	for _, b := range rcv.got() {
		statuses = append(statuses, statusOf(t, b))
	}
	assert.Equal(t, "paid", statuses[0], "final first")
	assert.ElementsMatch(t, []string{"process", "check"}, statuses[1:])
	assert.Equal(t, 1, s.Stats().FaultsInjected[FaultWebhookReorder])
}

func TestTestWebhookEndpoint(t *testing.T) {
	s := newSandbox(t, Config{})
	rcv := newReceiver(t, 0)
	uuid := "5e1b0c3a-0f3b-4c5d-9e8f-a1b2c3d4e5f6"
	body, _ := json.Marshal(map[string]string{
		"url_callback": rcv.url(), "currency": "USDT", "network": "tron",
		"uuid": uuid, "order_id": "ord/1-é", "status": "fail",
	})
	r := post(t, s, "/v1/test-webhook/payout", string(body))
	require.Equal(t, http.StatusOK, r.HTTP, "%+v", r)
	assert.JSONEq(t, `[]`, string(r.Result))

	eventually(t, "test webhook", func() bool { return rcv.count() == 1 })
	// Built by hand: "/" escaped, "é" raw, no txid for fail.
	unsigned := `{"type":"payout","uuid":"` + uuid + `","order_id":"ord\/1-é","amount":"10.00000000",` +
		`"merchant_amount":"11.00000000","commission":"1.00000000","is_final":true,"status":"fail",` +
		`"currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"10.00000000"}`
	want := unsigned[:len(unsigned)-1] + `,"sign":"` + signHex([]byte(unsigned), testKey) + `"}`
	assert.Equal(t, want, string(rcv.got()[0]))

	r = post(t, s, "/v1/test-webhook/payout", `{"currency":"USDT","status":"lost"}`)
	assert.Equal(t, map[string][]string{
		"url_callback": {vRequired}, "network": {vRequired}, "status": {vIn},
	}, r.Errors)
}

func TestTestWebhookDefaultsToPaid(t *testing.T) {
	s := newSandbox(t, Config{})
	rcv := newReceiver(t, 0)
	r := post(t, s, "/v1/test-webhook/payout", `{"url_callback":"`+rcv.url()+`","currency":"TRX","network":"tron"}`)
	require.Equal(t, http.StatusOK, r.HTTP)
	eventually(t, "test webhook", func() bool { return rcv.count() == 1 })
	var w heleket.Webhook
	require.NoError(t, json.Unmarshal(rcv.got()[0], &w))
	assert.Equal(t, heleket.StatusPaid, w.Status)
	assert.Regexp(t, `^[0-9a-f]{64}$`, w.TxID)
	assert.Empty(t, w.OrderID)
	assert.Contains(t, string(rcv.got()[0]), `"order_id":null`)
}
