//go:build linux

package devtemporal

import "syscall"

// sysProcAttr puts the child in its own process group (so Stop can signal
// the whole group) and has the kernel kill it if the parent dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
