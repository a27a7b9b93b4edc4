package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// ProcSpec describes a child process: the binary, its arguments, its whole
// environment (nothing is inherited, so the developer's shell cannot leak
// settings into the run) and the file its output is appended to.
type ProcSpec struct {
	Name    string
	Path    string
	Args    []string
	Env     []string
	LogPath string
}

// Proc supervises one child process the way a service manager does: an
// exit nobody asked for (the binary gives up when Postgres is unreachable
// at start, for example) is followed by a restart after a short pause.
// Kill and Term take it down on purpose; it stays down until Start.
type Proc struct {
	spec ProcSpec

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	wanted  bool // the process should be running
	halted  bool // Stop ran: never start again
	log     *os.File
	starts  int
	kills   int
	terms   int
	crashes int
	lastErr string
}

// restartPause is how long the supervisor waits before restarting a
// process that exited by itself.
const restartPause = 300 * time.Millisecond

// NewProc opens the log file; Start runs the process.
func NewProc(spec ProcSpec) (*Proc, error) {
	f, err := os.OpenFile(spec.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", spec.Name, err)
	}
	return &Proc{spec: spec, log: f}, nil
}

// Start runs the process unless it is running already.
func (p *Proc) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wanted = true
	return p.startLocked()
}

func (p *Proc) startLocked() error {
	if p.halted || p.cmd != nil {
		return nil
	}
	cmd := exec.Command(p.spec.Path, p.spec.Args...)
	cmd.Env = p.spec.Env
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = sysProcAttr()
	p.starts++
	fmt.Fprintf(p.log, "=== chaos: start #%d of %s at %s\n", p.starts, p.spec.Name, time.Now().Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start: %w", p.spec.Name, err)
	}
	exited := make(chan struct{})
	p.cmd, p.exited = cmd, exited
	go p.wait(cmd, exited)
	return nil
}

// wait reaps the process and restarts it when it exited on its own.
func (p *Proc) wait(cmd *exec.Cmd, exited chan struct{}) {
	err := cmd.Wait()
	close(exited)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != cmd {
		return // taken down on purpose
	}
	p.cmd = nil
	p.crashes++
	p.lastErr = fmt.Sprint(err)
	fmt.Fprintf(p.log, "=== chaos: %s exited by itself: %v\n", p.spec.Name, err)
	time.AfterFunc(restartPause, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.wanted {
			if err := p.startLocked(); err != nil {
				fmt.Fprintf(p.log, "=== chaos: restart failed: %v\n", err)
			}
		}
	})
}

// Kill sends SIGKILL and waits for the process to be gone. It reports
// whether a process was running.
func (p *Proc) Kill() bool { return p.takeDown(syscall.SIGKILL) }

// Term sends SIGTERM and waits for a graceful exit (SIGKILL after 15s).
func (p *Proc) Term() bool { return p.takeDown(syscall.SIGTERM) }

func (p *Proc) takeDown(sig syscall.Signal) bool {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd, p.wanted = nil, false
	if cmd != nil {
		if sig == syscall.SIGKILL {
			p.kills++
		} else {
			p.terms++
		}
		fmt.Fprintf(p.log, "=== chaos: %s %s at %s\n", sig, p.spec.Name, time.Now().Format(time.RFC3339Nano))
	}
	p.mu.Unlock()
	if cmd == nil {
		return false
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	return true
}

// Running reports whether the process is up.
func (p *Proc) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil
}

// ProcStats counts what happened to a process.
type ProcStats struct {
	Starts, Kills, Terms, Crashes int
	LastCrash                     string
}

// Stats returns the counters.
func (p *Proc) Stats() ProcStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return ProcStats{Starts: p.starts, Kills: p.kills, Terms: p.terms, Crashes: p.crashes, LastCrash: p.lastErr}
}

// Stop ends the process for good (SIGTERM, then SIGKILL) and closes the log.
func (p *Proc) Stop() error {
	p.mu.Lock()
	p.halted = true
	p.mu.Unlock()
	p.Term()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Close()
}

// AllStats adds up the counters of several instances.
func AllStats(procs []*Proc) ProcStats {
	var sum ProcStats
	for _, p := range procs {
		st := p.Stats()
		sum.Starts, sum.Kills, sum.Terms, sum.Crashes = sum.Starts+st.Starts, sum.Kills+st.Kills, sum.Terms+st.Terms,
			sum.Crashes+st.Crashes
		if st.LastCrash != "" {
			sum.LastCrash = st.LastCrash
		}
	}
	return sum
}
