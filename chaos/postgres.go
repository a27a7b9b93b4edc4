package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a PostgreSQL server of the run's own, initdb'ed into a
// temporary directory with Debian's binaries: restarting it kills every
// connection at once, which the machine's shared cluster must never see
// (other tests use it).
type Postgres struct {
	bin     string // directory of initdb, pg_ctl, postgres
	dataDir string
	port    int
	logPath string
	asUser  string // run the binaries as this user ("" : as ourselves)

	mu       sync.Mutex
	restarts int
}

// pgBinDir finds Debian's PostgreSQL binaries, the newest version first.
func pgBinDir() (string, error) {
	dirs, err := filepath.Glob("/usr/lib/postgresql/*/bin")
	if err != nil || len(dirs) == 0 {
		return "", errors.New("no /usr/lib/postgresql/*/bin: install the postgresql package (initdb, pg_ctl)")
	}
	best, bestVersion := "", -1
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if err == nil && v > bestVersion {
			best, bestVersion = d, v
		}
	}
	if best == "" {
		best = dirs[len(dirs)-1]
	}
	return best, nil
}

// StartPostgres initdb's a cluster under dir (trust auth, loopback only)
// on a free port below the ephemeral range and starts it. initdb refuses
// to run as root, so as root the cluster belongs to the postgres user.
func StartPostgres(dir, logPath string) (*Postgres, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &Postgres{bin: bin, dataDir: filepath.Join(dir, "pgdata"), port: port, logPath: logPath}
	if os.Geteuid() == 0 {
		p.asUser = "postgres"
		if err := chownTo(dir, p.asUser); err != nil {
			return nil, err
		}
	}
	if err := p.run("initdb", "-D", p.dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"); err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		return nil, err
	}
	return p, nil
}

// DSN of the server's postgres database, for creating the run's database.
func (p *Postgres) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Addr is the server's host:port, which the proxy forwards to.
func (p *Postgres) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

func (p *Postgres) start() error {
	// fsync off: a server killed with -m immediate still recovers from its
	// WAL (only an OS crash would need the fsyncs), and the run is quicker.
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off -c max_connections=200",
		p.port, p.dataDir)
	if err := p.run("pg_ctl", "start", "-w", "-t", "60", "-D", p.dataDir, "-l", p.logPath, "-o", opts); err != nil {
		return err
	}
	return p.waitReady()
}

// Restart stops the server the way a crash does (pg_ctl -m immediate:
// every backend gone at once, no checkpoint) and starts it again, which
// recovers from the WAL.
func (p *Postgres) Restart() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", p.dataDir); err != nil {
		return err
	}
	p.restarts++
	return p.start()
}

// Ensure starts the server unless it is running (a restart whose start
// failed leaves it down).
func (p *Postgres) Ensure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.run("pg_ctl", "status", "-D", p.dataDir) == nil {
		return nil
	}
	return p.start()
}

// Restarts counts the restarts.
func (p *Postgres) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Stop shuts the server down for good.
func (p *Postgres) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", p.dataDir)
}

func (p *Postgres) waitReady() error {
	var last error
	for range 300 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.DSN())
		if err == nil {
			err = errors.Join(conn.Ping(ctx), conn.Close(ctx))
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("postgres on port %d not ready: %w", p.port, last)
}

func (p *Postgres) run(tool string, args ...string) error {
	path := filepath.Join(p.bin, tool)
	cmd := exec.Command(path, args...)
	if p.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.asUser, "--", path}, args...)...)
	}
	// Its own process group: a test's Ctrl-C must not reach the server
	// before the cleanup stops it.
	cmd.SysProcAttr = sysProcAttr()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", tool, strings.Join(args, " "), err, out)
	}
	return nil
}

func chownTo(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("running as root, the chaos Postgres needs the %s user: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	return nil
}
