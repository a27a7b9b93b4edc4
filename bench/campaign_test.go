package bench

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/payout"
)

// The bench's campaign is one the API accepts whole, with a client per row.
func TestCampaignCSVIsAValidCampaign(t *testing.T) {
	rows, err := batch.Parse("text/csv", campaignCSV(1000))
	require.NoError(t, err)
	valid, batchErrs, rowErrs := batch.Validate("bench", rows, payout.Limits{})
	assert.True(t, batchErrs.Empty(), "%v", batchErrs)
	assert.Empty(t, rowErrs)
	require.Len(t, valid, 1000)
	assert.Equal(t, "bench-999", valid[999].ClientID)
	assert.Equal(t, "9.99", valid[899].Amount.String())
}

func TestSpreadShowsTrendAndPeak(t *testing.T) {
	samples := []MemorySample{{HeapMiB: 1}, {HeapMiB: 5}, {HeapMiB: 3}, {HeapMiB: 3}}
	s := spread(samples, func(m MemorySample) float64 { return m.HeapMiB })
	assert.Equal(t, Spread{Median: 3, Peak: 5, FirstHalf: 3, SecondHalf: 3}, s)
	assert.Equal(t, Spread{}, spread(nil, func(m MemorySample) float64 { return m.HeapMiB }))
}

func TestRSSOfThisProcess(t *testing.T) {
	assert.Positive(t, rssMiB("self"))
	assert.Zero(t, rssMiB("0"), "no process 0 in /proc")
}
