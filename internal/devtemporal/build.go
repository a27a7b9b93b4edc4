package devtemporal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Build (re)builds <repo>/bin/temporal-dev from <repo>/devserver unless it is
// current, whatever $PAYOUTS_DEVSERVER_BIN says: it is what `make devserver`
// runs. A build first says on progress what it does and how long it takes,
// then counts the packages compiled; an up-to-date binary prints nothing.
func Build(ctx context.Context, progress io.Writer) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return build(ctx, root, progress)
}

// build is serialized across processes (parallel test packages) with a
// flock on <root>/bin/.temporal-dev.lock; the binary is written under a
// temporary name and renamed into place, so a running server is never
// overwritten. A stamp file (hash of the devserver sources and the go
// version) lets an unchanged binary be reused without invoking the linker;
// on a stamp miss `go build` runs, and Go's build cache keeps that cheap
// unless the Temporal dependencies themselves changed.
func build(ctx context.Context, root string, progress io.Writer) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	srcDir := filepath.Join(root, "devserver")
	binDir := filepath.Join(root, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", fmt.Errorf("devtemporal: %w", err)
	}
	target := filepath.Join(binDir, binaryName)
	unlock, err := lockFile(ctx, filepath.Join(binDir, "."+binaryName+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()

	goTool := goCommand()
	stamp, err := sourceStamp(ctx, goTool, srcDir)
	if err != nil {
		return "", err
	}
	stampFile := target + ".stamp"
	if old, err := os.ReadFile(stampFile); err == nil && string(old) == stamp {
		if _, err := os.Stat(target); err == nil {
			return target, nil
		}
	}
	if err := compile(ctx, goTool, srcDir, target, progress); err != nil {
		return "", err
	}
	if err := os.WriteFile(stampFile, []byte(stamp), 0o644); err != nil {
		return "", fmt.Errorf("devtemporal: %w", err)
	}
	return target, nil
}

func compile(ctx context.Context, goTool, srcDir, target string, progress io.Writer) error {
	start := time.Now()
	announce(progress, target)
	total := staleCount(ctx, goTool, srcDir, progress)
	tmp := fmt.Sprintf("%s.tmp-%d", target, os.Getpid())
	defer func() { _ = os.Remove(tmp) }()
	cmd := exec.CommandContext(ctx, goTool, "build", "-v", "-o", tmp, ".")
	cmd.Dir = srcDir
	// The devserver module is built on its own, never through a workspace.
	cmd.Env = append(os.Environ(), "GOWORK=off")
	counter := &buildCounter{out: progress, total: total}
	cmd.Stdout, cmd.Stderr = counter, counter
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("devtemporal: go build in %s: %w\n%s", srcDir, err, counter.messages())
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("devtemporal: %w", err)
	}
	fmt.Fprintf(progress, "  built %s in %s\n", relative(target), time.Since(start).Round(time.Second))
	return nil
}

// announce says what is about to take minutes, before it starts.
func announce(w io.Writer, target string) {
	what := "is missing: building"
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		what = "is out of date (devserver/ or the Go toolchain changed): rebuilding"
	}
	fmt.Fprintf(w, "%s %s the Temporal dev server (devserver/: Temporal server and Web UI, its own Go module).\n"+
		"  A first build takes about 6 minutes on 2 cores; later ones reuse Go's build cache and take seconds.\n",
		relative(target), what)
}

// staleCount is how many packages go build will compile, for the progress
// figures; 0 when go list cannot tell (the build then reports its own error).
func staleCount(ctx context.Context, goTool, srcDir string, progress io.Writer) int {
	cmd := exec.CommandContext(ctx, goTool, "list", "-deps", "-f", "{{if .Stale}}x{{end}}", ".")
	cmd.Dir = srcDir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stderr = progress // "go: downloading …" on a fresh module cache
	out, err := cmd.Output()
	if err != nil {
		return 0
	}
	return strings.Count(string(out), "x")
}

func relative(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// buildCounter reads `go build -v`, which names each package as it is
// compiled, one bare import path a line: those become progress lines at
// every tenth of the total; anything else (downloads, compiler errors) is
// passed on and kept for the error.
type buildCounter struct {
	out      io.Writer
	total    int
	mu       sync.Mutex
	partial  []byte
	done     int
	reported int
	other    bytes.Buffer
}

func (c *buildCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		c.line(string(c.partial[:i]))
		c.partial = c.partial[i+1:]
	}
}

func (c *buildCounter) line(line string) {
	if line == "" || strings.ContainsAny(line, " \t") || strings.HasPrefix(line, "#") {
		c.other.WriteString(line + "\n")
		fmt.Fprintln(c.out, line)
		return
	}
	c.done++
	step := c.done / 100
	if c.total > 0 {
		step = c.done * 10 / c.total
	}
	if step > c.reported {
		c.reported = step
		fmt.Fprintf(c.out, "  %s\n", c.figure())
	}
}

func (c *buildCounter) figure() string {
	if c.total <= 0 || c.done > c.total {
		return fmt.Sprintf("%d packages compiled", c.done)
	}
	return fmt.Sprintf("[%3d%%] %d/%d packages compiled", c.done*100/c.total, c.done, c.total)
}

func (c *buildCounter) messages() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.other.String() + string(c.partial)
}
