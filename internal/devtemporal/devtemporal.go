// Package devtemporal builds and runs the repository's Temporal dev server
// (the separate Go module in <repo>/devserver) as a child process, for
// integration tests, `payouts dev` and benchmarks.
//
// The dev server is a single-process Temporal server on SQLite (or, with
// Options.Postgres, on PostgreSQL with several history shards) with the
// payouts custom search attributes (PayoutStatus, PayoutClientID,
// PayoutAsset, PayoutNetwork, PayoutOrigin: Keyword; PayoutNeedsAttention:
// Bool) registered in every namespace.
package devtemporal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// EnvBinary names an environment variable holding a prebuilt dev server
	// binary; when set, Binary returns it and never builds.
	EnvBinary = "PAYOUTS_DEVSERVER_BIN"

	// ReadyTimeout bounds how long Start waits for the ready line (twice
	// that in postgres mode).
	ReadyTimeout = 60 * time.Second

	// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
	stopGrace = 10 * time.Second

	readyPrefix = "devserver ready "
	binaryName  = "temporal-dev"
	stderrTail  = 16 << 10
)

// RepoRoot returns the repository root: the nearest directory, starting at
// the current working directory and walking up, that contains devserver/go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "devserver", "go.mod")); err == nil && !fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("devtemporal: no devserver/go.mod found in the current directory or any parent")
		}
		dir = parent
	}
}

var (
	binaryMu   sync.Mutex
	binaryPath string // memoized successful result of Binary
)

// Binary returns the path of the dev server binary: $PAYOUTS_DEVSERVER_BIN if
// set, otherwise <repo>/bin/temporal-dev, (re)built from <repo>/devserver
// when its sources changed (see Build).
func Binary(ctx context.Context) (string, error) { return binary(ctx, nil) }

func binary(ctx context.Context, progress io.Writer) (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("devtemporal: %s: %w", EnvBinary, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("devtemporal: %s: %w", EnvBinary, err)
		}
		return abs, nil
	}

	binaryMu.Lock()
	defer binaryMu.Unlock()
	if binaryPath != "" {
		return binaryPath, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p, err := build(ctx, root, progress)
	if err != nil {
		return "", err
	}
	binaryPath = p
	return p, nil
}

// goCommand returns the go tool to build with.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if goroot := os.Getenv("GOROOT"); goroot != "" {
		return filepath.Join(goroot, "bin", "go")
	}
	return "go"
}

// sourceStamp hashes everything that determines the dev server binary and
// lives in the repository (sources, go.mod, go.sum), plus the toolchain.
func sourceStamp(ctx context.Context, goTool, srcDir string) (string, error) {
	h := sha256.New()
	ver, err := exec.CommandContext(ctx, goTool, "env", "GOVERSION", "GOOS", "GOARCH").Output()
	if err != nil {
		return "", fmt.Errorf("devtemporal: go env: %w", err)
	}
	h.Write(ver)
	var files []string
	err = filepath.WalkDir(srcDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != srcDir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("devtemporal: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("devtemporal: %w", err)
		}
		rel, _ := filepath.Rel(srcDir, f)
		fmt.Fprintf(h, "%s %d\n", rel, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// lockFile takes an exclusive flock on path, polling so that ctx can abort
// the wait. The returned func releases it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("devtemporal: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("devtemporal: flock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("devtemporal: waiting for build lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Options configures Start.
type Options struct {
	// IP the frontend (and UI) bind to; default 127.0.0.1.
	IP string
	// Port is the frontend gRPC port; 0 lets the server pick a free one.
	Port int
	// UIPort is the Web UI port; 0 disables the UI, -1 picks a free one.
	UIPort int
	// DBFile is the SQLite file; "" means in-memory.
	DBFile string
	// Postgres, when set, puts Temporal on PostgreSQL instead of SQLite
	// (DBFile is then unused); see PostgresFromEnv.
	Postgres *Postgres
	// CodecEndpoint is a remote codec server the Web UI uses to decode payloads.
	CodecEndpoint string
	// Namespaces to register; nil means just "default".
	Namespaces []string
	// LogLevel of the server's stderr logging; "" means warn.
	LogLevel string
	// Stdout and Stderr receive the child's output (nil discards). The
	// ready line is consumed and not forwarded.
	Stdout, Stderr io.Writer
	// BuildProgress hears about a build of the binary, which takes minutes
	// the first time (nil: silence).
	BuildProgress io.Writer
}

// Server is a running dev server child process.
type Server struct {
	cmd      *exec.Cmd
	hostPort string
	uiURL    string
	stderr   *tailBuffer

	done    chan struct{} // closed when the process has exited
	waitErr error         // set before done is closed

	stopOnce sync.Once
	stopErr  error
}

// HostPort returns the frontend gRPC address, e.g. "127.0.0.1:34567".
func (s *Server) HostPort() string { return s.hostPort }

// UIURL returns the Web UI base URL, or "" when the UI is disabled.
func (s *Server) UIURL() string { return s.uiURL }

// PID is the server process's id, for tools that measure what it costs.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Done is closed when the server process exits.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop terminates the server: SIGTERM, then SIGKILL if it has not exited
// after 10s. It returns an error when the process did not exit cleanly.
// It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.done:
			// Exited on its own: report how.
			if s.waitErr != nil {
				s.stopErr = fmt.Errorf("devtemporal: server exited before Stop: %w%s", s.waitErr, s.stderr.describe())
			}
			return
		default:
		}
		pid := s.cmd.Process.Pid
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-s.done:
			if s.waitErr != nil {
				s.stopErr = fmt.Errorf("devtemporal: server did not exit cleanly: %w%s", s.waitErr, s.stderr.describe())
			}
		case <-time.After(stopGrace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-s.done
			s.stopErr = fmt.Errorf("devtemporal: server did not stop within %s of SIGTERM; killed%s", stopGrace, s.stderr.describe())
		}
	})
	return s.stopErr
}

