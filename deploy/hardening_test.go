package deploy

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/workflows"
)

// The Temporal UI can terminate, reset and signal payouts: it is published
// on loopback only, like every port but the api's.
func TestOnlyTheAPIIsPublishedBeyondLoopback(t *testing.T) {
	for name, svc := range load(t) {
		for _, p := range svc.Ports {
			if name == "api" {
				continue
			}
			assert.True(t, strings.HasPrefix(p, "127.0.0.1:"), "%s publishes %s beyond loopback", name, p)
		}
	}
	assert.Equal(t, []string{"127.0.0.1:8233:8233"}, load(t)["temporal-ui"].Ports)
}

func TestTemporalSettingsThatCannotBeLeftToDefaults(t *testing.T) {
	env := load(t)["temporal"].Environment
	shards, err := strconv.Atoi(env["NUM_HISTORY_SHARDS"])
	require.NoError(t, err, "NUM_HISTORY_SHARDS is set explicitly: it can never change after the first start")
	assert.Positive(t, shards)
	assert.Contains(t, []string{"true", "false"}, env["TEMPORAL_ALLOW_NO_AUTH"], "running without an authorizer is a stated choice")
	ui := load(t)["temporal-ui"].Environment
	assert.Contains(t, ui, "TEMPORAL_AUTH_ENABLED", "the UI's login is a stated choice")
	raw, err := os.ReadFile("../docker-compose.yml")
	require.NoError(t, err)
	assert.Contains(t, string(raw), "can never change", "the compose file says why the shard count is pinned")
}

// Connections each process may open beyond what compose states: the Temporal
// server runs four services (frontend, history, matching, worker) in one
// process, each with its own default and visibility pools; goose holds its
// lock session and a migration connection; temporal-sql-tool uses one.
const (
	temporalServices   = 4
	migrateConns       = 2
	schemaToolConns    = 1
	superuserReserved  = 3 // PostgreSQL's superuser_reserved_connections default
	operatorHeadroom   = 10
	pgxDefaultPoolSize = 0
)

func atoi(t *testing.T, svc, key, v string) int {
	t.Helper()
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s sets %s to a number", svc, key)
	return n
}

func TestPoolsFitPostgresMaxConnections(t *testing.T) {
	s := load(t)
	var maxConns int
	for i, arg := range s["postgres"].Command {
		if v, ok := strings.CutPrefix(arg, "max_connections="); ok && i > 0 && s["postgres"].Command[i-1] == "-c" {
			maxConns = atoi(t, "postgres", "max_connections", v)
		}
	}
	require.Positive(t, maxConns, "postgres sets max_connections explicitly (command: postgres -c max_connections=N)")

	tenv := s["temporal"].Environment
	main := atoi(t, "temporal", "SQL_MAX_CONNS", tenv["SQL_MAX_CONNS"])
	vis := atoi(t, "temporal", "SQL_VIS_MAX_CONNS", tenv["SQL_VIS_MAX_CONNS"])
	assert.LessOrEqual(t, atoi(t, "temporal", "SQL_MAX_IDLE_CONNS", tenv["SQL_MAX_IDLE_CONNS"]), main)
	assert.LessOrEqual(t, atoi(t, "temporal", "SQL_VIS_MAX_IDLE_CONNS", tenv["SQL_VIS_MAX_IDLE_CONNS"]), vis)
	temporal := temporalServices * (main + vis)

	app := 0
	for _, name := range []string{"api", "worker"} {
		n := atoi(t, name, "DATABASE_MAX_CONNS", s[name].Environment["DATABASE_MAX_CONNS"])
		require.NotEqual(t, pgxDefaultPoolSize, n, "%s: pgx's default pool follows the CPU count, not the budget", name)
		app += n
	}
	total := temporal + app + migrateConns + schemaToolConns
	t.Logf("temporal %d + api/worker %d + migrate %d + schema %d = %d, + %d reserved + %d headroom vs max_connections %d",
		temporal, app, migrateConns, schemaToolConns, total, superuserReserved, operatorHeadroom, maxConns)
	assert.LessOrEqual(t, total+superuserReserved+operatorHeadroom, maxConns,
		"the pools and the headroom fit PostgreSQL's max_connections")
}

func TestSetupWaitsUntilTheSearchAttributesAnswerQueries(t *testing.T) {
	raw, err := os.ReadFile("temporal/setup.sh")
	require.NoError(t, err)
	script := string(raw)
	probe, _, ok := strings.Cut(script[strings.Index(script, "probe='")+len("probe='"):], "'")
	require.True(t, ok, "setup.sh defines the probe query")
	for _, attr := range []string{workflows.AttrStatus.GetName(), workflows.AttrClientID.GetName(), workflows.AttrAsset.GetName(),
		workflows.AttrNetwork.GetName(), workflows.AttrOrigin.GetName(), workflows.AttrNeedsAttention.GetName()} {
		assert.Contains(t, probe, attr+" = ", "the probe query uses %s", attr)
	}
	assert.Contains(t, script, `retry temporal workflow list --address "$addr" --namespace "$ns" --query "$probe"`)
	assert.Contains(t, script, `[ "$n" -ge 60 ]`, "the wait is bounded")
}
