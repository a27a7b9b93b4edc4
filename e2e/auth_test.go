package e2e

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// publicRoutes answer without a bearer token; every other route needs one.
var publicRoutes = map[string]bool{
	"/payouts/webhook": true, "/healthz": true, "/readyz": true, "/openapi.yaml": true, "/metrics": true,
}

// rowCounts counts the rows of every table in the schema, so a table added
// later is covered without touching this test.
func rowCounts(t *testing.T, e *testenv.Env) map[string]int {
	ctx := context.Background()
	rows, err := e.Store.Pool().Query(ctx, `
		SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	counts := map[string]int{}
	for _, table := range tables {
		counts[table] = tableRows(t, e, pgx.Identifier{table}.Sanitize())
	}
	return counts
}

// requestBodies are requests that would succeed with a valid token, so a
// refusal proves the token check, not input validation, stopped them.
var requestBodies = map[string]string{
	"POST /clients/{client_id}/payout":       `{"asset":"USDT","network":"tron","amount":"5","address":"` + tronAddress + `"}`,
	"PUT /clients/{client_id}/wallets":       `{"asset":"USDT","network":"tron","address":"` + tronAddress + `","default":true}`,
	"POST /clients/{client_id}/payout/quote": `{"asset":"USDT","network":"tron","amount":"5","address":"` + tronAddress + `"}`,
}

func TestAdminRoutesWithoutAValidTokenAre401AndChangeNothing(t *testing.T) {
	// No worker: the payout below stays requested, and nothing moves
	// unless a refused request moved it.
	logs := &testenv.LogBuffer{}
	e := testenv.New(t, testenv.Options{NoWorker: true, Logs: logs})
	existing := accepted(t, e, "80", "existing", body("5", tronAddress))
	// The routes come from the API router as production builds it (the
	// server wraps it with the operations endpoints); the requests go to
	// the running server.
	api := httpapi.New(httpapi.Deps{Logger: slog.New(slog.DiscardHandler)})
	mux, ok := api.(chi.Routes)
	require.True(t, ok, "httpapi.New must return the chi router (got %T)", api)
	before := rowCounts(t, e)
	require.Contains(t, before, "payouts")
	require.Contains(t, before, "payout_events")
	require.Contains(t, before, "client_wallets")
	require.Contains(t, before, "webhook_inbox")

	var refused []string
	sent := 0
	err := chi.Walk(mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if publicRoutes[route] {
			return nil
		}
		path := strings.NewReplacer("{client_id}", "80", "{id}", existing.ID).Replace(route)
		b := requestBodies[method+" "+route]
		if b == "" && method != http.MethodGet {
			b = `{}`
		}
		for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Bearer " + testenv.AdminToken + "0", "Basic " + testenv.AdminToken} {
			var reqBody []byte
			if b != "" {
				reqBody = []byte(b)
			}
			resp := e.Do(method, path, reqBody, map[string]string{"Authorization": auth, "Idempotency-Key": "refused-" + route})
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s %s with %q", method, path, auth)
			assert.NotEmpty(t, resp.Header.Get("WWW-Authenticate"))
			sent++
		}
		refused = append(refused, method+" "+route)
		return nil
	})
	require.NoError(t, err)
	assert.Contains(t, refused, "POST /clients/{client_id}/payout")
	assert.Contains(t, refused, "PUT /clients/{client_id}/wallets")

	assert.Equal(t, before, rowCounts(t, e), "no table changed")
	assert.Equal(t, sent, strings.Count(logs.String(), "admin route refused"), "one log line per refusal")
	assert.NotContains(t, logs.String(), "wrong-token-0123456789")
	stored, err := e.Store.GetPayout(context.Background(), existing.ID)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, stored.Status)
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
}
