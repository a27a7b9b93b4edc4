package heleket_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// The documented shape, amounts as strings and numbers, a currency in
// two wallets summed, user balances left out.
func TestBalanceReadsMerchantBalances(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":[{"balance":{
		"merchant":[{"uuid":"a","balance":"100.123456789012345678","currency_code":"USDT"},
		            {"uuid":"b","balance":0.5,"currency_code":"usdt"},
		            {"uuid":"c","balance":"5","currency_code":"TON"}],
		"user":[{"uuid":"d","balance":"999","currency_code":"BTC"}]}}]}`))
	b, err := newClient(t, f.URL).Balance(context.Background())
	require.NoError(t, err)
	usdt, ok := b.Of("USDT")
	require.True(t, ok)
	assert.True(t, usdt.Equal(dec("100.623456789012345678")), "got %s", usdt)
	assert.Equal(t, []string{"TON", "USDT"}, b.Currencies())
	_, ok = b.Of("BTC")
	assert.False(t, ok, "a user balance is not the merchant's")
	got := f.only(t)
	assert.Equal(t, heleket.PathBalance, got.Path)
	assert.Empty(t, got.Body)
	assert.True(t, got.SignValid, "signed with the payout key")
}

// A lone object where a list is documented is read as a list of one.
func TestBalanceAcceptsALoneObject(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":{"balance":{"merchant":[{"uuid":"a","balance":"7","currency_code":"LTC"}],"user":[]}}}`))
	b, err := newClient(t, f.URL).Balance(context.Background())
	require.NoError(t, err)
	ltc, ok := b.Of("LTC")
	require.True(t, ok)
	assert.True(t, ltc.Equal(dec("7")))
}

func TestBalanceErrors(t *testing.T) {
	tests := map[string]struct {
		status int
		body   string
		check  func(t *testing.T, err error)
	}{
		"401 is an auth error: balance unknown": {http.StatusUnauthorized, `{"state":1,"message":"Unauthorized"}`, func(t *testing.T, err error) {
			var ae *heleket.AuthError
			assert.ErrorAs(t, err, &ae)
		}},
		"an entry without a balance": {http.StatusOK, `{"state":0,"result":[{"balance":{"merchant":[{"uuid":"a","currency_code":"USDT"}]}}]}`, func(t *testing.T, err error) {
			var me *heleket.MalformedError
			require.ErrorAs(t, err, &me)
			assert.Contains(t, me.Reason, "balance")
		}},
		"an entry without a currency": {http.StatusOK, `{"state":0,"result":[{"balance":{"merchant":[{"uuid":"a","balance":"1"}]}}]}`, func(t *testing.T, err error) {
			var me *heleket.MalformedError
			require.ErrorAs(t, err, &me)
			assert.Contains(t, me.Reason, "currency_code")
		}},
		"a result that is not balances": {http.StatusOK, `{"state":0,"result":"nope"}`, func(t *testing.T, err error) {
			var me *heleket.MalformedError
			assert.ErrorAs(t, err, &me)
		}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFake(t, requestKey, reply(tt.status, tt.body))
			_, err := newClient(t, f.URL).Balance(context.Background())
			require.Error(t, err)
			tt.check(t, err)
		})
	}
}
