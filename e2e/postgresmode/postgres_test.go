// Package postgresmode runs the product on the dev server's PostgreSQL mode
// (PAYOUTS_TEMPORAL_PERSISTENCE=postgres): Temporal's persistence and
// visibility in PostgreSQL with several history shards, the production
// shape. It starts its own servers, so it has no testenv.Main.
package postgresmode

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// The schema versions of Temporal server v1.30.4 (devserver/go.mod), from
// its schema/postgresql/v12/version.go.
const (
	latestSchema           = "1.18"
	latestVisibilitySchema = "1.13"
	oldSchema              = "1.10"
)

func TestPostgresModePaysSurvivesRestartAndUpgradesSchema(t *testing.T) {
	ctx := context.Background()
	pg := &devtemporal.Postgres{DSN: testdb.BaseDSN(), Database: devtemporal.ThrowawayDatabase("payouts_pgmode"),
		Shards: 4, SchemaVersion: oldSchema}
	t.Cleanup(func() { assert.NoError(t, pg.Drop(context.Background())) })

	// An installation of an older server: its schema is upgraded at start.
	require.NoError(t, devtemporal.SetupPostgres(ctx, pg))
	requireSchema(t, pg, oldSchema, oldSchema)
	pg.SchemaVersion = ""

	srv := start(t, pg, 0)
	requireSchema(t, pg, latestSchema, latestVisibilitySchema)
	assert.Equal(t, 4, count(t, pg, "SELECT count(*) FROM shards"), "one row per history shard")

	e := testenv.New(t, testenv.Options{TemporalAddress: srv.HostPort()})
	resp := e.Do(http.MethodPost, "/clients/42/payout",
		[]byte(`{"asset":"USDT","network":"tron","amount":"12.5","address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}`),
		map[string]string{"Idempotency-Key": "pg-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	var created struct{ ID string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&created))
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(created.ID).Status)
	require.NoError(t, srv.Stop())

	// A second start on the same databases: setup is a no-op, and the
	// workflow is where Temporal left it, in PostgreSQL.
	port := portOf(t, srv.HostPort())
	srv = start(t, pg, port)
	requireSchema(t, pg, latestSchema, latestVisibilitySchema)
	desc, err := e.Temporal.DescribeWorkflowExecution(ctx, payout.WorkflowID(created.ID), "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.GetWorkflowExecutionInfo().GetStatus())
	assert.Positive(t, count(t, pg, "SELECT count(*) FROM executions"), "the payout's execution is a row in PostgreSQL")
	require.NoError(t, srv.Stop())
}

// start runs the dev server in postgres mode on port (0: any), stopped at
// cleanup if the test has not stopped it.
func start(t *testing.T, pg *devtemporal.Postgres, port int) *devtemporal.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	srv, err := devtemporal.Start(ctx, devtemporal.Options{Postgres: pg, Port: port, Stderr: os.Stderr})
	require.NoError(t, err, "needs the Temporal dev server, built from ./devserver (make devserver), and PostgreSQL")
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func requireSchema(t *testing.T, pg *devtemporal.Postgres, persistence, visibility string) {
	t.Helper()
	gotP, gotV, err := pg.SchemaVersions(context.Background())
	require.NoError(t, err)
	require.Equal(t, [2]string{persistence, visibility}, [2]string{gotP, gotV}, "schema versions (persistence, visibility)")
}

func count(t *testing.T, pg *devtemporal.Postgres, query string) int {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(pg.DSN)
	require.NoError(t, err)
	cfg.Database = pg.Database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	var n int
	require.NoError(t, conn.QueryRow(ctx, query).Scan(&n))
	return n
}

func portOf(t *testing.T, hostPort string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(hostPort)
	require.NoError(t, err)
	port, err := strconv.Atoi(p)
	require.NoError(t, err)
	return port
}
