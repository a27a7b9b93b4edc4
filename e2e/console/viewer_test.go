package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/console"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// tableRows counts every table's rows (sessions aside: signing in writes one).
func tableRows(t *testing.T, e *testenv.Env) map[string]int {
	ctx := context.Background()
	rows, err := e.Store.Pool().Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
		AND table_name NOT IN ('goose_db_version', 'console_sessions')`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	out := map[string]int{}
	for _, table := range tables {
		var n int
		require.NoError(t, e.Store.Pool().QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n))
		out[table] = n
	}
	return out
}

// Every change the console offers, posted by a viewer with a valid
// session and CSRF token, is refused and changes nothing: the console
// has no route the use cases do not guard.
func TestConsoleEveryChangeIsRefusedToAViewer(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, AdminTokens: viewerCredentials(t)})
	resp := e.Do(http.MethodPost, "/clients/990/payout",
		[]byte(`{"asset":"USDT","network":"tron","amount":"5","address":"`+tronAddress+`"}`),
		map[string]string{"Idempotency-Key": "viewer-target"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()
	p := lastPayout(t, e, "990")
	resp = e.Do(http.MethodPut, "/clients/990/wallets",
		[]byte(`{"asset":"USDT","network":"tron","address":"`+tronAddress+`","default":true}`), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
	wallets, err := e.Store.ListWallets(context.Background(), "990")
	require.NoError(t, err)
	require.Len(t, wallets, 1)

	vera := newAgent(t, e)
	vera.signIn(viewerToken)
	_, page := vera.get("/console/clients?client_id=990")
	assert.NotContains(t, page, `name="wallet"`, "a viewer gets no wallet buttons")
	// The wallet's reference as an admin's page carries it, so the role
	// check, not a missing wallet, is what refuses the viewer.
	alice := newAgent(t, e)
	alice.signIn(testenv.AdminToken)
	_, page = alice.get("/console/clients?client_id=990")
	ref := regexp.MustCompile(`name="wallet" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	require.NotNil(t, ref, "an admin gets the wallet buttons")
	before := tableRows(t, e)

	h, err := console.New(console.Deps{})
	require.NoError(t, err)
	ids := strings.NewReplacer("{client_id}", "990", "{id}", p.ID, "{action}", "pause")
	form := url.Values{"asset": {"USDT"}, "network": {"tron"}, "amount": {"5"}, "address": {tronAddress},
		"idempotency_key": {"viewer-forged"}, "default": {"on"}, "name": {"weekly"}, "cron": {"0 9 * * MON"},
		"note": {"forged"}, "wallet": {ref[1]}}
	walked := 0
	err = chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if method != http.MethodPost || route == "/signin" || route == "/signout" || route == "/static/*" {
			return nil
		}
		walked++
		status, body := vera.post("/console"+ids.Replace(route), form)
		assert.GreaterOrEqual(t, status, 400, "%s: %s", route, body)
		// Campaign routes get no campaign here (upload without a file,
		// a payout's id): refused before their use case.
		if !strings.HasPrefix(route, "/campaigns") {
			assert.Contains(t, body, "vera may not", "%s is refused for the role", route)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, walked, 10, "the walk found the console's changes")
	assert.Equal(t, before, tableRows(t, e), "no table changed")
}
