package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/internal/testdb"
)

// newDatabase makes the run's migrated database: on the run's own
// PostgreSQL server when OwnPostgres, on the shared one otherwise.
func (s *Stack) newDatabase(t testing.TB) string {
	if s.PG == nil {
		return testdb.New(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dsn, _, err := testdb.Create(ctx, s.PG.DSN()) // dropped with the server
	require.NoError(t, err)
	return dsn
}

// startOwnPostgres initdb's and starts the run's own PostgreSQL server.
func (s *Stack) startOwnPostgres(t testing.TB) {
	// Its own directory, not LogDir: the postgres user (initdb refuses
	// root) must own it, and a test's temporary directories are 0700.
	dir, err := os.MkdirTemp("", "payouts-chaos-pg-")
	require.NoError(t, err)
	pg, err := StartPostgres(dir, filepath.Join(dir, "postgres.log"))
	require.NoError(t, err, "the chaos run starts a PostgreSQL server of its own with Debian's initdb and pg_ctl")
	s.PG = pg
	t.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			t.Logf("stopping the chaos PostgreSQL: %v", err)
		}
		if t.Failed() {
			t.Logf("the chaos PostgreSQL's data and log kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
}

// KillTemporal kills the Temporal server with SIGKILL, as a crash would,
// and waits until it is gone. It reports whether it was running.
func (s *Stack) KillTemporal() bool {
	s.temporalMu.Lock()
	defer s.temporalMu.Unlock()
	select {
	case <-s.temporalSrv.Done():
		return false
	default:
	}
	_ = syscall.Kill(-s.temporalSrv.PID(), syscall.SIGKILL)
	<-s.temporalSrv.Done()
	s.temporalKills++
	return true
}

// StartTemporal starts the Temporal server again, on the same port and
// database file, unless it is running.
func (s *Stack) StartTemporal() error {
	s.temporalMu.Lock()
	defer s.temporalMu.Unlock()
	select {
	case <-s.temporalSrv.Done():
	default:
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var last error
	// The old server's port can linger a moment after the kill.
	for range 20 {
		srv, err := devtemporal.Start(ctx, s.temporalOpts)
		if err == nil {
			s.temporalSrv = srv
			return nil
		}
		last = err
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("restarting Temporal: %w", last)
}

// TemporalPersistence says where the Temporal server keeps its state.
func (s *Stack) TemporalPersistence() string {
	switch {
	case s.temporalOpts.Postgres == nil:
		return "SQLite file"
	case s.PG != nil:
		return "PostgreSQL, the run's own server"
	default:
		return "PostgreSQL, the shared server"
	}
}

// TemporalKills counts the kills of the Temporal server.
func (s *Stack) TemporalKills() int {
	s.temporalMu.Lock()
	defer s.temporalMu.Unlock()
	return s.temporalKills
}

// RestartPostgres restarts the run's own PostgreSQL server (pg_ctl -m
// immediate): every connection of the api, the workers and Temporal
// dies at once.
func (s *Stack) RestartPostgres() error {
	if s.PG == nil {
		return errors.New("the stack has no PostgreSQL of its own (StackOptions.OwnPostgres)")
	}
	return s.PG.Restart()
}
