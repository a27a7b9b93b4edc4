package bench

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
)

// The scale run's export reads back exactly the rows it filled, through a
// standard CSV reader, and records memory while it streams.
func TestScaleRunExportsEveryRow(t *testing.T) {
	res, err := RunScale(context.Background(), ScaleOptions{Rows: 3000, Requests: 1, Concurrency: 1,
		DatabaseURL: testdb.DefaultDSN})
	require.NoError(t, err)
	x := res.Export
	assert.Equal(t, 3000, x.Rows)
	assert.Equal(t, "/payouts/export.csv", x.Path)
	assert.Greater(t, x.Bytes, int64(3000*100), "a row is well over 100 bytes")
	assert.NotEmpty(t, x.Samples, "the final sample at least")
	assert.Positive(t, x.RSS.Peak)
}
