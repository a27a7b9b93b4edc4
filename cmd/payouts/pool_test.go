package main

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/config"
)

func TestDatabaseMaxConnsSizesThePool(t *testing.T) {
	c, err := pgxpool.ParseConfig("postgres://u@db:5432/p?pool_max_conns=7")
	require.NoError(t, err)
	poolSize(config.Config{})(c)
	assert.Equal(t, int32(7), c.MaxConns, "0 leaves the DSN's or pgx's own size")
	poolSize(config.Config{DatabaseMaxConns: 12})(c)
	assert.Equal(t, int32(12), c.MaxConns)
}
