package heleket_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// A worker has many calls to Heleket in flight. Two rounds of 8 calls at
// once need 8 connections when the client keeps them between calls; Go's
// default transport keeps 2 and would open 6 more for the second round.
func TestClientKeepsConnectionsForConcurrentCalls(t *testing.T) {
	const inFlight = 8
	var opened atomic.Int32
	var arrived sync.WaitGroup
	release := make(chan struct{}, inFlight) // one token per call of a round
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived.Done()
		<-release // answered once every call of the round is in flight
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, payoutResult)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)

	for range 2 {
		arrived.Add(inFlight)
		errs := make(chan error, inFlight)
		for range inFlight {
			go func() {
				_, err := c.PayoutInfo(context.Background(), heleket.InfoRequest{OrderID: "po-keepalive"})
				errs <- err
			}()
		}
		arrived.Wait()
		for range inFlight {
			release <- struct{}{}
		}
		for range inFlight {
			require.NoError(t, <-errs)
		}
	}
	assert.Equal(t, int32(inFlight), opened.Load(), "connections opened for two rounds of %d calls", inFlight)
}
