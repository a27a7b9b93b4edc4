package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/devtemporal"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

// Credentials of the run; they only ever unlock this run's sandbox and API.
const (
	MerchantID = "c4a05000-0000-4000-8000-00000000c4a0"
	APIKey     = "chaos-payout-key-000000000000000"
	AdminName  = "chaos"
	AdminToken = "chaos-admin-token-0000000000000"
	TaskQueue  = "chaos-payouts"
)

// InitialBalance is the sandbox balance of every currency the plan uses.
var InitialBalance = decimal.NewFromInt(1_000_000_000)

// StackOptions configure the environment.
type StackOptions struct {
	Seed   int64
	Bin    string // bin/payouts; built into LogDir when empty
	LogDir string // children's logs
	// Timing of the payout workflow, short so dropped webhooks end in polls
	// within seconds.
	WebhookWait, PollInitial, PollMax time.Duration
	SettleAfter, CheckAfter           time.Duration // sandbox progression
	// Env is added to the environment of the api and the worker.
	Env []string
	// Instances of the api and of the worker (default 1); the client goes
	// round robin over the APIs, and each worker gives Heleket the address
	// of a different API for its webhooks.
	Instances int
	// OwnPostgres puts the product's database on a PostgreSQL server of
	// the run's own, which a monkey may restart (Stack.PG); otherwise it
	// lives on the shared server of DATABASE_URL.
	OwnPostgres bool
	// WorkerBin, when set, is the binary of the workers (a rolling deploy
	// starts them from another build than the api's).
	WorkerBin string
}

// Stack is the product as deployed, on one machine: the Temporal dev
// server, Postgres behind a fault proxy, the Heleket sandbox behind the
// create trap, and `payouts api` and `payouts worker` as child processes.
type Stack struct {
	opts       StackOptions
	Temporal   client.Client
	PG         *Postgres    // the run's own server (OwnPostgres), else nil
	Store      *store.Store // direct to Postgres, for checks: never through the proxy
	Sandbox    *sandbox.Sandbox
	SandboxURL string
	Trap       *CreateTrap
	Hold       *CreateHold // in front of Trap
	Proxy      *Proxy
	API        *Proc // APIs[0]
	Worker     *Proc // Workers[0]
	APIs       []*Proc
	Workers    []*Proc
	APIURL     string // APIURLs[0]
	APIURLs    []string
	appDSN     string // through the proxy
	temporal   string

	temporalMu    sync.Mutex
	temporalSrv   *devtemporal.Server
	temporalOpts  devtemporal.Options
	temporalKills int
}

// StartStack starts everything and registers its teardown with t.
func StartStack(t testing.TB, o StackOptions) *Stack {
	t.Helper()
	s := &Stack{opts: o}
	if s.opts.Bin == "" {
		s.opts.Bin = BuildBinary(t, o.LogDir)
	}
	if s.opts.WorkerBin == "" {
		s.opts.WorkerBin = s.opts.Bin
	}
	s.opts.Instances = max(1, s.opts.Instances)
	if s.opts.OwnPostgres {
		s.startOwnPostgres(t)
	}
	s.startTemporal(t)
	s.startDatabase(t)
	s.startSandbox(t)
	for i := range s.opts.Instances {
		s.startAPI(t, i)
	}
	for i := range s.opts.Instances {
		s.StartWorker(t, i, s.opts.WorkerBin)
	}
	s.API, s.Worker = s.APIs[0], s.Workers[0]
	return s
}

// BuildBinary builds cmd/payouts into dir.
func BuildBinary(t testing.TB, dir string) string {
	t.Helper()
	return BuildTagged(t, filepath.Join(dir, "payouts"), "")
}

// BuildTagged builds cmd/payouts with build tags (none when "") into bin.
func BuildTagged(t testing.TB, bin, tags string) string {
	t.Helper()
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	cmd := exec.Command("go", "build", "-tags", tags, "-o", bin, "./cmd/payouts")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build -tags %q ./cmd/payouts:\n%s", tags, out)
	return bin
}

