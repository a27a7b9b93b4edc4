package store_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

// The all-time times to final are read by rank from an index instead of
// percentile_cont's sort; they must be percentile_cont's figures for any
// count, at either end of the index, with or without interpolation.
func TestAllTimeFinalTimesEqualPercentileCont(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 3, 4, 20, 21, 101} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			s := testdb.Open(t)
			rows := make([]seeded, 0, n+1)
			for i := range n {
				// Scrambled durations with microseconds, some equal.
				d := time.Duration((i*7919)%(n+13))*time.Second + time.Duration((i*104729)%1000003)*time.Microsecond
				rows = append(rows, seeded{id: fmt.Sprintf("f%03d", i), client: "c", asset: "USDT", origin: "manual",
					status: "paid", amount: "1", created: t0.Add(time.Duration(i) * time.Minute), final: d + time.Microsecond})
			}
			rows = append(rows, seeded{id: "open", client: "c", asset: "USDT", origin: "manual", status: "processing", amount: "1", created: t0})
			seed(t, s, rows...)

			var p50, p95 string
			require.NoError(t, s.Pool().QueryRow(context.Background(), `
				SELECT (extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY finalized_at - created_at)))::numeric(20,3)::text,
					(extract(epoch FROM percentile_cont(0.95) WITHIN GROUP (ORDER BY finalized_at - created_at)))::numeric(20,3)::text
				FROM payouts WHERE finalized_at IS NOT NULL`).Scan(&p50, &p95))
			st, err := s.Stats(context.Background(), time.Time{}, time.Time{})
			require.NoError(t, err)
			require.True(t, st.P50Seconds.Valid)
			require.True(t, st.P95Seconds.Valid)
			assert.Equal(t, decimalString(t, p50), st.P50Seconds.Decimal.String(), "p50")
			assert.Equal(t, decimalString(t, p95), st.P95Seconds.Decimal.String(), "p95")
		})
	}
}

func decimalString(t *testing.T, s string) string {
	t.Helper()
	var st store.Stats
	require.NoError(t, st.P50Seconds.Scan(s))
	return st.P50Seconds.Decimal.String()
}
