package heleket_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// payoutWith is a payout result whose unused fields are replaced by extra,
// a JSON fragment of members.
func payoutWith(extra string) string {
	return `{"uuid":"3f1d9c2a-55b0-4e61-8f0e-6a7b8c9d0e1f","amount":"42.10000000","currency":"USDT","network":"tron",` +
		`"address":"TPeyq8TzsMvMwyb1Dt2yoR4fGZzYJMMbdV","txid":null,"status":"process","is_final":false,` +
		`"commission":"1.05000000"` + extra + `}`
}

func callBoth(t *testing.T, body string) []heleket.Payout {
	t.Helper()
	f := newFake(t, requestKey, reply(http.StatusOK, body))
	c := newClient(t, f.URL)
	created, err := c.CreatePayout(context.Background(), heleket.CreatePayoutRequest{OrderID: "ord-77"})
	require.NoError(t, err)
	info, err := c.PayoutInfo(context.Background(), heleket.InfoRequest{OrderID: "ord-77"})
	require.NoError(t, err)
	return []heleket.Payout{created, info}
}

// Heleket returns balance as an object, a string or null depending on the
// endpoint, and the other fields the product never acts on drift the same
// way: none of them may make an answer malformed.
func TestUnusedPayoutFieldsAcceptAnyJSONType(t *testing.T) {
	cases := map[string]string{
		"balance object":       `,"balance":{"merchant":[{"currency_code":"USDT","balance":"900.00"}]}`,
		"balance string":       `,"balance":"957.90000000"`,
		"balance null":         `,"balance":null`,
		"balance number":       `,"balance":957.9`,
		"payer_amount object":  `,"payer_amount":{"value":"41.05"},"payer_currency":{"code":"USDT"}`,
		"merchant_amount bool": `,"merchant_amount":false`,
		"created_at number":    `,"created_at":1764669600,"updated_at":{"date":"2026-12-02 12:00:00"}`,
		"unknown members":      `,"from":null,"meta":[1,2,{"x":"y"}]`,
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			result := payoutWith(extra)
			for _, p := range callBoth(t, `{"state":0,"result":`+result+`}`) {
				assert.Equal(t, "3f1d9c2a-55b0-4e61-8f0e-6a7b8c9d0e1f", p.UUID)
				assert.Equal(t, heleket.StatusProcess, p.Status)
				assert.True(t, p.Amount.Equal(dec("42.1")))
				assert.True(t, p.Commission.Equal(dec("1.05")))
				assert.Equal(t, result, string(p.Raw), "the result object exactly as received, for the audit trail")
			}
		})
	}
}

func TestUnusedPayoutFieldsKeepTheirRawValue(t *testing.T) {
	ps := callBoth(t, `{"state":0,"result":`+payoutWith(`,"balance":{"merchant":[]},"payer_amount":"41.05","merchant_amount":43.15`)+`}`)
	p := ps[0]
	assert.JSONEq(t, `{"merchant":[]}`, string(p.Balance.Raw()))
	_, ok := p.Balance.Amount()
	assert.False(t, ok, "an object is not an amount")
	got, ok := p.PayerAmount.Amount()
	require.True(t, ok)
	assert.True(t, got.Equal(dec("41.05")))
	got, ok = p.MerchantAmount.Amount()
	require.True(t, ok)
	assert.True(t, got.Equal(dec("43.15")))
	assert.Empty(t, p.CreatedAt.Raw(), "absent stays empty")
}

func TestPayoutMissingARequiredFieldIsMalformed(t *testing.T) {
	cases := map[string]string{
		"no uuid":           `{"state":0,"result":{"amount":"1","currency":"USDT","status":"process"}}`,
		"empty uuid":        `{"state":0,"result":{"uuid":"","amount":"1","status":"process"}}`,
		"uuid null":         `{"state":0,"result":{"uuid":null,"amount":"1","status":"process"}}`,
		"no status":         `{"state":0,"result":{"uuid":"u-1","amount":"1"}}`,
		"blank status":      `{"state":0,"result":{"uuid":"u-1","amount":"1","status":"  "}}`,
		"empty object":      `{"state":0,"result":{}}`,
		"empty PHP array":   `{"state":0,"result":[]}`,
		"uuid a number":     `{"state":0,"result":{"uuid":17,"status":"process"}}`,
		"amount not number": `{"state":0,"result":{"uuid":"u-1","status":"process","amount":{"v":1}}}`,
		"is_final garbage":  `{"state":0,"result":{"uuid":"u-1","status":"process","is_final":"maybe"}}`,
		"address an object": `{"state":0,"result":{"uuid":"u-1","status":"process","address":{"TPeyq8TzsMvMwyb1Dt2yoR4fGZzYJMMbdV":1}}}`,
		"no result":         `{"state":0}`,
		"not JSON":          `{"state":0,"result":{"uuid":`,
		"HTML from a proxy": `<html>ok</html>`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, requestKey, reply(http.StatusOK, body))
			c := newClient(t, f.URL)
			_, errCreate := c.CreatePayout(context.Background(), heleket.CreatePayoutRequest{OrderID: "ord-77"})
			_, errInfo := c.PayoutInfo(context.Background(), heleket.InfoRequest{OrderID: "ord-77"})
			for endpoint, err := range map[string]error{heleket.PathCreatePayout: errCreate, heleket.PathPayoutInfo: errInfo} {
				var me *heleket.MalformedError
				require.ErrorAs(t, err, &me, endpoint)
				assert.Equal(t, endpoint, me.Endpoint)
				assert.Equal(t, http.StatusOK, me.HTTPStatus)
				assert.NotEmpty(t, me.Reason)
				assert.Equal(t, body, string(me.Raw), "the answer is kept for the audit trail")
				assert.True(t, heleket.IsRetryable(err), "retried with backoff; the activity flags it after bounded attempts")
				assert.Contains(t, err.Error(), endpoint)
				assert.NotContains(t, err.Error(), "TPeyq8TzsMvMwyb1Dt2yoR4fGZzYJMMbdV", "no wallet address in the message")
			}
		})
	}
}

