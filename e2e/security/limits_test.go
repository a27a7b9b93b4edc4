package security

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// overLimit is more than any route's limit (16 MiB for batches is the largest).
const overLimit = 20 << 20

// route is one method and path the server answers, with whether the
// OpenAPI document describes it.
type route struct {
	method, path string
	documented   bool
}

// everyRoute is every route of the API router as production builds it,
// with its parameters filled in, plus the operations endpoints mounted
// next to it and a path no route serves.
func everyRoute(t *testing.T) []route {
	t.Helper()
	api, ok := httpapi.New(httpapi.Deps{Logger: slog.New(slog.DiscardHandler)}).(chi.Routes)
	require.True(t, ok, "httpapi.New must return the chi router")
	fill := strings.NewReplacer("{client_id}", "80", "{id}", "po-none", "{schedule_id}", "payout-schedule-80-none")
	var out []route
	require.NoError(t, chi.Walk(api, func(method, path string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, route{method, fill.Replace(path), true})
		return nil
	}))
	return append(out, route{"GET", "/metrics", false}, route{"POST", "/codec/encode", false},
		route{"POST", "/codec/decode", false}, route{"POST", "/codec/" + testenv.CodecToken + "/decode", false},
		route{"POST", "/no/such/route", false})
}

func TestTenMiBToEveryRouteIsRefusedWithoutReadingIt(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, Codec: newCodec(t)})
	before, wfBefore := snapshot(t, e), workflowsOnQueue(t, e)
	routes := everyRoute(t)
	require.Greater(t, len(routes), 25)
	body := bytes.Repeat([]byte("x"), overLimit)
	plain := &http.Client{}
	for _, r := range routes {
		t.Run(r.method+" "+r.path, func(t *testing.T) {
			// Sent in full, with a valid token, as a client would.
			hc := plain
			if r.documented {
				hc = e.HTTP
			}
			status, _, answer, raw := send(t, hc, request(t, r.method, e.API.URL+r.path, body, map[string]string{
				"Authorization": "Bearer " + testenv.AdminToken, "Content-Type": "application/json", "Idempotency-Key": "big"}))
			assert.Equal(t, http.StatusRequestEntityTooLarge, status, "%.200s", raw)
			assert.Contains(t, answer.Error, "request body too large")
			// Announced but never sent: the answer comes anyway, so the
			// server did not wait to read the body.
			status, text := headersOnly(t, e.API.Listener.Addr().String(), r.method, r.path)
			assert.Equal(t, http.StatusRequestEntityTooLarge, status, text)
		})
	}
	assert.Equal(t, before, snapshot(t, e), "nothing stored")
	assert.Equal(t, wfBefore, workflowsAfterBarrier(t, e), "no workflow started")
}

// headersOnly sends a request that announces a 10 MiB body and then sends
// none of it, and reads the answer. A server that read the body before
// answering would never answer: the read deadline turns that into a
// failure instead of a hung test.
func headersOnly(t *testing.T, addr, method, path string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
		"Idempotency-Key: big\r\nContent-Length: %d\r\n\r\n", method, path, addr, testenv.AdminToken, overLimit)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer before the body was sent")
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var answer errorBody
	if json.Unmarshal(raw, &answer) != nil || answer.Error == "" {
		return 0, "not a JSON error: " + string(raw)
	}
	return resp.StatusCode, string(raw)
}