func (s *Stack) startTemporal(t testing.TB) {
	logf, err := os.Create(filepath.Join(s.opts.LogDir, "temporal.log"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = logf.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// A fixed port and a database file (SQLite) or databases of the run's
	// own (PAYOUTS_TEMPORAL_PERSISTENCE=postgres, the production shape; on
	// the run's own PostgreSQL with OwnPostgres, so its restarts hit
	// Temporal too): a server killed and started again is found at the
	// same address with every workflow it had.
	serverDSN := testdb.BaseDSN()
	if s.PG != nil {
		serverDSN = s.PG.DSN()
	}
	pg, err := devtemporal.PostgresFromEnv(serverDSN, devtemporal.ThrowawayDatabase("payouts_chaos"))
	require.NoError(t, err)
	if pg != nil {
		t.Cleanup(func() { assert.NoError(t, pg.Drop(context.Background())) })
	}
	port, err := freePort()
	require.NoError(t, err)
	s.temporalOpts = devtemporal.Options{Port: port, DBFile: filepath.Join(s.opts.LogDir, "temporal.db"), Stderr: logf,
		Postgres: pg}
	srv, err := devtemporal.Start(ctx, s.temporalOpts)
	require.NoError(t, err, "the chaos test needs the Temporal dev server, built from ./devserver (make devserver)")
	s.temporalSrv = srv
	t.Cleanup(func() { // before the drop: cleanups run last first
		s.temporalMu.Lock()
		defer s.temporalMu.Unlock()
		_ = s.temporalSrv.Stop()
	})
	s.temporal = srv.HostPort()
	s.Temporal, err = client.Dial(client.Options{HostPort: s.temporal,
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelWarn})))})
	require.NoError(t, err)
	t.Cleanup(s.Temporal.Close)
}

// startDatabase makes a fresh database and puts the proxy in front of its
// server; the service gets the proxied address.
func (s *Stack) startDatabase(t testing.TB) {
	dsn := s.newDatabase(t)
	var err error
	s.Store, err = store.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(s.Store.Close)
	u, err := url.Parse(dsn)
	require.NoError(t, err, "the chaos test needs DATABASE_URL in URL form")
	s.Proxy, err = NewProxy(u.Host)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Proxy.Close() })
	u.Host = s.Proxy.Addr()
	s.appDSN = u.String()
}

func (s *Stack) startSandbox(t testing.TB) {
	s.Sandbox = sandbox.New(sandbox.Config{
		MerchantID: MerchantID, APIKey: APIKey, Seed: s.opts.Seed,
		SettleAfter: s.opts.SettleAfter, CheckAfter: s.opts.CheckAfter, WebhookRetry: 100 * time.Millisecond,
		Balances: map[string]decimal.Decimal{"USDT": InitialBalance, "TRX": InitialBalance},
	})
	t.Cleanup(func() { _ = s.Sandbox.Close() })
	s.Trap = &CreateTrap{Next: s.Sandbox.Handler(), Known: func(id string) bool { _, ok := s.Sandbox.Payout(id); return ok }}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.Hold = &CreateHold{Next: s.Trap}
	srv := &http.Server{Handler: s.Hold, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }() // ends with ErrServerClosed at cleanup
	// Close, not Shutdown: timeout faults hold requests open on purpose.
	t.Cleanup(func() { _ = srv.Close() })
	s.SandboxURL = "http://" + ln.Addr().String()
}

func (s *Stack) startAPI(t testing.TB, i int) {
	addr := freeAddr(t)
	url := "http://" + addr
	s.APIURLs = append(s.APIURLs, url)
	s.APIURL = s.APIURLs[0]
	name := instanceName("api", i)
	p := s.newProc(t, name, "api", s.opts.Bin, "HTTP_ADDR="+addr, "PUBLIC_BASE_URL="+url)
	s.APIs = append(s.APIs, p)
	require.NoError(t, p.Start())
	require.NoError(t, s.waitHTTP(url+"/readyz", 600), "payouts api did not become ready; see %s", s.logPath(name))
}

// StartWorker starts worker i from bin (a new one when i is past the
// last) and waits until it polls. Worker i gives Heleket API i's address
// for webhooks: with two of each, webhooks reach both.
func (s *Stack) StartWorker(t testing.TB, i int, bin string) *Proc {
	name := instanceName("worker", i)
	// Logged after the log's start-of-process marker, so a restarted
	// log's old "worker started" line is not taken for the new one.
	mark := fileSize(s.logPath(name))
	p := s.newProc(t, name, "worker", bin, "WORKER_METRICS_ADDR=127.0.0.1:0",
		"PUBLIC_BASE_URL="+s.APIURLs[i%len(s.APIURLs)])
	if i < len(s.Workers) {
		s.Workers[i] = p
	} else {
		s.Workers = append(s.Workers, p)
	}
	require.NoError(t, p.Start())
	require.NoError(t, waitForLogAfter(s.logPath(name), mark, "worker started", 600),
		"payouts worker did not start; see %s", s.logPath(name))
	return p
}

