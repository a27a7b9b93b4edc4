package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// clockTick is Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times;
// it is 100 on every architecture Go runs Linux on.
const clockTick = 100

// CPUCost is the CPU time one phase of a run took, by process, per
// workflow. On a machine with as many cores as this one has, the total is
// what bounds throughput once every core is busy: it shows where a
// payout's cost goes that the ceiling does not pay.
type CPUCost struct {
	DevServerMs float64 `json:"dev_server_ms"`
	PostgresMs  float64 `json:"postgres_ms"`
	// TemporalPostgresMs is the part of PostgresMs spent by the backends
	// connected to Temporal's databases (postgres mode only).
	TemporalPostgresMs float64 `json:"postgres_temporal_ms,omitempty"`
	// TemporalTransactions is not CPU but is read with it: the transactions
	// committed or rolled back in Temporal's databases (pg_stat_database),
	// per workflow.
	TemporalTransactions float64 `json:"temporal_db_transactions,omitempty"`
	BenchMs              float64 `json:"bench_process_ms"` // API, worker, sandbox and the load generator
	TotalMs              float64 `json:"total_ms"`
}

type cpuSample struct {
	devServer, postgres, self time.Duration
	temporalBackends          map[string]time.Duration // by pid
	temporalXacts             int64
}

type cpuMeter struct {
	devServerPID int         // 0: the server is not a process of this run
	temporalDBs  *pgBackends // nil: Temporal keeps no databases here
}

// pgBackends finds the backends of some databases by pid.
type pgBackends struct {
	dsn       string
	databases []string
}

// cpu reads the CPU time of every backend now connected to the databases.
// Temporal's pools keep their connections (devserver/postgres.go), so the
// same backends serve a whole phase; one that exits within it takes its
// time to the postmaster's children, counted in Postgres but not here.
func (b *pgBackends) cpu() (map[string]time.Duration, int64, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, b.dsn)
	if err != nil {
		return nil, 0, fmt.Errorf("CPU of Temporal's backends: connect: %w", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	rows, err := conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)", b.databases)
	if err != nil {
		return nil, 0, fmt.Errorf("CPU of Temporal's backends: %w", err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, 0, fmt.Errorf("CPU of Temporal's backends: %w", err)
	}
	// Backends report their counts at most once a second: the phases last
	// longer than that.
	var xacts int64
	err = conn.QueryRow(ctx, "SELECT coalesce(sum(xact_commit + xact_rollback), 0)::bigint FROM pg_stat_database WHERE datname = ANY($1)",
		b.databases).Scan(&xacts)
	if err != nil {
		return nil, 0, fmt.Errorf("transactions in Temporal's databases: %w", err)
	}
	out := make(map[string]time.Duration, len(pids))
	for _, pid := range pids {
		if d, err := procCPU(strconv.Itoa(int(pid))); err == nil { // else it ended meanwhile
			out[strconv.Itoa(int(pid))] = d
		}
	}
	return out, xacts, nil
}

// sample reads the CPU time used so far. Postgres is every process named
// postgres, plus the time of backends that have exited, which the kernel
// adds to the postmaster's children counters.
func (m cpuMeter) sample() (cpuSample, error) {
	var dev time.Duration
	if m.devServerPID != 0 {
		var err error
		if dev, err = procCPU(strconv.Itoa(m.devServerPID)); err != nil {
			return cpuSample{}, fmt.Errorf("CPU of the dev server: %w", err)
		}
	}
	var backends map[string]time.Duration
	var xacts int64
	if m.temporalDBs != nil {
		var err error
		if backends, xacts, err = m.temporalDBs.cpu(); err != nil {
			return cpuSample{}, err
		}
	}
	self, err := procCPU("self")
	if err != nil {
		return cpuSample{}, fmt.Errorf("CPU of this process: %w", err)
	}
	pg, err := postgresCPU()
	if err != nil {
		return cpuSample{}, err
	}
	return cpuSample{devServer: dev, postgres: pg, self: self, temporalBackends: backends, temporalXacts: xacts}, nil
}

// measure runs phase and returns its CPU time per workflow.
func (m cpuMeter) measure(n int, phase func() error) (CPUCost, error) {
	before, err := m.sample()
	if err != nil {
		return CPUCost{}, err
	}
	if err := phase(); err != nil {
		return CPUCost{}, err
	}
	after, err := m.sample()
	if err != nil {
		return CPUCost{}, err
	}
	return m.cost(before, after, n), nil
}

func (m cpuMeter) cost(before, after cpuSample, n int) CPUCost {
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	c := CPUCost{
		DevServerMs: per(after.devServer - before.devServer),
		PostgresMs:  per(after.postgres - before.postgres),
		BenchMs:     per(after.self - before.self),
	}
	var temporal time.Duration
	for pid, d := range after.temporalBackends {
		temporal += d - before.temporalBackends[pid] // 0 for a backend that came meanwhile
	}
	c.TemporalPostgresMs = per(temporal)
	c.TemporalTransactions = float64(after.temporalXacts-before.temporalXacts) / float64(n)
	c.TotalMs = c.DevServerMs + c.PostgresMs + c.BenchMs
	return c
}

// procStat is what the bench reads of /proc/<pid>/stat.
type procStat struct {
	comm, parent  string
	own, children time.Duration // user + system; children: reaped ones
}

func postgresCPU() (time.Duration, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	procs := make(map[string]procStat, len(stats))
	for _, stat := range stats {
		pid := filepath.Base(filepath.Dir(stat))
		if st, err := readStat(pid); err == nil { // else it ended meanwhile
			procs[pid] = st
		}
	}
	var total time.Duration
	for _, st := range procs {
		if st.comm != "postgres" {
			continue
		}
		total += st.own
		if procs[st.parent].comm != "postgres" {
			total += st.children // the postmaster: its exited backends
		}
	}
	return total, nil
}

// procCPU returns a process's own CPU time (user + system).
func procCPU(pid string) (time.Duration, error) {
	st, err := readStat(pid)
	return st.own, err
}

// readStat parses /proc/<pid>/stat: "pid (comm) state ppid ..." where comm
// may hold spaces and parentheses, so the fields start after the last ")".
func readStat(pid string) (procStat, error) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return procStat{}, err
	}
	open, end := strings.IndexByte(string(data), '('), strings.LastIndex(string(data), ") ")
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("unexpected /proc/%s/stat", pid)
	}
	f := strings.Fields(string(data)[end+2:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("unexpected /proc/%s/stat", pid)
	}
	ticks := func(i int) time.Duration {
		v, _ := strconv.ParseInt(f[i], 10, 64) // the kernel writes integers
		return time.Duration(v) * time.Second / clockTick
	}
	return procStat{comm: string(data)[open+1 : end], parent: f[1],
		own: ticks(11) + ticks(12), children: ticks(13) + ticks(14)}, nil
}
