package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadStatOfThisProcess(t *testing.T) {
	st, err := readStat("self")
	require.NoError(t, err)
	name := filepath.Base(os.Args[0])
	assert.Equal(t, name[:min(len(name), 15)], st.comm, "the kernel keeps 15 bytes of the name")
	assert.Equal(t, strconv.Itoa(os.Getppid()), st.parent)

	_, err = readStat("0")
	assert.Error(t, err, "no process 0 in /proc")
}

func TestCostTakesTemporalBackendsByPid(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	before := cpuSample{postgres: ms(100), temporalBackends: map[string]time.Duration{"10": ms(50), "11": ms(20)}, temporalXacts: 1000}
	// 10 worked 40 ms, 11 exited (its time is the postmaster's), 12 came and worked 30 ms.
	after := cpuSample{postgres: ms(300), temporalBackends: map[string]time.Duration{"10": ms(90), "12": ms(30)}, temporalXacts: 1090}
	c := cpuMeter{}.cost(before, after, 10)
	assert.InDelta(t, 20.0, c.PostgresMs, 1e-9)
	assert.InDelta(t, 7.0, c.TemporalPostgresMs, 1e-9)
	assert.InDelta(t, 9.0, c.TemporalTransactions, 1e-9)
}
