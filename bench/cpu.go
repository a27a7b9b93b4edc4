package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
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
	BenchMs     float64 `json:"bench_process_ms"` // API, worker, sandbox and the load generator
	TotalMs     float64 `json:"total_ms"`
}

type cpuSample struct{ devServer, postgres, self time.Duration }

type cpuMeter struct{ devServerPID int }

// sample reads the CPU time used so far. Postgres is every process named
// postgres, plus the time of backends that have exited, which the kernel
// adds to the postmaster's children counters.
func (m cpuMeter) sample() (cpuSample, error) {
	dev, _, err := procCPU(strconv.Itoa(m.devServerPID))
	if err != nil {
		return cpuSample{}, fmt.Errorf("CPU of the dev server: %w", err)
	}
	self, _, err := procCPU("self")
	if err != nil {
		return cpuSample{}, fmt.Errorf("CPU of this process: %w", err)
	}
	pg, err := postgresCPU()
	if err != nil {
		return cpuSample{}, err
	}
	return cpuSample{devServer: dev, postgres: pg, self: self}, nil
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
	c.TotalMs = c.DevServerMs + c.PostgresMs + c.BenchMs
	return c
}

func postgresCPU() (time.Duration, error) {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	var total time.Duration
	for _, stat := range stats {
		pid := filepath.Base(filepath.Dir(stat))
		own, children, err := procCPU(pid)
		if err != nil || !isPostgres(pid) {
			continue // the process ended meanwhile, or is not Postgres
		}
		total += own
		if !isPostgres(parentPID(pid)) {
			total += children // the postmaster: its reaped backends
		}
	}
	return total, nil
}

func isPostgres(pid string) bool {
	comm, err := os.ReadFile("/proc/" + pid + "/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "postgres"
}

func parentPID(pid string) string {
	f, err := statFields(pid)
	if err != nil {
		return ""
	}
	return f[1]
}

// procCPU returns a process's own CPU time (user + system) and that of
// its reaped children.
func procCPU(pid string) (own, children time.Duration, err error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, 0, err
	}
	ticks := func(i int) time.Duration {
		v, _ := strconv.ParseInt(f[i], 10, 64) // the kernel writes integers
		return time.Duration(v) * time.Second / clockTick
	}
	return ticks(11) + ticks(12), ticks(13) + ticks(14), nil
}

// statFields returns /proc/<pid>/stat's fields after the command name,
// which may hold spaces: f[0] is the state, f[1] the parent, f[11] utime.
func statFields(pid string) ([]string, error) {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil, err
	}
	i := strings.LastIndex(string(data), ") ")
	if i < 0 {
		return nil, fmt.Errorf("unexpected /proc/%s/stat", pid)
	}
	f := strings.Fields(string(data)[i+2:])
	if len(f) < 15 {
		return nil, fmt.Errorf("unexpected /proc/%s/stat", pid)
	}
	return f, nil
}
