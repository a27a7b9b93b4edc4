package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

func TestStatsViewKeepsAssetsApartAndDecimalsExact(t *testing.T) {
	d := decimal.RequireFromString
	v := statsViewOf(store.Stats{
		Totals: []store.StatusAssetTotal{
			{Status: payout.StatusFailed, Asset: "USDT", Count: 1, Amount: d("0.1")},
			{Status: payout.StatusPaid, Asset: "USDT", Count: 2, Amount: d("0.2")},
			{Status: payout.StatusPaid, Asset: "BTC", Count: 2, Amount: d("0.00000001")},
			{Status: payout.StatusProcessing, Asset: "USDT", Count: 4, Amount: d("7")},
		},
		P50Seconds: decimal.NewNullDecimal(d("1.250")),
	})
	assert.Equal(t, int64(9), v.Total)
	assert.Equal(t, int64(4), v.Paid)
	assert.Equal(t, int64(5), v.Finalized, "processing is not final")
	require.NotNil(t, v.SuccessRate)
	assert.Equal(t, json.Number("0.8"), *v.SuccessRate)
	assert.Equal(t, []assetTotalView{{"BTC", 2, "0.00000001"}, {"USDT", 7, "7.3"}}, v.ByAsset)
	assert.Equal(t, int64(0), v.ByStatus["expired"])
	assert.Equal(t, json.Number("1.25"), *v.TimeToFinal.P50)
	assert.Nil(t, v.TimeToFinal.P95)

	b, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"success_rate":0.8,`)
	assert.Contains(t, string(b), `"amount":"7.3"`)
}

func TestStatsViewWithNothingFinal(t *testing.T) {
	v := statsViewOf(store.Stats{})
	assert.Nil(t, v.SuccessRate)
	assert.Empty(t, v.ByAsset)
	assert.NotNil(t, v.ByAsset, "an empty list, not null")
	assert.Len(t, v.ByStatus, len(payout.Statuses))
}
