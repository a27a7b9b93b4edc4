//go:build !linux

package chaos

import "syscall"

// sysProcAttr puts the child in its own process group, so a kill reaches
// exactly it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
