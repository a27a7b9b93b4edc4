package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

// pathCounter counts every request by path, unknown routes included, which
// the sandbox's own statistics leave out.
type pathCounter struct {
	mu    sync.Mutex
	paths map[string]int
}

func (p *pathCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.paths[r.URL.Path]++
		p.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (p *pathCounter) get(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paths[path]
}

// sandboxServingCalcAt runs a sandbox whose calc route is only path ("" for
// both) behind a counter.
func sandboxServingCalcAt(t *testing.T, path string) (*heleket.Client, *pathCounter) {
	t.Helper()
	sb := sandbox.New(sandbox.Config{MerchantID: itMerchant, APIKey: itKey, CalcPath: path})
	counter := &pathCounter{paths: map[string]int{}}
	srv := httptest.NewServer(counter.wrap(sb.Handler()))
	t.Cleanup(func() { srv.Close(); assert.NoError(t, sb.Close()) })
	c, err := heleket.New(heleket.Config{BaseURL: srv.URL, MerchantID: itMerchant, APIKey: itKey})
	require.NoError(t, err)
	return c, counter
}

var calcReq = heleket.CalcRequest{Amount: "10", Currency: "USDT", Address: itAddr, Network: "tron", IsSubtract: true}

// The docs name /v1/payout/calc, both official SDKs call
// /v1/payout/calculate: the client works against a Heleket serving either,
// and once it knows which, goes there first.
func TestClientCalcWorksAgainstEitherRoute(t *testing.T) {
	for _, tc := range []struct {
		serves              string
		calcHits, calcHits2 int // requests to PathCalc after the first and the third call
		calculateHits3      int
	}{
		{serves: heleket.PathCalc, calcHits: 1, calcHits2: 3, calculateHits3: 0},
		{serves: heleket.PathCalculate, calcHits: 1, calcHits2: 1, calculateHits3: 3},
		{serves: "", calcHits: 1, calcHits2: 3, calculateHits3: 0},
	} {
		t.Run("serves "+tc.serves, func(t *testing.T) {
			c, counter := sandboxServingCalcAt(t, tc.serves)
			r, err := c.Calc(context.Background(), calcReq)
			require.NoError(t, err)
			assert.True(t, r.Commission.Equal(d("1")))
			assert.True(t, r.PayoutAmount.Equal(d("10")))
			assert.Equal(t, tc.calcHits, counter.get(heleket.PathCalc), "the documented route is tried first")

			for range 2 {
				_, err := c.Calc(context.Background(), calcReq)
				require.NoError(t, err)
			}
			assert.Equal(t, tc.calcHits2, counter.get(heleket.PathCalc), "the route that answered is remembered")
			assert.Equal(t, tc.calculateHits3, counter.get(heleket.PathCalculate))
		})
	}
}

func TestClientCalcRouteIsSafeForConcurrentUse(t *testing.T) {
	c, counter := sandboxServingCalcAt(t, heleket.PathCalculate)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Calc(context.Background(), calcReq) })
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.Equal(t, 16, counter.get(heleket.PathCalculate))
	assert.LessOrEqual(t, counter.get(heleket.PathCalc), 16)
}

// A refusal on the documented route is an answer from the API: no second
// route is tried, and the refusal reaches the caller.
func TestClientCalcDoesNotFallBackOnAnAnswer(t *testing.T) {
	c, counter := sandboxServingCalcAt(t, "")
	bad := calcReq
	bad.Amount = "0.01" // below the minimum
	_, err := c.Calc(context.Background(), bad)
	var ve *heleket.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, heleket.PathCalc, ve.Endpoint)
	assert.Equal(t, 0, counter.get(heleket.PathCalculate))
}
