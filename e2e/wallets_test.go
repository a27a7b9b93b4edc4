package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// otherTronAddress is a second, distinct tron wallet.
const otherTronAddress = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"

type walletJSON struct {
	ClientID      string    `json:"client_id"`
	Asset         string    `json:"asset"`
	Network       string    `json:"network"`
	AddressMasked string    `json:"address_masked"`
	Memo          string    `json:"memo"`
	Default       bool      `json:"default"`
	CreatedAt     time.Time `json:"created_at"`
}

func putWallet(e *testenv.Env, client string, w map[string]any) *http.Response {
	b, err := json.Marshal(w)
	require.NoError(e.T, err)
	return e.Do(http.MethodPut, "/clients/"+client+"/wallets", b, nil)
}

func tronWallet(address string, isDefault bool) map[string]any {
	return map[string]any{"asset": "usdt", "network": "TRON", "address": address, "default": isDefault}
}

func wallets(e *testenv.Env, client string) []walletJSON {
	resp := e.Do(http.MethodGet, "/clients/"+client+"/wallets", nil, nil)
	require.Equal(e.T, http.StatusOK, resp.StatusCode)
	return testenv.Decode[struct {
		Items []walletJSON `json:"items"`
	}](e, resp).Items
}

func tableRows(t *testing.T, e *testenv.Env, table string) int {
	var n int
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(), "select count(*) from "+table).Scan(&n))
	return n
}

func TestDefaultWalletPaysAPayoutSentWithoutAddress(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	resp := putWallet(e, "60", tronWallet(tronAddress, true))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.NotContains(t, string(raw), tronAddress, "a wallet address is never shown in full")
	var w walletJSON
	require.NoError(t, json.Unmarshal(raw, &w))
	assert.Equal(t, walletJSON{ClientID: "60", Asset: "USDT", Network: "tron", AddressMasked: "TQrZ…AbpW", Default: true, CreatedAt: w.CreatedAt}, w)

	p := accepted(t, e, "60", "default-wallet-"+t.Name(), []byte(`{"asset":"USDT","network":"tron","amount":"15"}`))
	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)
	assert.Equal(t, tronAddress, final.Address)
	sent, found := e.Sandbox.Payout(p.ID)
	require.True(t, found)
	assert.Equal(t, tronAddress, sent.Address, "Heleket got the default wallet's address")
}

func TestPayoutWithoutAddressNeedsADefaultWallet(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	noAddress := []byte(`{"asset":"USDT","network":"tron","amount":"15"}`)

	resp := create(e, "61", "no-wallet", noAddress)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	refusal := testenv.Decode[errorJSON](e, resp)
	assert.Contains(t, refusal.Error, "no default USDT wallet on tron")
	require.Len(t, refusal.Fields["address"], 1, "a 422 names its field: %v", refusal.Fields)
	assert.Contains(t, refusal.Fields["address"][0], "no default USDT wallet on tron")

	// A wallet that is not the default does not count.
	require.Equal(t, http.StatusOK, putWallet(e, "61", tronWallet(tronAddress, false)).StatusCode)
	resp = create(e, "61", "not-default", noAddress)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	resp.Body.Close()

	// Nor does a default on another network.
	require.Equal(t, http.StatusOK, putWallet(e, "61", map[string]any{
		"asset": "USDT", "network": "eth", "address": "0x52908400098527886E0F7030069857D2E4169EE7", "default": true,
	}).StatusCode)
	resp = create(e, "61", "other-network", noAddress)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	resp.Body.Close()

	assert.Zero(t, payoutRows(t, e))
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
}

func TestSwitchingTheDefaultWallet(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	require.Equal(t, http.StatusOK, putWallet(e, "62", tronWallet(tronAddress, true)).StatusCode)
	require.Equal(t, http.StatusOK, putWallet(e, "62", tronWallet(otherTronAddress, true)).StatusCode)
	// Repeating a PUT changes nothing.
	require.Equal(t, http.StatusOK, putWallet(e, "62", tronWallet(otherTronAddress, true)).StatusCode)

	got := wallets(e, "62")
	require.Len(t, got, 2)
	assert.Equal(t, "TJRa…RTv8", got[0].AddressMasked, "the default comes first")
	assert.True(t, got[0].Default)
	assert.False(t, got[1].Default, "the previous default was demoted")
	assert.Empty(t, wallets(e, "nobody"))

	p := accepted(t, e, "62", "switched-"+t.Name(), []byte(`{"asset":"USDT","network":"tron","amount":"3"}`))
	stored, err := e.Store.GetPayout(context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, otherTronAddress, stored.Address)
}

func TestTONWalletKeepsItsMemoForPayouts(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	const tonAddress = "EQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2"
	require.Equal(t, http.StatusOK, putWallet(e, "63", map[string]any{
		"asset": "TON", "network": "ton", "address": tonAddress, "memo": "deposit 7", "default": true,
	}).StatusCode)
	assert.Equal(t, "deposit 7", wallets(e, "63")[0].Memo)

	p := accepted(t, e, "63", "ton", []byte(`{"asset":"TON","network":"ton","amount":"1.5"}`))
	stored, err := e.Store.GetPayout(context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, tonAddress, stored.Address)
	assert.Equal(t, "deposit 7", stored.Memo)
}

func TestInvalidWalletsGet4xxAndChangeNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	cases := []struct {
		name   string
		client string
		body   string
		status int
		field  string
	}{
		{"unsupported pair", "64", `{"asset":"BTC","network":"tron","address":"` + tronAddress + `","default":true}`, 422, "network"},
		{"wrong address shape", "64", `{"asset":"USDT","network":"tron","address":"0x52908400098527886E0F7030069857D2E4169EE7","default":true}`, 422, "address"},
		{"missing address", "64", `{"asset":"USDT","network":"tron","default":true}`, 422, "address"},
		{"memo off TON", "64", `{"asset":"USDT","network":"tron","address":"` + tronAddress + `","memo":"x","default":true}`, 422, "memo"},
		{"default left out", "64", `{"asset":"USDT","network":"tron","address":"` + tronAddress + `"}`, 422, "default"},
		{"bad client id", "a%20b", `{"asset":"USDT","network":"tron","address":"` + tronAddress + `","default":true}`, 422, "client_id"},
		{"unknown field", "64", `{"asset":"USDT","network":"tron","adress":"` + tronAddress + `","default":true}`, 400, ""},
		{"default as a string", "64", `{"asset":"USDT","network":"tron","address":"` + tronAddress + `","default":"yes"}`, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := e.Do(http.MethodPut, "/clients/"+c.client+"/wallets", []byte(c.body), nil)
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, c.status, resp.StatusCode)
			assert.NotContains(t, string(raw), tronAddress, "addresses are never echoed")
			var got errorJSON
			require.NoError(t, json.Unmarshal(raw, &got))
			assert.NotEmpty(t, got.Error)
			if c.field != "" {
				assert.NotEmpty(t, got.Fields[c.field], "field errors: %v", got.Fields)
			}
		})
	}
	resp := e.Do(http.MethodGet, "/clients/a%20b/wallets", nil, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	resp.Body.Close()
	assert.Zero(t, tableRows(t, e, "client_wallets"))
}
