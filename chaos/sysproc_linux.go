//go:build linux

package chaos

import "syscall"

// sysProcAttr puts the child in its own process group, so a kill reaches
// exactly it, and has the kernel kill it if the test process dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