// Start builds (if needed) and starts the dev server, and returns once it
// has printed its ready line: the frontend is serving and the search
// attributes are registered. ctx bounds only the start-up, not the server's
// lifetime; call Stop to end it.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := binary(ctx, opts.BuildProgress)
	if err != nil {
		return nil, err
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		s, err := start(ctx, bin, opts)
		if err == nil {
			return s, nil
		}
		// Ports chosen by the child can be taken by a parallel process
		// before the server binds them; just try again.
		var pe *portInUseError
		if attempt < attempts && errors.As(err, &pe) && ctx.Err() == nil {
			continue
		}
		return nil, err
	}
}

type portInUseError struct{ err error }

func (e *portInUseError) Error() string { return e.err.Error() }
func (e *portInUseError) Unwrap() error { return e.err }

func start(ctx context.Context, bin string, opts Options) (*Server, error) {
	ip := opts.IP
	if ip == "" {
		ip = "127.0.0.1"
	}
	uiPort := opts.UIPort
	if uiPort < -1 {
		uiPort = -1
	}
	args := []string{
		"-ip", ip,
		"-port", strconv.Itoa(opts.Port),
		"-ui-port", strconv.Itoa(uiPort),
		"-db-filename", opts.DBFile,
	}
	var env []string
	readyTimeout := ReadyTimeout
	if opts.Postgres != nil {
		pgArgs, pgEnv, err := opts.Postgres.args()
		if err != nil {
			return nil, err
		}
		args, env = append(args, pgArgs...), pgEnv
		// Schema setup and namespace registration come first.
		readyTimeout *= 2
	}
	if opts.CodecEndpoint != "" {
		args = append(args, "-ui-codec-endpoint", opts.CodecEndpoint)
	}
	if len(opts.Namespaces) > 0 {
		args = append(args, "-namespace", strings.Join(opts.Namespaces, ","))
	}
	if opts.LogLevel != "" {
		args = append(args, "-log-level", opts.LogLevel)
	}

	s := &Server{
		stderr: &tailBuffer{max: stderrTail, forward: opts.Stderr},
		done:   make(chan struct{}),
	}
	ready := &readyWriter{forward: opts.Stdout, ready: make(chan string, 1)}
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout = ready
	cmd.Stderr = s.stderr
	cmd.SysProcAttr = sysProcAttr()
	// Don't hang in Wait if something inherited the output pipes.
	cmd.WaitDelay = 5 * time.Second
	s.cmd = cmd

	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("devtemporal: starting %s: %w", bin, err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	fail := func(format string, a ...any) (*Server, error) {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		return nil, fmt.Errorf("devtemporal: "+format+"%s", append(a, s.stderr.describe())...)
	}
	select {
	case line := <-ready.ready:
		fields := parseReadyLine(line)
		s.hostPort = fields["frontend"]
		if ui := fields["ui"]; ui != "none" {
			s.uiURL = ui
		}
		if s.hostPort == "" {
			return fail("malformed ready line %q", line)
		}
		return s, nil
	case <-s.done:
		err := fmt.Errorf("devtemporal: dev server exited before becoming ready: %v%s", s.waitErr, s.stderr.describe())
		if tail := s.stderr.String(); strings.Contains(tail, "address already in use") && !mentionsPort(tail, opts.Port, opts.UIPort) {
			// A port the child picked itself was taken meanwhile.
			return nil, &portInUseError{err: err}
		}
		return nil, err
	case <-timer.C:
		return fail("dev server not ready after %s", readyTimeout)
	case <-ctx.Done():
		return fail("waiting for dev server: %v", ctx.Err())
	}
}

// mentionsPort reports whether text names one of the explicitly requested
// (positive) ports as ":port".
func mentionsPort(text string, ports ...int) bool {
	for _, p := range ports {
		if p > 0 && strings.Contains(text, ":"+strconv.Itoa(p)+":") {
			return true
		}
	}
	return false
}

// parseReadyLine parses "devserver ready frontend=H:P ui=URL" into fields.
func parseReadyLine(line string) map[string]string {
	fields := map[string]string{}
	for _, f := range strings.Fields(strings.TrimPrefix(line, readyPrefix)) {
		if k, v, ok := strings.Cut(f, "="); ok {
			fields[k] = v
		}
	}
	return fields
}

// readyWriter watches the child's stdout for the ready line and forwards
// everything else.
type readyWriter struct {
	forward io.Writer
	ready   chan string
	mu      sync.Mutex
	line    []byte
	seen    bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			w.line = append(w.line, rest...)
			break
		}
		w.line = append(w.line, rest[:i+1]...)
		rest = rest[i+1:]
		line := strings.TrimRight(string(w.line), "\r\n")
		w.line = w.line[:0]
		if !w.seen && strings.HasPrefix(line, readyPrefix) {
			w.seen = true
			w.ready <- line
			continue
		}
		if w.forward != nil {
			_, _ = io.WriteString(w.forward, line+"\n")
		}
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written and forwards everything.
type tailBuffer struct {
	max     int
	forward io.Writer
	mu      sync.Mutex
	buf     []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.forward != nil {
		_, _ = t.forward.Write(p)
	}
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// describe renders the stderr tail for error messages.
func (t *tailBuffer) describe() string {
	s := strings.TrimSpace(t.String())
	if s == "" {
		return " (no stderr output)"
	}
	return "\n--- dev server stderr (tail) ---\n" + s
}