// instanceName is api, api2, …: the first keeps the name of a single
// instance's log.
func instanceName(kind string, i int) string {
	if i == 0 {
		return kind
	}
	return fmt.Sprintf("%s%d", kind, i+1)
}

func (s *Stack) newProc(t testing.TB, name, command, bin string, extra ...string) *Proc {
	p, err := NewProc(ProcSpec{Name: name, Path: bin, Args: []string{command}, Env: append(s.env(), extra...),
		LogPath: s.logPath(name)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (s *Stack) logPath(name string) string { return filepath.Join(s.opts.LogDir, name+".log") }

// env is the whole environment of the api and the worker: the same for
// both, as in a deployment.
func (s *Stack) env() []string {
	return append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"TEMPORAL_ADDRESS=" + s.temporal,
		"TEMPORAL_TASK_QUEUE=" + TaskQueue,
		"DATABASE_URL=" + s.appDSN,
		"HELEKET_PROJECT_URL=" + s.SandboxURL,
		"HELEKET_MERCHANT_ID=" + MerchantID,
		"HELEKET_API_KEY=" + APIKey,
		"ADMIN_TOKENS=" + AdminName + ":" + AdminToken,
		"PAYOUT_WEBHOOK_WAIT=" + s.opts.WebhookWait.String(),
		"PAYOUT_POLL_INITIAL=" + s.opts.PollInitial.String(),
		"PAYOUT_POLL_MAX=" + s.opts.PollMax.String(),
		// Reconciliation runs when the test asks, not on the schedule.
		"RECONCILE_EVERY=24h",
		// Outbound events: quick hand-overs and retries, so a flaky
		// receiver is caught up within the settle.
		"EVENT_DISPATCH_INTERVAL=200ms",
		"EVENT_RETRY_INITIAL=200ms",
		"EVENT_RETRY_MAX=2s",
		"EVENT_DELIVERY_TIMEOUT=2s",
		"LOG_LEVEL=info",
		"LOG_FORMAT=json",
	}, s.opts.Env...)
}

// Client returns an admin client of the API instances.
func (s *Stack) Client() *Client {
	return &Client{BaseURLs: s.APIURLs, Token: AdminToken, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// freeAddr picks a loopback port for the API to listen on for the whole
// run, so webhooks and clients find it again after each restart. The port
// comes from below the kernel's ephemeral range: while the API is down, an
// outgoing connection could otherwise be given the port as its source
// and keep the API from binding it again.
func freeAddr(t testing.TB) string {
	port, err := freePort()
	require.NoError(t, err)
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// freePort is a loopback port below the ephemeral range that is free now.
func freePort() (int, error) {
	lo := ephemeralLow() - 1
	for range 100 {
		port := lo - mathrand.IntN(lo/2)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			return port, ln.Close()
		}
	}
	return 0, fmt.Errorf("no free port below %d", lo)
}

// ephemeralLow is the lowest port the kernel hands out to outgoing
// connections (Linux's default when it cannot be read).
func ephemeralLow() int {
	const linuxDefault = 32768
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return linuxDefault
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil || lo < 2048 {
		return linuxDefault
	}
	return lo
}

// waitHTTP polls url until it answers 200, at most attempts times.
func (s *Stack) waitHTTP(url string, attempts int) error {
	c := &http.Client{Timeout: 2 * time.Second}
	var last error
	for range attempts {
		resp, err := c.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s: %w", url, last)
}

// waitForLogAfter polls a log file until it contains substr past offset.
func waitForLogAfter(path string, offset int64, substr string, attempts int) error {
	for range attempts {
		b, err := os.ReadFile(path)
		if err == nil && int64(len(b)) >= offset && strings.Contains(string(b[offset:]), substr) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New(path + ": no line with " + substr)
}

// Crashes lists lines of the children's logs that show a crash: a Go
// panic, a fatal runtime error or a data race. A killed process leaves
// none of these; a bug does.
func (s *Stack) Crashes() []string {
	var out []string
	var names []string
	for i := range s.opts.Instances {
		names = append(names, instanceName("api", i), instanceName("worker", i))
	}
	for _, name := range names {
		b, err := os.ReadFile(s.logPath(name))
		if err != nil {
			out = append(out, fmt.Sprintf("%s log: %v", name, err))
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") || strings.Contains(line, "DATA RACE") {
				out = append(out, name+": "+line)
			}
		}
	}
	return out
}