func TestMalformedErrorKeepsABoundedCopyOfTheBody(t *testing.T) {
	big := `{"state":0,"result":{"uuid":"u-1","pad":"` + strings.Repeat("x", 100<<10) + `"}}`
	f := newFake(t, requestKey, reply(http.StatusOK, big))
	_, err := newClient(t, f.URL).PayoutInfo(context.Background(), heleket.InfoRequest{OrderID: "o"})
	var me *heleket.MalformedError
	require.ErrorAs(t, err, &me)
	assert.Less(t, len(me.Raw), len(big))
	assert.True(t, strings.HasPrefix(big, string(me.Raw)))
}

func TestListItemsKeepTheirRawObject(t *testing.T) {
	item := `{"uuid":"u-9","order_id":"ord-9","amount":"3","status":"paid","balance":{"x":1},"created_at":"2026-12-02 10:00:00"}`
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":{"merchant_uuid":"m","items":[`+item+`],"paginate":{"count":1,"hasPages":false,"nextCursor":null,"previousCursor":null,"perPage":15}}}`))
	page, err := newClient(t, f.URL).ListPayouts(context.Background(), heleket.ListRequest{}, "")
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	assert.Equal(t, item, string(page.Items[0].Raw))
	assert.Equal(t, "ord-9", page.Items[0].OrderID)
	var created string
	require.NoError(t, json.Unmarshal(page.Items[0].CreatedAt.Raw(), &created))
	assert.Equal(t, "2026-12-02 10:00:00", created)
}

func TestStatusWordsCompareCaseInsensitively(t *testing.T) {
	for _, s := range []string{"PAID", "Paid", "paid", " paid ", "FAIL", "Cancel", "SYSTEM_FAIL"} {
		assert.True(t, heleket.IsFinalStatus(s), s)
		assert.True(t, heleket.Payout{Status: s}.Final(), s)
		assert.True(t, heleket.Webhook{Status: s}.Final(), s)
	}
	for _, s := range []string{"PROCESS", "Check", "", "paid_over"} {
		assert.False(t, heleket.IsFinalStatus(s), s)
	}
}

// signedWebhook appends the sign member to a payload written the way PHP
// encodes it.
func signedWebhook(payload string) []byte {
	return []byte(strings.TrimSuffix(payload, "}") + `,"sign":"` + heleket.SignWebhook([]byte(payload), webhookKey) + `"}`)
}

// A signed webhook whose unused members changed type must still be read:
// refusing it makes Heleket retry it for ever and the payout wait for a poll.
func TestWebhookUnusedFieldsAcceptAnyJSONType(t *testing.T) {
	payload := `{"type":"payout","uuid":"3f1d9c2a-55b0-4e61-8f0e-6a7b8c9d0e1f","order_id":"ord-77","amount":"42.10000000",` +
		`"merchant_amount":{"value":"43.15"},"commission":"1.05000000","is_final":false,"status":"process",` +
		`"currency":"USDT","network":"tron","payer_currency":null,"payer_amount":41.05}`
	w, err := heleket.VerifyWebhook(signedWebhook(payload), webhookKey)
	require.NoError(t, err)
	assert.Equal(t, "ord-77", w.OrderID)
	assert.True(t, w.Amount.Equal(dec("42.1")))
	assert.True(t, w.Commission.Equal(dec("1.05")))
	assert.JSONEq(t, `{"value":"43.15"}`, string(w.MerchantAmount.Raw()))
	got, ok := w.PayerAmount.Amount()
	assert.True(t, ok && got.Equal(dec("41.05")))
	assert.Empty(t, w.PayerCurrency.Text())
}
