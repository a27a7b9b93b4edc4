package reconcile_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/reconcile"
)

// scaleEnv sets the number of sandbox payouts of TestReconcileScale; CI
// uses the default, the memory figure in the README comes from 20000:
//
//	RECONCILE_SCALE_PAYOUTS=20000 go test -count=1 -run TestReconcileScale -v ./e2e/reconcile/
const scaleEnv = "RECONCILE_SCALE_PAYOUTS"

// Every 200th payout exists only at Heleket (orphan); every 100th other
// one is still submitted here though paid at Heleket (ahead).
func scaleClass(i int) reconcile.Class {
	switch {
	case i%200 == 0:
		return reconcile.ClassOrphan
	case i%100 == 1:
		return reconcile.ClassAhead
	}
	return reconcile.ClassMatched
}

func TestReconcileScale(t *testing.T) {
	n := 2000
	if v := os.Getenv(scaleEnv); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(t, err, scaleEnv)
	}
	e := testenv.New(t, testenv.Options{SettleAfter: time.Millisecond})
	createMany(t, e, n)
	insertOurs(t, e, n)
	eventually(t, "every sandbox payout settled", func() bool { return allSettled(e) })

	baseline := liveHeap()
	sampler := startHeapSampler()
	start := time.Now()
	res := runNow(t, e)
	took := time.Since(start)
	h := sampler.stop()
	t.Logf("reconciled %d Heleket payouts in %s (%d batches); live heap MiB: before %.1f, during median %.1f, peak %.1f, "+
		"first half %.1f, second half %.1f",
		n, took.Round(time.Millisecond), res.Batches, mib(baseline), mib(h.median), mib(h.peak), mib(h.firstHalf), mib(h.secondHalf))

	want := reconcile.Counts{}
	for i := range n {
		want.Add(scaleClass(i))
	}
	assert.Equal(t, reconcile.StatusSucceeded, res.Status)
	assert.Equal(t, n, res.Counts.HeleketItems)
	assert.Equal(t, want.Orphans, res.Counts.Orphans)
	assert.Equal(t, want.HeleketAhead, res.Counts.HeleketAhead)
	assert.Equal(t, want.Matched, res.Counts.Matched)
	assert.Zero(t, res.Counts.OpenPayouts, "the ahead ones were repaired before the open phase")
	assert.Less(t, mib(h.peak)-mib(baseline), 32.0, "a run holds a page at a time, not the history")
	assert.Less(t, mib(h.secondHalf)-mib(h.firstHalf), 4.0, "memory does not grow as the run reads on")
}

func createMany(t *testing.T, e *testenv.Env, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				_, err := e.Heleket.CreatePayout(context.Background(), heleket.CreatePayoutRequest{
					Amount: "10", Currency: "USDT", Network: "tron", OrderID: scaleID(i), Address: tronAddress, IsSubtract: true,
				})
				if err != nil {
					errs <- fmt.Errorf("create %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func scaleID(i int) string { return fmt.Sprintf("scale%07d", i) }

// insertOurs writes our side in bulk: the guard trigger only admits new
// payouts as requested, so they are inserted so and moved on.
func insertOurs(t *testing.T, e *testenv.Env, n int) {
	t.Helper()
	ctx := context.Background()
	_, err := e.Store.Pool().Exec(ctx, `
		INSERT INTO payouts (id, client_id, asset, network, amount, address, origin, status, is_subtract, requested_by, idempotency_key)
		SELECT 'scale' || lpad(i::text, 7, '0'), '42', 'USDT', 'tron', 10, $2, 'manual', 'requested', true, 'load', 'scale' || i
		FROM generate_series(0, $1 - 1) AS i WHERE i % 200 <> 0`, n, tronAddress)
	require.NoError(t, err)
	_, err = e.Store.Pool().Exec(ctx, `
		UPDATE payouts SET status = CASE WHEN substr(id, 6)::int % 100 = 1 THEN 'submitted' ELSE 'paid' END`)
	require.NoError(t, err)
}

func allSettled(e *testenv.Env) bool {
	for _, p := range e.Sandbox.Payouts() {
		if p.Status != heleket.StatusPaid {
			return false
		}
	}
	return true
}

// liveHeap is the heap in use after a collection: what is really held.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

type heapSampler struct {
	done    chan struct{}
	samples chan []uint64
}

// startHeapSampler measures the live heap once a second. The worker,
// the sandbox and the API all run in this process, so the figures cover
// the reconciler and everything it talks to. Each sample is a full
// collection of a heap that holds the sandbox's whole history (77 MiB at
// 100,000 payouts); at ten samples a second those collections were half
// the process's CPU and a quarter of the run they measured (29 s against
// 22 s at 100,000 payouts), for the same figures.
func startHeapSampler() heapSampler {
	s := heapSampler{done: make(chan struct{}), samples: make(chan []uint64, 1)}
	go func() {
		var got []uint64
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			got = append(got, liveHeap())
			select {
			case <-s.done:
				s.samples <- got
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// heapFigures summarises the samples: the median, the peak, and the mean
// of each half of the run, which would drift apart if memory grew with
// the payouts read.
type heapFigures struct {
	median, peak, firstHalf, secondHalf uint64
}

func (s heapSampler) stop() heapFigures {
	close(s.done)
	got := <-s.samples
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	mean := func(xs []uint64) uint64 {
		var sum uint64
		for _, x := range xs {
			sum += x
		}
		return sum / uint64(max(1, len(xs)))
	}
	half := len(got) / 2
	return heapFigures{median: sorted[len(sorted)/2], peak: sorted[len(sorted)-1],
		firstHalf: mean(got[:max(1, half)]), secondHalf: mean(got[half:])}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
